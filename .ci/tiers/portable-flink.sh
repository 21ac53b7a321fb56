#!/usr/bin/env bash
# Portable Flink tier: Beam's Flink job server (beam-runners-flink-1.19 + beam-runners-java-job-service 2.62.0 and
# their dependencies, fetched from Maven Central once into ${RIFFLE_CACHE:-~/.cache/riffle}/beam-job-server) started
# on loopback with an embedded Flink cluster ([local]); Riffle's Job API client prepares, stages, runs, follows and
# cancels translated pipelines (test/portable/flink-job-server.test.ts); Riffle's harness runs a translated pipeline's
# bundles on Flink (PROCESS and EXTERNAL environments) with the embedded engine's output, and a step it cannot run fails
# the job naming it (test/portable/flink-harness.test.ts); `riffle run … --runner=flink --flink-master='[local]'` as
# typed (test/portable/flink-cli.test.ts); the examples and Nexmark Q0-Q12 (batch, 100K events) on Flink against the
# embedded engine, printing `N equal, N different` (test/portable/flink-compare.test.ts); an unbounded Kafka read in
# Flink's streaming mode (the harness's self-checkpointing read; a broker started from the Kafka jars of
# bench/peers/kafka-setup.sh, or RIFFLE_KAFKA_BROKERS), windows and timers firing, output equal to the embedded
# engine's (test/portable/flink-stream.test.ts, ~35 s). Needs Java 17 and Maven.
# Takes ~400 s with the jars cached (measured 2026-12-07): more than .ci/run's 120 s budget.
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "== portable: Beam's Flink job server driven by Riffle's Job API client, Riffle's harness running bundles, riffle run --runner=flink, outputs compared with the embedded engine (test/portable/flink-{job-server,harness,cli,compare,stream}.test.ts)"
bash scripts/portable-job-server.sh >/dev/null
RIFFLE_PORTABLE_FLINK=1 node scripts/run-tests.mjs test/portable/flink-job-server.test.ts test/portable/flink-harness.test.ts test/portable/flink-cli.test.ts test/portable/flink-compare.test.ts test/portable/flink-stream.test.ts
