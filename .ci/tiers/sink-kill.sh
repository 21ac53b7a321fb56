#!/usr/bin/env bash
# File-sink kill tier: SIGKILLs a pipeline writing 20 shards at random points of its writes and commits
# (RIFFLE_SINK_KILLS, default 30) and checks that readers never see a partial output and no temp dir is left.
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "== file sink kill test (${RIFFLE_SINK_KILLS:-30} kills)"
RIFFLE_INTEGRATION=1 RIFFLE_SINK_KILLS="${RIFFLE_SINK_KILLS:-30}" node scripts/run-tests.mjs test/integration/sink-kill.test.ts
