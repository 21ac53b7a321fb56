#!/usr/bin/env bash
# Positions kill tier (issue 14): `riffle run` of test/checkpoint/fixtures/positions-pipeline.ts — two CSV files with
# quoted line ends read by byte offsets, and a Delta table of 6 versions followed by io.delta.stream — with
# --checkpoint-dir/--checkpoint-interval 100ms, SIGKILLed at random points and resumed with --resume each time; every
# CSV record and Delta row must be committed exactly once. Prints `kills: N, jobs: J, lost: 0, duplicated: 0`.
# RIFFLE_POSITIONS_KILLS (default 20) kills, 5 per job: about 8 s of wall time per kill, mostly start-up.
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "== positions kill test (${RIFFLE_POSITIONS_KILLS:-20} kills)"
node --import tsx test/checkpoint/positions-kill.ts "${RIFFLE_POSITIONS_KILLS:-20}"
