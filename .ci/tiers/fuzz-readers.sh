#!/usr/bin/env bash
# Fuzz tier of the file readers: malformed CSV / JSON Lines / text / gzip inputs through every reader (no crash, no
# hang, every line in the main or the error output, CSV readers agreeing), and the CSV readers against csv-parse, at
# large counts. RIFFLE_FUZZ_COUNT (default 1500 inputs of each kind) and RIFFLE_CSV_PROPERTY_RUNS (default 1000);
# RIFFLE_FUZZ_SEED replays a failure (the seed is in its message); RIFFLE_FUZZ_BIG_LINE_MB (default 600) is the size of
# the one line read past in bounded memory (a 600 MB JSON Lines record, over the default 64 MiB limit).
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "== fuzz: file readers (RIFFLE_FUZZ_COUNT=${RIFFLE_FUZZ_COUNT:-1500}, RIFFLE_CSV_PROPERTY_RUNS=${RIFFLE_CSV_PROPERTY_RUNS:-1000})"
RIFFLE_FUZZ_COUNT="${RIFFLE_FUZZ_COUNT:-1500}" RIFFLE_CSV_PROPERTY_RUNS="${RIFFLE_CSV_PROPERTY_RUNS:-1000}" RIFFLE_FUZZ_BIG_LINE_MB="${RIFFLE_FUZZ_BIG_LINE_MB:-600}" \
  node scripts/run-tests.mjs test/fuzz/readers.test.ts test/csv-readers.test.ts
