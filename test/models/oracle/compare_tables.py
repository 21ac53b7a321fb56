"""Oracle check for SQL models: every table and view dbt-duckdb built (schema main) holds the same rows, as sorted
rows of canonical values with the same column names and types, in the database Riffle built from the same project. Usage:
    python compare_tables.py <dbt.duckdb> <riffle.duckdb> [label]
Prints one line per relation and 'N passed, N failed'; exits 1 on any difference."""
import datetime
import decimal
import sys

import duckdb


def canonical(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (float, decimal.Decimal)):
        return float(f"{float(value):.9g}")
    if isinstance(value, int):
        return value
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    return str(value)


INTEGERS = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"}


def rows(con, relation):
    # Column names and types (integer widths aside: dbt's seed loader types whole numbers INTEGER, DuckDB's reader BIGINT).
    types = con.execute("select column_name, data_type from information_schema.columns where table_schema = 'main' and table_name = ? order by ordinal_position", [relation]).fetchall()
    columns = [(name, "INTEGER" if t in INTEGERS else t) for name, t in types]
    cur = con.execute(f'select * from main."{relation}"')
    data = sorted((tuple(canonical(v) for v in row) for row in cur.fetchall()), key=repr)
    return columns, data


def main():
    dbt_path, riffle_path = sys.argv[1], sys.argv[2]
    label = sys.argv[3] if len(sys.argv) > 3 else ""
    dbt = duckdb.connect(dbt_path, read_only=True)
    riffle = duckdb.connect(riffle_path, read_only=True)
    relations = [r[0] for r in dbt.execute("select table_name from information_schema.tables where table_schema = 'main' order by 1").fetchall()]
    passed = failed = 0
    for relation in relations:
        expected_columns, expected = rows(dbt, relation)
        try:
            got_columns, got = rows(riffle, relation)
        except duckdb.Error as e:
            print(f"FAIL {label} {relation}: missing in Riffle's database ({e})")
            failed += 1
            continue
        if got_columns != expected_columns:
            print(f"FAIL {label} {relation}: columns {got_columns} != dbt's {expected_columns}")
            failed += 1
        elif got != expected:
            only_dbt = [r for r in expected if r not in got][:5]
            only_riffle = [r for r in got if r not in expected][:5]
            print(f"FAIL {label} {relation}: {len(got)} rows vs dbt's {len(expected)}; only in dbt: {only_dbt}; only in Riffle: {only_riffle}")
            failed += 1
        else:
            print(f"ok   {label} {relation}: {len(got)} rows")
            passed += 1
    if not relations:
        print("FAIL: dbt built no relation")
        failed += 1
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


main()
