#!/usr/bin/env bash
# SQL models oracle tier: examples/models run by dbt-duckdb (PyPI) and by `riffle models build` give the same tables
# (every relation dbt built in schema main: same columns and types, same rows sorted), after a first build and after a
# second build with new data (--vars as_of: the incremental models merge and delete+insert the new rows).
# Riffle's own models (models/riffle_only: the delta materialization, insert_overwrite) are left out of both runs.
# The venv (pinned; under ${RIFFLE_CACHE:-$HOME/.cache/riffle}/py-dbt) is kept while it imports the pins.
# dbt-core is pinned to 1.10: 1.11+ depends on a parser wheel downloaded from outside PyPI at install time.
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "== models oracle (dbt-duckdb on examples/models)"
DBT_CORE_VERSION=1.10.15
DBT_DUCKDB_VERSION=1.10.1
DUCKDB_VERSION=1.5.6
VENV="${RIFFLE_CACHE:-$HOME/.cache/riffle}/py-dbt"
PYTHON="${PYTHON:-python3}"
if ! { [ -x "$VENV/bin/python" ] && "$VENV/bin/python" - <<PY 2>/dev/null
import duckdb, sys
from importlib.metadata import version
sys.exit(0 if (version("dbt-core"), version("dbt-duckdb"), duckdb.__version__) == ("$DBT_CORE_VERSION", "$DBT_DUCKDB_VERSION", "$DUCKDB_VERSION") else 1)
PY
}; then
  echo "creating the dbt oracle venv in $VENV"
  rm -rf "$VENV"
  mkdir -p "$(dirname "$VENV")"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    "dbt-core==$DBT_CORE_VERSION" "dbt-duckdb==$DBT_DUCKDB_VERSION" "duckdb==$DUCKDB_VERSION"
fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
for side in dbt riffle; do
  cp -r examples/models "$WORK/$side"
  rm -rf "$WORK/$side/target"
done
export DBT_SEND_ANONYMOUS_USAGE_STATS=false DO_NOT_TRACK=1
dbt() { (cd "$WORK/dbt" && "$VENV/bin/dbt" --no-use-colors "$@" --profiles-dir . --project-dir . > "$WORK/dbt.log" 2>&1) || { cat "$WORK/dbt.log"; exit 1; }; }
riffle() { node --import tsx src/cli/main.ts models "$@" --project-dir "$WORK/riffle" --exclude path:models/riffle_only; }
status=0
for round in 1 2; do
  vars='{}'
  [ "$round" = 2 ] && vars='{"as_of": "2024-01-06"}'
  [ "$round" = 1 ] && dbt seed
  dbt build --exclude path:models/riffle_only --vars "$vars"
  grep -E "Done\. PASS" "$WORK/dbt.log" | sed 's/^[^D]*/dbt: /'
  riffle build --vars "$vars"
  "$VENV/bin/python" test/models/oracle/compare_tables.py "$WORK/dbt/target/dev.duckdb" "$WORK/riffle/target/dev.duckdb" "build$round" || status=1
done
exit $status
