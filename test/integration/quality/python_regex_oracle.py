"""Oracle for src/quality/expectations/python-regex.ts: runs Python's re.search for each pattern on each string.

stdin: {"patterns": [...], "strings": [...]}; stdout: [{"pattern", "error"?, "spans": [[start, end] | null, ...]}]
(spans in code points, as Python indexes strings)."""
import json
import re
import sys
import warnings

warnings.simplefilter("ignore")
data = json.load(sys.stdin)
out = []
for p in data["patterns"]:
    try:
        rx = re.compile(p)
    except re.error as e:
        out.append({"pattern": p, "error": str(e)})
        continue
    spans = []
    for s in data["strings"]:
        m = rx.search(s)
        spans.append(None if m is None else [m.start(), m.end()])
    out.append({"pattern": p, "spans": spans})
# One case per line, so that a diff of the committed table reads per pattern.
sys.stdout.write('{"python": %s,\n "strings": %s,\n "cases": [\n' % (json.dumps(sys.version.split()[0]), json.dumps(data["strings"])))
sys.stdout.write(",\n".join("  " + json.dumps(c) for c in out))
sys.stdout.write("\n]}\n")
