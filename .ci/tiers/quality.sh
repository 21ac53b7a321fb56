#!/usr/bin/env bash
# Quality tier: Great Expectations (PyPI, into a cached venv) as the oracle for src/quality.
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "== quality oracle (Great Expectations)"
bash test/integration/quality/setup.sh
RIFFLE_INTEGRATION=1 node scripts/run-tests.mjs test/integration/quality/*.test.ts
