"""delta-rs oracle for Riffle's statistics interop tests (test/integration/delta/stats.test.ts).

Every command reads its input from a JSON file (strings with characters above U+FFFF, doubles given as strings so
that -0.0 and NaN survive JSON) and prints JSON.

  python stats_oracle.py find <table> <queries.json>   -> for each query {"column", "value"} (a double value as
                                                          {"double": "-0.0" | "nan" | "1.5"}), the number of rows
                                                          delta-rs finds with `column = value`: through pyarrow
                                                          (to_pyarrow_table(filters=...), which prunes files by
                                                          their stats) and through DataFusion SQL (QueryBuilder)
  python stats_oracle.py write <table> <groups.json>   -> appends each group of rows ({id, s, d, b}) as one commit
                                                          (one file) with delta-rs; prints each file's stats
  python stats_oracle.py compact <table>               -> delta-rs optimize.compact(); prints its metrics
  python stats_oracle.py stats <table>                 -> the stats JSON of every file of the latest version
"""
import json
import os
import sys

import pyarrow as pa
from deltalake import DeltaTable, QueryBuilder, write_deltalake

SCHEMA = pa.schema([("id", pa.int64()), ("s", pa.string()), ("d", pa.float64()), ("b", pa.bool_())])


def value_of(v):
    if isinstance(v, dict) and "double" in v:
        return float(v["double"])
    return v


def sql_literal(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if v != v:
            return "'NaN'::double"
        return f"CAST('{v!r}' AS DOUBLE)"
    if isinstance(v, int):
        return str(v)
    return "'" + v.replace("'", "''") + "'"


def find(path, queries):
    table = DeltaTable(path)
    out = []
    for q in queries:
        column, value = q["column"], value_of(q["value"])
        by_pyarrow = table.to_pyarrow_table(filters=[(column, "=", value)]).num_rows
        sql = f"select count(*) as n from t where {column} = {sql_literal(value)}"
        batch = pa.table(QueryBuilder().register("t", table).execute(sql).read_all())
        out.append({"pyarrow": by_pyarrow, "sql": batch.column("n")[0].as_py()})
    return out


def write(path, groups):
    for rows in groups:
        decoded = [{"id": r["id"], "s": r["s"], "d": None if r["d"] is None else float(r["d"]), "b": r["b"]} for r in rows]
        write_deltalake(path, pa.Table.from_pylist(decoded, schema=SCHEMA), mode="append")
    return log_stats(path)


def log_stats(path):
    """Stats of the live files, read from the JSON log (what other engines read)."""
    live = {}
    log = os.path.join(path, "_delta_log")
    for name in sorted(n for n in os.listdir(log) if n.endswith(".json")):
        with open(os.path.join(log, name), encoding="utf-8") as f:
            for line in f:
                a = json.loads(line)
                if "add" in a:
                    live[a["add"]["path"]] = json.loads(a["add"]["stats"]) if a["add"].get("stats") else None
                elif "remove" in a:
                    live.pop(a["remove"]["path"], None)
    return [live[k] for k in sorted(live)]


def main():
    cmd, path = sys.argv[1], sys.argv[2]
    arg = None
    if len(sys.argv) > 3:
        with open(sys.argv[3], encoding="utf-8") as f:
            arg = json.load(f)
    if cmd == "find":
        result = find(path, arg)
    elif cmd == "write":
        result = write(path, arg)
    elif cmd == "compact":
        result = DeltaTable(path).optimize.compact()
    elif cmd == "stats":
        result = log_stats(path)
    else:
        raise ValueError(f"unknown command {cmd}")
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
    # As oracle.py: leave without interpreter teardown (delta-rs background threads can abort it).
    sys.stdout.flush()
    os._exit(0)
