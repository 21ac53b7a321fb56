#!/usr/bin/env bash
# Spill tier: a global-window grouping far larger than the heap through runner/state's grouping buffer, checked
# exactly against the expected groups. Default: 20M elements over 2M keys with a 256 MB old space (about 1 GB of
# encoded data, 1-3 min on 2 cores); RIFFLE_SPILL_ELEMENTS=50000000 RIFFLE_SPILL_KEYS=5000000 RIFFLE_SPILL_HEAP=512
# runs the issue's 50M/5M benchmark.
set -euo pipefail
cd "$(dirname "$0")/../.."
ELEMENTS="${RIFFLE_SPILL_ELEMENTS:-20000000}"
KEYS="${RIFFLE_SPILL_KEYS:-2000000}"
HEAP="${RIFFLE_SPILL_HEAP:-256}"
echo "== spill: groupByKey of ${ELEMENTS} elements over ${KEYS} keys, --max-old-space-size=${HEAP}"
node --max-old-space-size="${HEAP}" --import tsx bench/spill.ts --elements "${ELEMENTS}" --keys "${KEYS}"
