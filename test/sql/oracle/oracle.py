"""The SQL oracle: runs queries with DuckDB's Python package, Delta tables read through delta-rs (deltalake's Arrow
datasets), never through Riffle. Input: a JSON file {"queries": [{"sql": ..., "tables": {name: {"path", "version"?,
"timestamp"?}}}]}; output on stdout: per query {"columns": [...], "rows": [[...], ...]} with every value cast to
VARCHAR by DuckDB (the same text Riffle's side casts to), or {"error": message}."""
import json
import sys

import deltalake
import duckdb

spec = json.load(open(sys.argv[1]))
out = []
for q in spec["queries"]:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    try:
        for name, t in q.get("tables", {}).items():
            dt = deltalake.DeltaTable(t["path"])
            if "version" in t:
                dt.load_as_version(t["version"])
            elif "timestamp" in t:
                dt.load_as_version(t["timestamp"])
            con.register(name, dt.to_pyarrow_dataset())
        cur = con.execute(f"SELECT COLUMNS(*)::VARCHAR FROM ({q['sql']}) AS oracle_q")
        out.append({"columns": [d[0] for d in cur.description], "rows": [list(r) for r in cur.fetchall()]})
    except Exception as e:  # reported, compared by the test
        out.append({"error": str(e)})
    con.close()
json.dump(out, sys.stdout)
