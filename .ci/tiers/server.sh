#!/usr/bin/env bash
# Server tier: `riffle server` against its own OpenAPI document with Schemathesis (PyPI, into a cached venv under
# ${RIFFLE_CACHE:-$HOME/.cache/riffle}/py-schemathesis): no 5xx, only documented statuses, content types and bodies
# (test/integration/server/schemathesis.test.ts; RIFFLE_SCHEMATHESIS_EXAMPLES sets examples per operation, 10);
# and its OpenLineage events (jobs, a SQL job's ColumnLineageDatasetFacet, task events) rebuilt by openlineage-python's
# classes (py-openlineage venv; openlineage.test.ts) and validated against the OpenLineage JSON schema with jsonschema
# when the spec folder is in ${RIFFLE_CACHE}/openlineage-spec (openlineage-schema.test.ts). No registry artifact ships
# the schema files (openlineage-python wheels and sdists, openlineage-java jars and sources jars, the integration
# packages: src/server/README.md lists what was checked), so a fresh machine skips that one test, naming the folder.
# And Prometheus (Debian's package) scrapes /metrics; a PromQL query returns a job's counters (prometheus.test.ts).
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
# openlineage-python: the client's classes check the server's OpenLineage events (openlineage.test.ts).
OL_VENV="${RIFFLE_CACHE:-$HOME/.cache/riffle}/py-openlineage"
OL_PINS="openlineage-python==1.54.0 jsonschema==4.26.0"
if [[ -x "$OL_VENV/bin/python" && -f "$OL_VENV/.riffle-pins" && "$(cat "$OL_VENV/.riffle-pins")" == "$OL_PINS" ]]; then
  echo "== openlineage-python venv ready: $OL_VENV"
else
  echo "== creating $OL_VENV ($OL_PINS)"
  rm -rf "$OL_VENV"
  mkdir -p "$(dirname "$OL_VENV")"
  "$PYTHON" -m venv "$OL_VENV"
  "$OL_VENV/bin/pip" install --quiet --disable-pip-version-check --prefer-binary $OL_PINS
  "$OL_VENV/bin/python" -c "import openlineage.client; print('openlineage-python ready')"
  echo "$OL_PINS" > "$OL_VENV/.riffle-pins"
fi
# Prometheus from Debian's packages scrapes /metrics (prometheus.test.ts): installed when missing, never started as a
# service (the test runs its own on a loopback port and stops it).
PROMETHEUS=${RIFFLE_PROMETHEUS:-/usr/bin/prometheus}
if [ ! -x "$PROMETHEUS" ]; then
  echo "prometheus is not installed: installing it from Debian packages"
  if [ "$(id -u)" -ne 0 ]; then echo "need root to apt-get install prometheus (or install it and set RIFFLE_PROMETHEUS)" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
echo "using $("$PROMETHEUS" --version 2>&1 | head -1)"
export RIFFLE_PROMETHEUS="$PROMETHEUS"
RIFFLE_INTEGRATION=1 node scripts/run-tests.mjs test/integration/server/*.test.ts
