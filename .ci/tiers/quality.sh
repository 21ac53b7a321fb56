#!/usr/bin/env bash
# Quality tier: Great Expectations (PyPI, into a cached venv) as the oracle for src/quality.
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "== quality oracle (Great Expectations)"
bash test/integration/quality/setup.sh
# The Python regex oracle at a larger count than npm test's committed table (about 10 s).
RIFFLE_REGEX_ORACLE_PATTERNS="${RIFFLE_REGEX_ORACLE_PATTERNS:-20000}" RIFFLE_INTEGRATION=1 node scripts/run-tests.mjs test/integration/quality/*.test.ts
