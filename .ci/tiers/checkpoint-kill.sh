#!/usr/bin/env bash
# Checkpoint kill tier (issue 14): `riffle run` of test/checkpoint/fixtures/kill-pipeline.ts (fixed windows with early
# and late firings, a combine per key, a stateful DoFn with event-time timers, two-phase directory sinks) with
# --checkpoint-dir/--checkpoint-interval 150ms, SIGKILLed at random points (start-up, restore, reading, checkpoints,
# sink commits, the final checkpoint, finishing) and resumed with --resume each time; the committed output is compared
# with an uninterrupted run's. Prints `workers: W, kills: N, jobs: J, lost: 0, duplicated: 0`; exits 1 on any loss or
# duplicate. Two rounds: RIFFLE_KILLS (default 75) kills in one thread, then RIFFLE_KILLS_WORKERS (default 25) kills of
# the same job on 2 worker threads (checkpoints taken by the pool's coordinator), 10 per job, three jobs at a time.
# Then the full checkpoint-on-workers and savepoint tests (rescale 2 → 1 and 2 → 3, a worker thread terminated,
# SIGUSR1/--from-savepoint, SIGUSR2 drain on 1 and 2 workers). Measured: ~100 s + ~90 s + ~60 s under load.
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "== checkpoint kill test (${RIFFLE_KILLS:-75} kills, one thread)"
node --import tsx test/checkpoint/kill-driver.ts "${RIFFLE_KILLS:-75}" 3
echo "== checkpoint kill test (${RIFFLE_KILLS_WORKERS:-25} kills, 2 worker threads)"
RIFFLE_KILL_WORKERS=2 node --import tsx test/checkpoint/kill-driver.ts "${RIFFLE_KILLS_WORKERS:-25}" 3
echo "== checkpoints on workers, rescale, savepoints, drain"
RIFFLE_CHECKPOINT_FULL=1 node --import tsx --test test/checkpoint/workers.test.ts test/checkpoint/savepoint.test.ts
