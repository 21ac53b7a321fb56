#!/usr/bin/env bash
# Streaming SQL tier: Nexmark in Riffle SQL against the transform versions (Q0–Q8, Q11) and the
# DuckDB path (q13, q14, q15, q17, q20) at a larger count than npm test's 10,000 events.
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "== streaming SQL: Nexmark in SQL at ${NEXMARK_SQL_EVENTS:-50000} events"
NEXMARK_SQL_EVENTS="${NEXMARK_SQL_EVENTS:-50000}" node scripts/run-tests.mjs test/sql/nexmark-sql.test.ts test/sql/nexmark-sql-extensions.test.ts
