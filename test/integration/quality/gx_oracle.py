"""Runs expectations with Great Expectations (0.18, pandas) for Riffle's oracle test.

stdin: {"datasets": {name: [row, ...]}, "cases": [{"dataset": name, "expectation_type": ..., "kwargs": {...}}],
"datetime_columns"?: {name: [column, ...]}}
stdout: [{"success": bool, "result": {...}, "exception": str|null}, ...] in case order, or, when the input has
"ks_2samp" cases ({"dataset", "column", "reference"}), {"cases": [...], "ks_2samp": [{"statistic", "pvalue"}, ...]}
computed by scipy.stats.ks_2samp (GE 0.18 has no two-sample KS expectation; scipy is its engine).
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


def frame(name, rows):
    df = pd.DataFrame.from_records(rows)
    # Columns Riffle holds as Dates arrive as ISO strings: datetime64 (naive UTC), as a reader would type them.
    for column in spec.get("datetime_columns", {}).get(name, []):
        df[column] = pd.to_datetime(df[column], utc=True).dt.tz_localize(None)
    return ge.from_pandas(df)


frames = {name: frame(name, rows) for name, rows in spec["datasets"].items()}
out = []
for case in spec["cases"]:
    df = frames[case["dataset"]]
    r = getattr(df, case["expectation_type"])(**case["kwargs"], result_format="SUMMARY").to_json_dict()
    out.append({"success": r["success"], "result": clean(r["result"]), "exception": r["exception_info"]["exception_message"]})
if "ks_2samp" in spec:
    from scipy import stats

    two = []
    for case in spec["ks_2samp"]:
        column = pd.DataFrame.from_records(spec["datasets"][case["dataset"]])[case["column"]].dropna()
        r = stats.ks_2samp(column, case["reference"])
        two.append({"statistic": float(r.statistic), "pvalue": float(r.pvalue)})
    print(json.dumps({"cases": out, "ks_2samp": two}))
else:
    print(json.dumps(out))
