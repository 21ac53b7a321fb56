#!/usr/bin/env bash
# Creates the Python venv with Great Expectations (the oracle for src/quality) in
# ${RIFFLE_CACHE:-$HOME/.cache/riffle}/py-gx. Idempotent: a venv whose marker matches the pinned versions is reused.
#
# Why GX 0.18.x: its `great_expectations.from_pandas(df).expect_...()` API validates a DataFrame in three lines
# (1.x needs a context, a data source, an asset and a batch definition per run) and it installs on Python 3.11
# with pandas 2.1 and numpy 1.x from wheels only.
set -euo pipefail
VENV="${RIFFLE_CACHE:-$HOME/.cache/riffle}/py-gx"
PINS="great_expectations==0.18.22 pandas==2.1.4 numpy==1.26.4"
PYTHON="${PYTHON:-python3}"

if [[ -x "$VENV/bin/python" && -f "$VENV/.riffle-pins" && "$(cat "$VENV/.riffle-pins")" == "$PINS" ]]; then
  echo "== great expectations venv ready: $VENV"
  exit 0
fi
echo "== creating $VENV ($PINS)"
rm -rf "$VENV"
mkdir -p "$(dirname "$VENV")"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check --upgrade pip
# shellcheck disable=SC2086
"$VENV/bin/pip" install --quiet --disable-pip-version-check --prefer-binary $PINS
"$VENV/bin/python" -c "import great_expectations as gx, pandas; print('great_expectations', gx.__version__, 'pandas', pandas.__version__)"
echo "$PINS" > "$VENV/.riffle-pins"
