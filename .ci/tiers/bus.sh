#!/usr/bin/env bash
# Bus tier: the SIGKILL durability test at a larger count and over several kill/restart rounds (4 concurrent publishers,
# fsync always; every acknowledged publish and ack must survive), then a quick in-process publish measurement per
# fsync policy. RIFFLE_BUS_KILL_MESSAGES (acknowledged messages per round, default 20000) and RIFFLE_BUS_KILL_ROUNDS
# (default 5) set the size; about 1–2 minutes on a 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "== bus durability under kill -9 (${RIFFLE_BUS_KILL_ROUNDS:-5} rounds of ${RIFFLE_BUS_KILL_MESSAGES:-20000} messages)"
RIFFLE_BUS_KILL_MESSAGES="${RIFFLE_BUS_KILL_MESSAGES:-20000}" RIFFLE_BUS_KILL_ROUNDS="${RIFFLE_BUS_KILL_ROUNDS:-5}" \
  node scripts/run-tests.mjs src/io/bus/bus-durability.test.ts
echo "== bus in-process publish per fsync policy"
node --import tsx src/io/bus/measure-publish.ts 20000 1024 4 100
