"""delta-rs oracle for Riffle's Delta interop tests (test/integration/delta/interop.test.ts).

  python oracle.py read <table>            -> JSON: latest version, rows at every version, history, file counts
  python oracle.py write <table> <spec>    -> writes a table with delta-rs (appends, an overwrite, a checkpoint),
                                              then prints what `read` prints
  python oracle.py append <table> <rows>   -> appends rows (JSON, in the table's schema) with delta-rs

Values are printed in a typed, exact form the test compares with Riffle's canonical values: 64-bit ints and
timestamps (microseconds since the epoch, UTC) as strings, dates as YYYY-MM-DD, doubles as JSON numbers.
"""
import datetime
import json
import sys

import pyarrow as pa
from deltalake import DeltaTable, write_deltalake

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def encode(value, typ):
    if value is None:
        return None
    if pa.types.is_int64(typ):
        return str(value)
    if pa.types.is_timestamp(typ):
        delta = value - EPOCH
        return str((delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds)
    if pa.types.is_date32(typ):
        return value.isoformat()
    return value


def rows_of(table):
    data = table.to_pyarrow_table()
    names = data.schema.names
    types = {f.name: f.type for f in data.schema}
    rows = [{n: encode(r[n], types[n]) for n in names} for r in data.to_pylist()]
    return sorted(rows, key=lambda r: json.dumps(r, sort_keys=True))


def describe(path):
    latest = DeltaTable(path)
    out = {"version": latest.version(), "versions": {}, "files": {}, "protocol": [latest.protocol().min_reader_version, latest.protocol().min_writer_version]}
    for v in range(0, latest.version() + 1):
        try:
            t = DeltaTable(path, version=v)
        except Exception as e:  # a version a checkpoint made unreachable
            out["versions"][str(v)] = {"error": str(e)}
            continue
        out["versions"][str(v)] = rows_of(t)
        out["files"][str(v)] = len(t.file_uris())
    out["history"] = [{"version": h["version"], "operation": h.get("operation"), "timestamp": h.get("timestamp")} for h in latest.history()]
    return out


SCHEMA = pa.schema([
    ("id", pa.int64()), ("name", pa.string()), ("country", pa.string()), ("amount", pa.float64()),
    ("ok", pa.bool_()), ("ts", pa.timestamp("us", tz="UTC")), ("day", pa.date32()), ("n", pa.int32()),
])


def batch(start, count):
    rows = []
    for i in range(start, start + count):
        rows.append({
            "id": i * 1_000_000_007 + ((1 << 60) if i % 3 == 0 else 0), "name": None if i % 5 == 0 else f"name-{i}", "country": [None, "fr", "de", "a b/c"][i % 4],
            "amount": None if i % 7 == 0 else i * 0.25, "ok": i % 2 == 0,
            "ts": EPOCH + datetime.timedelta(microseconds=i * 1_000_003), "day": datetime.date(2024, 1, 1) + datetime.timedelta(days=i % 40),
            "n": i,
        })
    return pa.Table.from_pylist(rows, schema=SCHEMA)


def write(path, spec):
    partition_by = spec.get("partitionBy") or None
    write_deltalake(path, batch(0, 10), partition_by=partition_by, mode="append")
    for k in range(1, spec["appends"]):
        write_deltalake(path, batch(k * 10, 10), partition_by=partition_by, mode="append")
    if spec.get("overwrite"):
        write_deltalake(path, batch(1000, 7), partition_by=partition_by, mode="overwrite")
    DeltaTable(path).create_checkpoint()
    for k in range(spec.get("after", 0)):
        write_deltalake(path, batch(2000 + k * 10, 10), partition_by=partition_by, mode="append")


def append(path, rows):
    table = DeltaTable(path)
    schema = table.schema().to_arrow() if hasattr(table.schema(), "to_arrow") else table.schema().to_pyarrow()
    schema = pa.schema(schema)
    decoded = []
    for r in rows:
        d = {}
        for f in schema:
            v = r.get(f.name)
            if v is not None and pa.types.is_timestamp(f.type):
                v = EPOCH + datetime.timedelta(microseconds=int(v))
            elif v is not None and pa.types.is_date32(f.type):
                v = datetime.date.fromisoformat(v)
            elif v is not None and pa.types.is_int64(f.type):
                v = int(v)
            d[f.name] = v
        decoded.append(d)
    write_deltalake(path, pa.Table.from_pylist(decoded, schema=schema), mode="append")


def main():
    cmd, path = sys.argv[1], sys.argv[2]
    if cmd == "write":
        write(path, json.loads(sys.argv[3]))
    elif cmd == "append":
        append(path, json.loads(sys.argv[3]))
    print(json.dumps(describe(path)))


if __name__ == "__main__":
    main()
