#!/usr/bin/env bash
# Installs delta-rs' Python package (the oracle of the Delta interop tests) into a venv under the Riffle cache:
# ${RIFFLE_CACHE:-$HOME/.cache/riffle}/py. Idempotent: a venv that already imports the pinned versions is kept.
# Pinned versions have wheels for CPython 3.11 on manylinux x86_64/aarch64.
set -euo pipefail
DELTALAKE_VERSION=1.6.6
PYARROW_VERSION=22.0.0
VENV="${RIFFLE_CACHE:-$HOME/.cache/riffle}/py"
PYTHON="${PYTHON:-python3}"

if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" - <<PY 2>/dev/null
import deltalake, pyarrow, sys
sys.exit(0 if (deltalake.__version__, pyarrow.__version__) == ("$DELTALAKE_VERSION", "$PYARROW_VERSION") else 1)
PY
then
  echo "delta interop venv ready: $VENV (deltalake $DELTALAKE_VERSION, pyarrow $PYARROW_VERSION)"
  exit 0
fi

echo "creating delta interop venv in $VENV"
mkdir -p "$(dirname "$VENV")"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
  "deltalake==$DELTALAKE_VERSION" "pyarrow==$PYARROW_VERSION"
"$VENV/bin/python" -c 'import deltalake, pyarrow; print("deltalake", deltalake.__version__, "pyarrow", pyarrow.__version__)'
