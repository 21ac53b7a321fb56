#!/usr/bin/env bash
# Journal store damage tier: thousands of random truncations and flipped bytes of a metadata journal; each must open
# as exactly the records before the damage (a torn tail, with a warning) or be refused (STORE_CORRUPT), never change
# state silently. RIFFLE_JOURNAL_FUZZ sets the count (default here 2000, ~35 s; npm test runs 60).
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "== journal store damage fuzz (${RIFFLE_JOURNAL_FUZZ:-2000} cases each)"
RIFFLE_JOURNAL_FUZZ="${RIFFLE_JOURNAL_FUZZ:-2000}" RIFFLE_JOURNAL_FUZZ_SEED="${RIFFLE_JOURNAL_FUZZ_SEED:-$RANDOM}" \
  node --import tsx --test --test-reporter=spec --test-name-pattern="random damage" src/orchestrator/journal-store.test.ts
