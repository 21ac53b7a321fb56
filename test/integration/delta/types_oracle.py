"""delta-rs oracle for Riffle's type interop tests (test/integration/delta/types.test.ts): every Delta primitive type.

  python types_oracle.py read <table>                 -> JSON: protocol, schema (Delta type strings) and rows of the
                                                         latest version in the exact encoding below, sorted by id
  python types_oracle.py write <table> <spec.json>    -> writes rows() with delta-rs ({"partitionBy": [...],
                                                         "checkpoint": bool}); prints what `read` prints
  python types_oracle.py nested <table>               -> writes nested_rows() (struct, array, map, nested in each
                                                         other, with leaves of every kind) with delta-rs, then a
                                                         checkpoint; prints what `read` prints
  python types_oracle.py find <table> <queries.json>  -> for each query [column, op, value] (decimals as strings,
                                                         timestamps as µs strings), the ids delta-rs finds through
                                                         pyarrow filters (which prune files by the stats)

Exact encoding: 64-bit ints, timestamps and timestamp_ntz (µs since the epoch) as strings; decimals as their exact
strings with the column's scale ('1.0000000000'); binary as hex; floats as repr strings ('nan', 'inf', '-0.0',
'1.100000023841858'); dates as YYYY-MM-DD; other ints and booleans as JSON.
"""
import datetime
import decimal
import json
import os
import sys

import pyarrow as pa
from deltalake import DeltaTable, write_deltalake

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
NAIVE_EPOCH = datetime.datetime(1970, 1, 1)
D = decimal.Decimal

SCHEMA = pa.schema([
    ("id", pa.int64()), ("d1", pa.decimal128(5, 2)), ("d2", pa.decimal128(18, 4)), ("d3", pa.decimal128(38, 10)),
    ("b", pa.binary()), ("ntz", pa.timestamp("us")), ("ts", pa.timestamp("us", tz="UTC")), ("f", pa.float32()),
    ("dbl", pa.float64()), ("sh", pa.int16()), ("by", pa.int8()), ("dt", pa.date32()), ("n", pa.int32()),
    ("s", pa.string()), ("ok", pa.bool_()),
])


def micros(delta):
    return str((delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds)


def encode(value, typ):
    if value is None:
        return None
    if pa.types.is_struct(typ):
        return {typ.field(i).name: encode(value.get(typ.field(i).name), typ.field(i).type) for i in range(typ.num_fields)}
    if pa.types.is_map(typ):
        return [[encode(k, typ.key_type), encode(v, typ.item_type)] for k, v in value]
    if pa.types.is_list(typ) or pa.types.is_large_list(typ):
        return [encode(v, typ.value_type) for v in value]
    if pa.types.is_decimal(typ):
        return format(value, "f")
    if pa.types.is_binary(typ) or pa.types.is_large_binary(typ):
        return value.hex()
    if pa.types.is_timestamp(typ):
        return micros(value - (EPOCH if typ.tz is not None else NAIVE_EPOCH))
    if pa.types.is_date32(typ):
        return value.isoformat()
    if pa.types.is_floating(typ):
        return repr(float(value))
    if pa.types.is_int64(typ):
        return str(value)
    return value


def rows():
    """The rows delta-rs writes: extremes of every type (the partition columns d1 and ntz stay non-negative: delta-rs
    1.6.6 cannot parse a negative decimal partition value it writes, '-123.-45')."""
    ntz = lambda *a: datetime.datetime(*a)
    ts = lambda *a: datetime.datetime(*a, tzinfo=datetime.timezone.utc)
    return [
        {"id": 1, "d1": D("123.45"), "d2": D("-99999999999999.9999"), "d3": D("-9999999999999999999999999999.9999999999"),
         "b": b"\x00\xff\x80", "ntz": ntz(1, 1, 1, 0, 0, 0, 1), "ts": ts(1, 1, 1), "f": float("nan"), "dbl": float("-inf"),
         "sh": -32768, "by": 127, "dt": datetime.date(1, 1, 1), "n": -2147483648, "s": "é😀", "ok": True},
        {"id": 2, "d1": D("0.01"), "d2": None, "d3": D("0.0000000001"), "b": b"", "ntz": ntz(2024, 5, 6, 7, 8, 9, 123456),
         "ts": ts(9999, 12, 31, 23, 59, 59, 999999), "f": -0.0, "dbl": float("inf"), "sh": 32767, "by": -128,
         "dt": datetime.date(9999, 12, 31), "n": 2147483647, "s": "", "ok": False},
        {"id": 3, "d1": D("9.50"), "d2": D("12345678901234.5678"), "d3": D("1234567890123456789012345678.0123456789"),
         "b": None, "ntz": ntz(1969, 12, 31, 23, 59, 59, 999999), "ts": ts(1969, 12, 31, 23, 59, 59, 999999), "f": 1.1,
         "dbl": -0.0, "sh": None, "by": 0, "dt": datetime.date(1969, 12, 31), "n": None, "s": None, "ok": None},
        {"id": 4, "d1": D("10.00"), "d2": D("-0.0001"), "d3": None, "b": b"riffle", "ntz": None, "ts": None,
         "f": float("inf"), "dbl": float("nan"), "sh": 0, "by": None, "dt": datetime.date(2101, 1, 1), "n": 0, "s": "x", "ok": True},
    ]


NESTED_SCHEMA = pa.schema([
    ("id", pa.int64()),
    ("st", pa.struct([("a", pa.int64()), ("d", pa.decimal128(20, 3)), ("t", pa.timestamp("us", tz="UTC")),
                      ("inner", pa.struct([("x", pa.string()), ("dt", pa.date32())]))])),
    ("arr", pa.list_(pa.int32())),
    ("arrs", pa.list_(pa.struct([("k", pa.string()), ("b", pa.binary()), ("f", pa.float32())]))),
    ("m", pa.map_(pa.string(), pa.int64())),
    ("mi", pa.map_(pa.int32(), pa.list_(pa.timestamp("us", tz="UTC")))),
])


def nested_rows():
    utc = datetime.timezone.utc
    return [
        {"id": 1, "st": {"a": 2**62, "d": D("-12345678901234567.891"), "t": datetime.datetime(1, 1, 1, tzinfo=utc),
                         "inner": {"x": "é😀", "dt": datetime.date(9999, 12, 31)}},
         "arr": [1, None, -2147483648], "arrs": [{"k": "a", "b": b"\x00\xff", "f": float("nan")}, None],
         "m": [("a", 1), ("b", None)], "mi": [(1, [datetime.datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=utc), None]), (-2, [])]},
        {"id": 2, "st": None, "arr": None, "arrs": [], "m": None, "mi": []},
        {"id": 3, "st": {"a": None, "d": None, "t": None, "inner": None}, "arr": [], "arrs": None, "m": [], "mi": None},
    ]


def nested(path):
    write_deltalake(path, pa.Table.from_pylist(nested_rows(), schema=NESTED_SCHEMA), mode="append")
    DeltaTable(path).create_checkpoint()
    return read(path)


def read(path):
    table = DeltaTable(path)
    data = table.to_pyarrow_table()
    types = {f.name: f.type for f in data.schema}
    out_rows = [{k: encode(v, types[k]) for k, v in r.items()} for r in data.to_pylist()]
    out_rows.sort(key=lambda r: int(r["id"]))
    p = table.protocol()
    schema = json.loads(table.schema().to_json())
    simple = lambda t: t if isinstance(t, str) else json.dumps(t, sort_keys=True)
    return {
        "protocol": {"minReaderVersion": p.min_reader_version, "minWriterVersion": p.min_writer_version,
                     "readerFeatures": p.reader_features, "writerFeatures": p.writer_features},
        "schema": {f["name"]: simple(f["type"]) for f in schema["fields"]},
        "rows": out_rows,
    }


def write(path, spec):
    data = pa.Table.from_pylist(rows(), schema=SCHEMA)
    partition_by = spec.get("partitionBy") or None
    # Two commits (two files per partition): ids 1–2, then 3–4.
    write_deltalake(path, data.slice(0, 2), partition_by=partition_by, mode="append")
    write_deltalake(path, data.slice(2), partition_by=partition_by, mode="append")
    if spec.get("checkpoint"):
        DeltaTable(path).create_checkpoint()
    return read(path)


def literal(column, value):
    typ = SCHEMA.field(column).type
    if pa.types.is_decimal(typ):
        return D(value)
    if pa.types.is_timestamp(typ):
        base = EPOCH if typ.tz is not None else NAIVE_EPOCH
        return base + datetime.timedelta(microseconds=int(value))
    if pa.types.is_date32(typ):
        return datetime.date.fromisoformat(value)
    return value


def find(path, queries):
    table = DeltaTable(path)
    out = []
    for column, op, value in queries:
        data = table.to_pyarrow_table(filters=[(column, op, literal(column, value))])
        out.append(sorted(str(i) for i in data.column("id").to_pylist()))
    return out


def main():
    cmd, path = sys.argv[1], sys.argv[2]
    arg = None
    if len(sys.argv) > 3:
        with open(sys.argv[3], encoding="utf-8") as f:
            arg = json.load(f)
    if cmd == "read":
        result = read(path)
    elif cmd == "write":
        result = write(path, arg)
    elif cmd == "nested":
        result = nested(path)
    elif cmd == "find":
        result = find(path, arg)
    else:
        raise ValueError(f"unknown command {cmd}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
    # As oracle.py: leave without interpreter teardown (delta-rs background threads can abort it).
    sys.stdout.flush()
    os._exit(0)
