#!/usr/bin/env bash
# Server tier: `riffle server` against its own OpenAPI document with Schemathesis (PyPI, into a cached venv under
# ${RIFFLE_CACHE:-$HOME/.cache/riffle}/py-schemathesis): no 5xx, only documented statuses, content types and bodies
# (test/integration/server/schemathesis.test.ts). RIFFLE_SCHEMATHESIS_EXAMPLES sets examples per operation (10).
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "== integration: riffle server API (schemathesis)"
VENV="${RIFFLE_CACHE:-$HOME/.cache/riffle}/py-schemathesis"
PINS="schemathesis==4.32.5"
PYTHON="${PYTHON:-python3}"
if [[ -x "$VENV/bin/schemathesis" && -f "$VENV/.riffle-pins" && "$(cat "$VENV/.riffle-pins")" == "$PINS" ]]; then
  echo "== schemathesis venv ready: $VENV"
else
  echo "== creating $VENV ($PINS)"
  rm -rf "$VENV"
  mkdir -p "$(dirname "$VENV")"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check --upgrade pip
  "$VENV/bin/pip" install --quiet --disable-pip-version-check --prefer-binary $PINS
  "$VENV/bin/schemathesis" --version
  echo "$PINS" > "$VENV/.riffle-pins"
fi
RIFFLE_INTEGRATION=1 node scripts/run-tests.mjs test/integration/server/*.test.ts
