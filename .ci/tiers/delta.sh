#!/usr/bin/env bash
# Delta tier: delta-rs (PyPI, into a cached venv) reads what Riffle writes and writes what Riffle reads.
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "== integration: Delta interop with delta-rs (test/integration/delta)"
bash test/integration/delta/setup.sh
RIFFLE_INTEGRATION=1 node scripts/run-tests.mjs test/integration/delta/*.test.ts
