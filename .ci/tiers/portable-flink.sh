#!/usr/bin/env bash
# Portable Flink tier: Beam's Flink job server (beam-runners-flink-1.19 + beam-runners-java-job-service 2.62.0 and
# their dependencies, fetched from Maven Central once into ${RIFFLE_CACHE:-~/.cache/riffle}/beam-job-server) started
# on loopback with an embedded Flink cluster ([local]); Riffle's Job API client prepares, stages, runs, follows and
# cancels translated pipelines (test/portable/flink-job-server.test.ts); Riffle's harness runs a translated pipeline's
# bundles on Flink (PROCESS and EXTERNAL environments) with the embedded engine's output, and a step it cannot run fails
# the job naming it (test/portable/flink-harness.test.ts). Needs Java 17 and Maven.
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "== portable: Beam's Flink job server driven by Riffle's Job API client, Riffle's harness running bundles (test/portable/flink-{job-server,harness}.test.ts)"
bash scripts/portable-job-server.sh >/dev/null
RIFFLE_PORTABLE_FLINK=1 node scripts/run-tests.mjs test/portable/flink-job-server.test.ts test/portable/flink-harness.test.ts test/portable/flink-cli.test.ts test/portable/flink-compare.test.ts
