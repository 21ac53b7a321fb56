#!/usr/bin/env bash
# Object-store tier: the object-store port and Delta tables at s3:// and az:// URLs on real emulators —
# moto's S3 server (PyPI, into a cached venv) and Azurite's blob service (npm, into a cache folder, not a project
# dependency) — with delta-rs (the Delta tier's venv, test/integration/delta/setup.sh) reading and writing the same
# S3 tables. Both servers listen on free loopback ports and stop on exit.
#
# Pins: moto 5.1.22 answers S3 conditional writes (If-None-Match: * → 412 when the key exists; 5.2.0 answers 500);
# Azurite 3.35.0 is the last release that runs on Node 20 (later ones need Node 21+).
# `--serve` starts the servers and prints the variables the tests read, for running tests by hand.
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "== integration: object stores on moto S3 and Azurite (test/object-store)"

MOTO_VERSION=5.1.22
AZURITE_VERSION=3.35.0
CACHE="${RIFFLE_CACHE:-$HOME/.cache/riffle}"
MOTO_VENV="$CACHE/py-moto"
AZURITE_DIR="$CACHE/azurite-$AZURITE_VERSION"
PYTHON="${PYTHON:-python3}"

if ! { [ -x "$MOTO_VENV/bin/python" ] && [ "$("$MOTO_VENV/bin/python" -c 'import moto; print(moto.__version__)' 2>/dev/null)" = "$MOTO_VERSION" ]; }; then
  echo "installing moto[server] $MOTO_VERSION into $MOTO_VENV"
  rm -rf "$MOTO_VENV"
  mkdir -p "$CACHE"
  "$PYTHON" -m venv "$MOTO_VENV"
  "$MOTO_VENV/bin/python" -m pip install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
fi
if [ ! -x "$AZURITE_DIR/node_modules/.bin/azurite-blob" ]; then
  echo "installing azurite $AZURITE_VERSION into $AZURITE_DIR"
  mkdir -p "$AZURITE_DIR"
  (cd "$AZURITE_DIR" && { [ -f package.json ] || echo '{"name":"riffle-azurite","private":true}' > package.json; } \
    && npm install --no-audit --no-fund --save-exact "azurite@$AZURITE_VERSION" >/dev/null)
fi
bash test/integration/delta/setup.sh

TMP=$(mktemp -d "${TMPDIR:-/tmp}/riffle-objstore-XXXXXX")
moto_pid=""
azurite_pid=""
stop_pid() {
  local pid=$1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
}
stop() {
  stop_pid "$moto_pid"
  stop_pid "$azurite_pid"
  rm -rf "$TMP"
}
trap stop EXIT

free_port() { node -e "const s = require('node:net').createServer(); s.listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); })"; }
wait_port() { # name pid port log
  for _ in $(seq 1 300); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$3") 2>/dev/null; then return 0; fi
    kill -0 "$2" 2>/dev/null || { echo "$1 exited; its log:" >&2; tail -30 "$4" >&2; exit 1; }
    sleep 0.1
  done
  echo "$1 did not listen on 127.0.0.1:$3 within 30 s; its log:" >&2; tail -30 "$4" >&2; exit 1
}

S3_PORT=$(free_port)
"$MOTO_VENV/bin/moto_server" -H 127.0.0.1 -p "$S3_PORT" >"$TMP/moto.log" 2>&1 &
moto_pid=$!
AZ_PORT=$(free_port)
"$AZURITE_DIR/node_modules/.bin/azurite-blob" --blobHost 127.0.0.1 --blobPort "$AZ_PORT" --location "$TMP/azurite" \
  --silent --disableTelemetry --skipApiVersionCheck >"$TMP/azurite.log" 2>&1 &
azurite_pid=$!
wait_port moto "$moto_pid" "$S3_PORT" "$TMP/moto.log"
wait_port azurite "$azurite_pid" "$AZ_PORT" "$TMP/azurite.log"
echo "moto $MOTO_VERSION (S3) on 127.0.0.1:$S3_PORT, Azurite $AZURITE_VERSION on 127.0.0.1:$AZ_PORT"

# Azurite's well-known development account (public, documented by Microsoft; not a secret).
AZ_KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
export RIFFLE_S3_ENDPOINT="http://127.0.0.1:$S3_PORT"
export RIFFLE_AZURE_CONNECTION_STRING="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$AZ_KEY;BlobEndpoint=http://127.0.0.1:$AZ_PORT/devstoreaccount1;"
export RIFFLE_DELTA_PYTHON="$CACHE/py/bin/python"

if [ "${1:-}" = "--serve" ]; then
  echo "RIFFLE_S3_ENDPOINT=$RIFFLE_S3_ENDPOINT"
  echo "RIFFLE_AZURE_CONNECTION_STRING='$RIFFLE_AZURE_CONNECTION_STRING'"
  echo "RIFFLE_DELTA_PYTHON=$RIFFLE_DELTA_PYTHON"
  wait "$moto_pid"
  exit 0
fi

RIFFLE_INTEGRATION=1 node scripts/run-tests.mjs test/object-store/*.test.ts
