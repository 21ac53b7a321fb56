#!/usr/bin/env bash
# Workers tier: every trigger transcript (groupByKey and lifted combine) and every Nexmark query (both scenarios,
# batch and streaming feeds) through the engine on 2 worker threads (TestStream in lockstep), and the examples on
# 1, 2 and 3 workers. npm test runs a subset of each. RIFFLE_WORKERS_N=3 runs them on 3 workers.
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "== transcripts, Nexmark queries and examples on ${RIFFLE_WORKERS_N:-2} workers"
RIFFLE_WORKERS_FULL=1 node scripts/run-tests.mjs test/workers/transcripts-workers.test.ts test/workers/nexmark-workers.test.ts test/workers/examples-workers.test.ts
