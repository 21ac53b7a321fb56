"""Runs expectations with Great Expectations (0.18, pandas) for Riffle's oracle test.

stdin: {"datasets": {name: [row, ...]}, "cases": [{"dataset": name, "expectation_type": ..., "kwargs": {...}}]}
stdout: [{"success": bool, "result": {...}, "exception": str|null}, ...] in case order.
"""
import json
import math
import sys
import warnings

warnings.filterwarnings("ignore")
import great_expectations as ge  # noqa: E402
import pandas as pd  # noqa: E402


def clean(value):
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    if hasattr(value, "item"):
        return clean(value.item())
    return value


spec = json.load(sys.stdin)
frames = {name: ge.from_pandas(pd.DataFrame.from_records(rows)) for name, rows in spec["datasets"].items()}
out = []
for case in spec["cases"]:
    df = frames[case["dataset"]]
    r = getattr(df, case["expectation_type"])(**case["kwargs"], result_format="SUMMARY").to_json_dict()
    out.append({"success": r["success"], "result": clean(r["result"]), "exception": r["exception_info"]["exception_message"]})
print(json.dumps(out))
