#!/usr/bin/env bash
# Lakehouse fuzz tier: damaged Delta logs and Parquet files (flipped bits, truncations, garbage and 0-byte commits,
# hostile paths, links out of the table) read under a time bound — exactly, or refused naming the file, never a hang
# and never a read outside the table. RIFFLE_FUZZ_COUNT cases (default 2000; about 3 minutes on 2 cores);
# RIFFLE_FUZZ_SEED replays a failure. Then, when the delta tier's venv is there, pyarrow checks the page CRCs Riffle
# writes (an independent CRC-32 implementation) and refuses a file with one flipped bit.
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "== fuzz: lakehouse readers (${RIFFLE_FUZZ_COUNT:-2000} cases)"
RIFFLE_FUZZ_COUNT="${RIFFLE_FUZZ_COUNT:-2000}" RIFFLE_FUZZ_VERBOSE=1 node scripts/run-tests.mjs test/fuzz/lakehouse.test.ts
VENV="${RIFFLE_CACHE:-$HOME/.cache/riffle}/py"
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import pyarrow' 2>/dev/null; then
  echo "== page CRCs checked by pyarrow"
  RIFFLE_PYTHON="$VENV/bin/python" RIFFLE_INTEGRATION=1 node scripts/run-tests.mjs test/fuzz/lakehouse-crc-oracle.test.ts
else
  echo "(pyarrow venv absent: run .ci/tiers/delta.sh first for the CRC oracle)"
fi
