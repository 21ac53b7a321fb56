#!/usr/bin/env bash
# Positions tier: io.files reads resumed at every batch boundary of random CSV / text / JSON Lines files (quoted line
# ends, unterminated quotes, bad UTF-8 read as errors or replaced, over-long lines, LF/CRLF/CR, BOM) must equal the
# uninterrupted read. npm test runs 5 files per format; this runs RIFFLE_POSITIONS_FUZZ_COUNT (default 200, about
# 110 s on 2 cores) with a fresh seed each run (printed on a failure; RIFFLE_POSITIONS_FUZZ_SEED replays it).
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "== positions fuzz (io.files resume at byte offsets)"
seed="${RIFFLE_POSITIONS_FUZZ_SEED:-$RANDOM}"
echo "seed $seed"
RIFFLE_POSITIONS_FUZZ_COUNT="${RIFFLE_POSITIONS_FUZZ_COUNT:-200}" RIFFLE_POSITIONS_FUZZ_SEED="$seed" \
  node --import tsx --test --test-name-pattern=fuzz test/checkpoint/positions-files.test.ts
