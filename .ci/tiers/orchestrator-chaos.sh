#!/usr/bin/env bash
# Orchestrator chaos tier: `riffle scheduler` SIGKILLed 20 times at random points and restarted, over 3 runs of a
# 24-task DAG with retries: 0 (test/integration/orchestrator-chaos.ts). Every run must succeed, every task body run
# exactly once, the store stay readable. RIFFLE_CHAOS_KILLS / RIFFLE_CHAOS_RUNS / RIFFLE_CHAOS_SEED change the run.
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "== integration: orchestrator chaos (scheduler SIGKILLs)"
RIFFLE_INTEGRATION=1 node scripts/run-tests.mjs test/integration/orchestrator-chaos.test.ts
