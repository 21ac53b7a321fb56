#!/usr/bin/env bash
# SQL oracle tier: the same queries over the same files and Delta tables through DuckDB's Python package (the engine
# riffle sql embeds, same version) reading the tables through delta-rs (deltalake) give identical results.
# The venv (PyPI, pinned; under ${RIFFLE_CACHE:-$HOME/.cache/riffle}/py-sql) is kept while it imports the pins.
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "== sql oracle (DuckDB's Python package over delta-rs)"
DUCKDB_VERSION=1.5.6
DELTALAKE_VERSION=1.6.6
PYARROW_VERSION=22.0.0
VENV="${RIFFLE_CACHE:-$HOME/.cache/riffle}/py-sql"
PYTHON="${PYTHON:-python3}"
if ! { [ -x "$VENV/bin/python" ] && "$VENV/bin/python" - <<PY 2>/dev/null
import duckdb, deltalake, pyarrow, sys
sys.exit(0 if (duckdb.__version__, deltalake.__version__, pyarrow.__version__) == ("$DUCKDB_VERSION", "$DELTALAKE_VERSION", "$PYARROW_VERSION") else 1)
PY
}; then
  echo "creating the sql oracle venv in $VENV"
  mkdir -p "$(dirname "$VENV")"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    "duckdb==$DUCKDB_VERSION" "deltalake==$DELTALAKE_VERSION" "pyarrow==$PYARROW_VERSION"
fi
"$VENV/bin/python" -c 'import duckdb, deltalake, pyarrow; print("duckdb", duckdb.__version__, "deltalake", deltalake.__version__, "pyarrow", pyarrow.__version__)'
RIFFLE_SQL_ORACLE_PYTHON="$VENV/bin/python" RIFFLE_INTEGRATION=1 node scripts/run-tests.mjs test/sql/oracle/*.test.ts
