#!/usr/bin/env bash
# Exchange tier: the keyed-sum job over 1, 2, 3 and 4 worker threads at more draws than npm test's single one, with a
# fresh seed each run (printed by fast-check on failure), plus the worker failure tests. About 1–2 minutes.
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "== exchange: N-independence over worker threads (runs=${RIFFLE_EXCHANGE_RUNS:-12})"
seed="${RIFFLE_EXCHANGE_SEED:-$((RANDOM * 32768 + RANDOM))}"
echo "seed $seed"
RIFFLE_EXCHANGE_RUNS="${RIFFLE_EXCHANGE_RUNS:-12}" RIFFLE_EXCHANGE_SEED="$seed" node scripts/run-tests.mjs src/runner/exchange/pool.test.ts
