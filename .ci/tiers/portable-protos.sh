#!/usr/bin/env bash
# Portable protos tier: the committed TypeScript of Beam's model protos (src/runner/portable/gen/) equals what
# scripts/portable-protos.sh generates from Beam's model jars on Maven Central (fetched once into
# ${RIFFLE_CACHE:-~/.cache/riffle}/beam-model). Prints node test-runner style summary lines.
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "== portable: generated Beam protos match scripts/portable-protos.sh (src/runner/portable/gen)"
start=$(date +%s)
if bash scripts/portable-protos.sh --check; then pass=1; fail=0; else pass=0; fail=1; fi
echo "ℹ tests 1"
echo "ℹ pass $pass"
echo "ℹ fail $fail"
echo "ℹ duration_ms $(( ($(date +%s) - start) * 1000 ))"
[ "$fail" = 0 ]
