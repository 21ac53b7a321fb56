#!/usr/bin/env bash
# Coder fuzz tier: random bytes decoded by every coder family (Beam's, rows, the object coders) must give a value or
# a RangeError naming the problem — never another exception or a hang. RIFFLE_CODER_FUZZ_RUNS inputs (default 50000;
# about a minute on 2 cores) under a fresh seed per run; RIFFLE_CODER_FUZZ_SEED replays a failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
SEED="${RIFFLE_CODER_FUZZ_SEED:-$RANDOM$RANDOM}"
echo "== fuzz: coders (${RIFFLE_CODER_FUZZ_RUNS:-50000} inputs, seed $SEED)"
RIFFLE_CODER_FUZZ_RUNS="${RIFFLE_CODER_FUZZ_RUNS:-50000}" RIFFLE_CODER_FUZZ_SEED="$SEED" \
  node --import tsx --test --test-reporter=spec --test-name-pattern 'malformed input' src/model/coders/coders.test.ts
