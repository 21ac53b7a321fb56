#!/usr/bin/env bash
# Bus server tier: kill -9 of `riffle bus serve --fsync always` while 4 publishers publish and a subscriber receives,
# RIFFLE_BUS_KILL_ROUNDS times (default 5) on one directory: 0 acknowledged messages lost, every unacknowledged
# delivery comes again (about 10 s a round plus 10 s). npm test runs one round.
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "== bus server kill -9 durability"
RIFFLE_BUS_KILL_ROUNDS="${RIFFLE_BUS_KILL_ROUNDS:-5}" node scripts/run-tests.mjs src/io/bus/server/server-kill.test.ts
