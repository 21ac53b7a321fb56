#!/usr/bin/env bash
# PostgreSQL tier: the orchestrator's metadata store and the io.postgres connector on a real server. Installs
# PostgreSQL from Debian packages if it is missing, starts a throwaway cluster (temp dir, free loopback port, socket in
# the temp dir) with what change data capture and exactly-once writes need (wal_level=logical for replication slots
# and pgoutput, max_prepared_transactions > 0), runs the store conformance suite, the HA test (two schedulers, one
# database), the CLI, io.postgres read/write/CDC (RIFFLE_PG_LARGE_ROWS, default 1000000, for the 1M-row tests),
# `riffle cdc` and the CDC → Delta example (examples/cdc-warehouse.ts) against it, and stops the server on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "== integration: orchestrator on PostgreSQL (test/integration/postgres)"

find_bin() {
  local name=$1 dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$dir/$name" ] && { echo "$dir"; return 0; }
  done
  if command -v "$name" >/dev/null 2>&1; then dirname "$(readlink -f "$(command -v "$name")")"; return 0; fi
  return 1
}

if ! find_bin initdb >/dev/null || ! find_bin pg_ctl >/dev/null; then
  echo "PostgreSQL is not installed: installing it from Debian packages"
  if [ "$(id -u)" -ne 0 ]; then echo "need root to apt-get install postgresql (or install it and put its bin/ on PATH)" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
fi
# The server binaries of the newest installed version (Debian keeps them out of PATH).
BIN=$(find_bin initdb)
[ -x "$BIN/pg_ctl" ] || BIN=$(find_bin pg_ctl)
echo "using $("$BIN/postgres" --version) from $BIN"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/riffle-pg-XXXXXX")
chmod 755 "$TMP"
# initdb and postgres refuse to run as root: run them as the postgres user (Debian's package creates it).
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir "$TMP" --shell /usr/sbin/nologin postgres
  chown postgres "$TMP"
  as_db() { runuser -u postgres -- "$@"; }
else
  as_db() { "$@"; }
fi

stop() {
  as_db "$BIN/pg_ctl" -D "$TMP/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
trap stop EXIT

PORT=$(node -e "const s = require('node:net').createServer(); s.listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); })")
(cd "$TMP" && as_db "$BIN/initdb" -D "$TMP/data" -U riffle -A trust -E UTF8 --no-locale >"$TMP/initdb.log") || { cat "$TMP/initdb.log"; exit 1; }
if ! (cd "$TMP" && as_db "$BIN/pg_ctl" -D "$TMP/data" -l "$TMP/server.log" -w -t 60 \
    -o "-p $PORT -k $TMP -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off \
    -c wal_level=logical -c max_wal_senders=10 -c max_replication_slots=10 -c max_prepared_transactions=20" start >/dev/null); then
  cat "$TMP/server.log"
  exit 1
fi
echo "PostgreSQL listening on 127.0.0.1:$PORT (data in $TMP)"
PSQL="$BIN/psql"
[ -x "$PSQL" ] || PSQL=psql
as_db "$PSQL" -h "$TMP" -p "$PORT" -U riffle -d postgres -qAt -c "CREATE DATABASE riffle_ci" >/dev/null

RIFFLE_INTEGRATION=1 RIFFLE_PG_URL="postgres://riffle@127.0.0.1:$PORT/riffle_ci" \
  node scripts/run-tests.mjs test/integration/postgres/*.test.ts
# Scheduler SIGKILLs on PostgreSQL: workers of a killed scheduler finish and record their attempts in the database.
RIFFLE_PG_URL="postgres://riffle@127.0.0.1:$PORT/riffle_ci" \
  node --import tsx --test --test-reporter=spec --test-name-pattern=PostgreSQL test/integration/orchestrator-chaos.test.ts
echo "== integration: io.postgres, CDC, riffle cdc and the CDC → Delta example on PostgreSQL (test/integration/postgres-io-*.test.ts, examples/cdc-*.test.ts)"
RIFFLE_PG_LARGE_ROWS="${RIFFLE_PG_LARGE_ROWS:-1000000}" RIFFLE_INTEGRATION=1 RIFFLE_PG_URL="postgres://riffle@127.0.0.1:$PORT/riffle_ci" \
  node scripts/run-tests.mjs test/integration/postgres-io-*.test.ts examples/cdc-*.test.ts
