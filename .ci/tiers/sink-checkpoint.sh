#!/usr/bin/env bash
# Sinks under checkpoints: `riffle run` of a pipeline writing JSON Lines (batch and windowed) and Delta tables (batch
# and windowed), SIGKILLed once two checkpoints are complete, then --resume — the output equals an uninterrupted run's.
# Each round is a fresh job (random kill timing from the machine's pace); RIFFLE_SINK_CHECKPOINT_ROUNDS (default 5).
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds="${RIFFLE_SINK_CHECKPOINT_ROUNDS:-5}"
echo "== sinks under checkpoints: kill and resume (${rounds} rounds)"
for i in $(seq 1 "$rounds"); do
  node scripts/run-tests.mjs test/sinks/checkpoint-sinks.test.ts
done
echo "sink checkpoint rounds: ${rounds}, all equal to the uninterrupted run"
