"""delta-rs on an S3-compatible endpoint, the oracle of test/object-store/delta-rs.test.ts.

  python s3_oracle.py read <s3-url>          -> JSON: version, sorted rows (longs as strings), history operations
  python s3_oracle.py write <s3-url> <rows>  -> creates a table partitioned by country from JSON rows
                                                ({id, country, amount}), appends the same rows again, prints `read`

The endpoint and credentials come from the same variables Riffle reads (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ALLOW_HTTP). delta-rs commits with S3 conditional puts
(If-None-Match: *), like Riffle, so no locking provider is needed.
"""
import json
import os
import sys

import pyarrow as pa
from deltalake import DeltaTable, write_deltalake


def storage_options():
    opts = {k: os.environ[k] for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_ALLOW_HTTP")}
    opts["conditional_put"] = "etag"
    return opts


def read(url):
    table = DeltaTable(url, storage_options=storage_options())
    data = table.to_pyarrow_table()
    rows = [{"id": str(r["id"]), "country": r["country"], "amount": r["amount"]} for r in data.to_pylist()]
    rows.sort(key=lambda r: (int(r["id"]), r["country"]))
    history = [h.get("operation") for h in table.history()]
    return {"version": table.version(), "rows": rows, "history": history, "files": len(table.file_uris())}


def write(url, rows_json):
    rows = json.loads(rows_json)
    schema = pa.schema([("id", pa.int64()), ("country", pa.string()), ("amount", pa.float64())])
    data = pa.Table.from_pylist([{"id": int(r["id"]), "country": r["country"], "amount": r["amount"]} for r in rows], schema=schema)
    write_deltalake(url, data, partition_by=["country"], storage_options=storage_options())
    write_deltalake(url, data, mode="append", storage_options=storage_options())
    return read(url)


if __name__ == "__main__":
    command, url = sys.argv[1], sys.argv[2]
    out = read(url) if command == "read" else write(url, sys.argv[3])
    print(json.dumps(out))
    # Skip interpreter teardown: delta-rs' runtime threads can abort the process there ("terminate called without
    # an active exception", seen 1 run in ~3), after the answer is complete.
    sys.stdout.flush()
    os._exit(0)
