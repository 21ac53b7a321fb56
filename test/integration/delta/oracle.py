"""delta-rs oracle for Riffle's Delta interop tests (test/integration/delta/interop.test.ts).

  python oracle.py read <table>            -> JSON: latest version, rows at every version, history, file counts
  python oracle.py write <table> <spec>    -> writes a table with delta-rs (appends, an overwrite, a checkpoint),
                                              then prints what `read` prints
  python oracle.py append <table> <rows>   -> appends rows (JSON, in the table's schema) with delta-rs
  python oracle.py dml <table> <spec>      -> writes a table with the change data feed on (appends), then runs
                                              delta-rs delete, update and merge on it; prints what `read` prints
                                              plus each operation's metrics
  python oracle.py cdf <table> <start>     -> JSON: delta-rs load_cdf rows from version <start> (with
                                              _change_type and _commit_version)
  python oracle.py ops <table> <steps>     -> runs maintenance steps with delta-rs (JSON list: ["create", "append",
                                              "compact", "zorder:n,id", "restore:<v>", "evolve", "vacuum",
                                              "checkpoint"]) on a new or existing table; prints what `read` prints
                                              (versions delta-rs cannot read any more as {"error"}), each step's
                                              result and the commit operations

Values are printed in a typed, exact form the test compares with Riffle's canonical values: 64-bit ints and
timestamps (microseconds since the epoch, UTC) as strings, dates as YYYY-MM-DD, doubles as JSON numbers.
"""
import datetime
import json
import os
import sys

import pyarrow as pa
from deltalake import DeltaTable, WriterProperties, write_deltalake

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
            out["versions"][str(v)] = rows_of(t)
        except Exception as e:  # a version a checkpoint made unreachable, or whose files vacuum deleted
            out["versions"][str(v)] = {"error": str(e)}
            continue
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


def table_schema(table):
    schema = table.schema().to_arrow() if hasattr(table.schema(), "to_arrow") else table.schema().to_pyarrow()
    return pa.schema(schema)


def decode_rows(schema, rows):
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
    return pa.Table.from_pylist(decoded, schema=schema)


def append(path, rows):
    table = DeltaTable(path)
    write_deltalake(path, decode_rows(table_schema(table), rows), mode="append")


def plain(table):
    # delta-rs 1.6.6 load_cdf cannot read change data files in partitions whose values need escaping
    # ('a b/c' becomes a doubly-encoded path it does not find), so the CDF tables use plain partition values.
    rows = table.to_pylist()
    for r in rows:
        if r["country"] == "a b/c":
            r["country"] = "es"
    return pa.Table.from_pylist(rows, schema=SCHEMA)


def dml(path, spec):
    partition_by = spec.get("partitionBy") or None
    config = {"delta.enableChangeDataFeed": "true"}
    write_deltalake(path, plain(batch(0, 20)), partition_by=partition_by, mode="append", configuration=config)
    write_deltalake(path, plain(batch(20, 20)), partition_by=partition_by, mode="append")
    # ZSTD (what delta-rs' optimize writes by default) for the rewritten and change data files: Riffle reads it.
    wp = WriterProperties(compression="ZSTD")
    metrics = {}
    metrics["delete"] = DeltaTable(path).delete("n < 5 OR n = 27", writer_properties=wp)
    metrics["update"] = DeltaTable(path).update(updates={"amount": "amount * 2", "name": "'updated'"}, predicate="n >= 10 AND n < 14", writer_properties=wp)
    source = plain(batch(15, 3)).to_pylist() + plain(batch(100, 2)).to_pylist()
    for r in source:
        r["amount"] = 1.5
    table = DeltaTable(path)
    metrics["merge"] = (
        table.merge(pa.Table.from_pylist(source, schema=SCHEMA), "t.id = s.id", source_alias="s", target_alias="t", writer_properties=wp)
        .when_matched_delete(predicate="s.n = 16")
        .when_matched_update_all()
        .when_not_matched_insert_all()
        .execute()
    )
    out = describe(path)
    out["metrics"] = metrics
    return out


def cdf(path, start):
    data = pa.table(DeltaTable(path).load_cdf(starting_version=start).read_all())
    names = [n for n in data.schema.names if n != "_commit_timestamp"]
    types = {f.name: f.type for f in data.schema}
    rows = [{n: encode(r[n], types[n]) for n in names} for r in data.to_pylist()]
    return sorted(rows, key=lambda r: json.dumps(r, sort_keys=True))


def evolved(start, count):
    data = batch(start, count)
    return data.append_column("extra", pa.array([f"x{i}" if i % 2 else None for i in range(start, start + count)], pa.string()))


def ops(path, steps):
    results = []
    appended = 0
    for step in steps:
        name, _, arg = step.partition(":")
        if name == "create":
            write_deltalake(path, batch(0, 10), partition_by=["country"], mode="append")
            appended = 10
            results.append(None)
        elif name == "append":
            evolved_already = "extra" in [f.name for f in DeltaTable(path).schema().fields]
            write_deltalake(path, (evolved if evolved_already else batch)(3000 + appended, 10), mode="append")
            appended += 10
            results.append(None)
        elif name == "evolve":
            write_deltalake(path, evolved(4000 + appended, 6), mode="append", schema_mode="merge")
            appended += 6
            results.append(None)
        elif name == "compact":
            results.append(DeltaTable(path).optimize.compact())
        elif name == "zorder":
            results.append(DeltaTable(path).optimize.z_order(arg.split(",")))
        elif name == "restore":
            results.append(DeltaTable(path).restore(int(arg)))
        elif name == "vacuum":
            results.append(sorted(DeltaTable(path).vacuum(retention_hours=0, enforce_retention_duration=False, dry_run=False)))
        elif name == "checkpoint":
            DeltaTable(path).create_checkpoint()
            results.append(None)
        else:
            raise ValueError(f"unknown step {step}")
    out = describe(path)
    out["results"] = results
    out["operations"] = [h.get("operation") for h in DeltaTable(path).history()]
    return out


def main():
    cmd, path = sys.argv[1], sys.argv[2]
    if cmd == "ops":
        print(json.dumps(ops(path, json.loads(sys.argv[3])), default=str))
        return
    if cmd == "dml":
        print(json.dumps(dml(path, json.loads(sys.argv[3])), default=str))
        return
    if cmd == "cdf":
        print(json.dumps(cdf(path, int(sys.argv[3]))))
        return
    if cmd == "write":
        write(path, json.loads(sys.argv[3]))
    elif cmd == "append":
        append(path, json.loads(sys.argv[3]))
    print(json.dumps(describe(path)))


if __name__ == "__main__":
    main()
    # Leave without interpreter teardown: delta-rs/arrow background threads can abort the process while Python
    # finalizes ("terminate called without an active exception"), after the answer is complete.
    sys.stdout.flush()
    os._exit(0)
