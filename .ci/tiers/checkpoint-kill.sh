#!/usr/bin/env bash
# Checkpoint kill tier (issue 14): `riffle run` of test/checkpoint/fixtures/kill-pipeline.ts (fixed windows with early
# and late firings, a combine per key, a stateful DoFn with event-time timers, two-phase directory sinks) with
# --checkpoint-dir/--checkpoint-interval 150ms, SIGKILLed at random points (start-up, restore, reading, checkpoints,
# sink commits, the final checkpoint, finishing) and resumed with --resume each time; the committed output is compared
# with an uninterrupted run's. Prints `kills: N, jobs: J, lost: 0, duplicated: 0`; exits 1 on any loss or duplicate.
# RIFFLE_KILLS (default 100) kills, 10 per job, three jobs at a time (the runs mostly wait: about 45 CPU-seconds in all).
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "== checkpoint kill test (${RIFFLE_KILLS:-100} kills)"
node --import tsx test/checkpoint/kill-driver.ts "${RIFFLE_KILLS:-100}" 3
