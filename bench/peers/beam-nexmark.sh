#!/usr/bin/env bash
# Runs Beam's own Java Nexmark queries (org.apache.beam:beam-sdks-java-nexmark, Maven Central) in batch on a Beam
# runner, through Riffle's small driver NexmarkPeer.java: Beam's bounded event source, Beam's default
# NexmarkConfiguration with numEvents replaced, one JVM per query.
#
#   bench/peers/beam-nexmark.sh [--runner direct|flink] [--events N] [--queries 0,1,...] [--dump DIR] [--enforce]
#   bench/peers/beam-nexmark.sh --runner flink --fetch-only        fetch and compile, run nothing
# --streaming [--checkpoint-interval MS --checkpoint-dir DIR] (flink): the unbounded source in streaming mode, with
# Flink checkpoints (see NexmarkPeer.java; bench/checkpoints.ts uses it). Streaming JVMs get the --add-opens Flink's
# streaming translation needs on Java 17, and Flink's CheckpointCoordinator logs at INFO; each query's log path is
# printed on stdout as `LOG <path>` after its RESULT.
# --timeout S stops a query's JVM after S seconds (reported as an error); 0 (default) is no limit.
#
# Prints one line per query on stdout: RESULT {"query":q,"events":N,"seconds":s,"eventsPerSec":x,"outputs":n} (or
# {"query":q,"error":...}). With --dump DIR, each query's outputs go to DIR/q<q>.jsonl (see NexmarkPeer.java) for
# bench/peers/cross-check.ts. The JVMs' logs go to $CACHE/logs/.
#
# Runners:
#   direct  Beam's DirectRunner (beam-runners-direct-java $BEAM_VERSION). Its immutability/encodability checks are
#           off unless --enforce is given (they are on by default in Beam; off is the peer's fastest).
#   flink   Beam's FlinkRunner on an embedded local Flink cluster ([local] master, parallelism = cores, batch). Maven
#           Central's newest Beam Flink runner here is beam-runners-flink-1.16 $FLINK_RUNNER_VERSION (there is no
#           Flink runner artifact of Beam 2.60.0 there), so it runs Beam $BEAM_VERSION's Nexmark queries on that
#           runner; its Java job-service dependency (portable job server, not used by the classic runner) is absent
#           from Central at that version and left out.
# Jars are fetched with Maven on first use and cached outside the repo in ${RIFFLE_PEERS_CACHE:-~/.cache/riffle-peers}.
# Needs Java 17 and Maven. JAVA_OPTS is passed to the JVMs (default -Xmx8g).
set -euo pipefail

BEAM_VERSION="${BEAM_VERSION:-2.60.0}"
FLINK_RUNNER="${FLINK_RUNNER:-beam-runners-flink-1.16}"
FLINK_RUNNER_VERSION="${FLINK_RUNNER_VERSION:-2.59.0}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${RIFFLE_PEERS_CACHE:-$HOME/.cache/riffle-peers}/beam-nexmark-peer-$BEAM_VERSION"

runner=direct
events=100000
queries=0,1,2,3,4,5,6,7,8,9,10,11,12
fetch_only=0
streaming=0
timeout_s=0
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --runner) runner="$2"; shift 2 ;;
    --events) events="$2"; shift 2 ;;
    --queries) queries="$2"; shift 2 ;;
    --dump) mkdir -p "$2"; extra+=(--dump "$(cd "$2" && pwd)"); shift 2 ;;
    --enforce) extra+=(--enforce); shift ;;
    --streaming) extra+=(--streaming); streaming=1; shift ;;
    --checkpoint-interval) extra+=(--checkpoint-interval "$2"); shift 2 ;;
    --checkpoint-dir) extra+=(--checkpoint-dir "$2"); shift 2 ;;
    --parallelism) extra+=(--parallelism "$2"); shift 2 ;;
    --timeout) timeout_s="$2"; shift 2 ;;
    --fetch-only) fetch_only=1; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
case "$runner" in
  direct) runner_dep="<groupId>org.apache.beam</groupId><artifactId>beam-runners-direct-java</artifactId><version>$BEAM_VERSION</version>" ;;
  flink) runner_dep="<groupId>org.apache.beam</groupId><artifactId>$FLINK_RUNNER</artifactId><version>$FLINK_RUNNER_VERSION</version>
      <exclusions><exclusion><groupId>org.apache.beam</groupId><artifactId>beam-runners-java-job-service</artifactId></exclusion></exclusions>" ;;
  *) echo "--runner must be direct or flink" >&2; exit 2 ;;
esac

LIB="$CACHE/$runner/lib"
if [ ! -f "$LIB/.complete" ]; then
  mkdir -p "$CACHE/$runner"
  # Beam's Nexmark jar without its SQL and Kafka parts (the SQL queries are not run); the GCP I/O stays, as Nexmark's
  # options and utilities refer to it.
  cat > "$CACHE/$runner/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.riffle.peers</groupId><artifactId>beam-nexmark-$runner</artifactId><version>1</version>
  <dependencies>
    <dependency>
      <groupId>org.apache.beam</groupId><artifactId>beam-sdks-java-nexmark</artifactId><version>$BEAM_VERSION</version>
      <exclusions>
        <exclusion><groupId>org.apache.beam</groupId><artifactId>beam-sdks-java-extensions-sql</artifactId></exclusion>
        <exclusion><groupId>org.apache.beam</groupId><artifactId>beam-sdks-java-extensions-sql-zetasql</artifactId></exclusion>
        <exclusion><groupId>org.apache.beam</groupId><artifactId>beam-sdks-java-io-kafka</artifactId></exclusion>
        <exclusion><groupId>org.apache.kafka</groupId><artifactId>kafka-clients</artifactId></exclusion>
        <exclusion><groupId>org.apache.beam</groupId><artifactId>beam-sdks-java-test-utils</artifactId></exclusion>
      </exclusions>
    </dependency>
    <dependency>
      $runner_dep
    </dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-simple</artifactId><version>1.7.30</version></dependency>
  </dependencies>
</project>
POM
  echo "fetching Beam Nexmark $BEAM_VERSION and the $runner runner with Maven into $LIB (first use only)" >&2
  rm -rf "$LIB"
  mvn -q -B -f "$CACHE/$runner/pom.xml" dependency:copy-dependencies -DoutputDirectory="$LIB" >&2
  touch "$LIB/.complete"
fi

SUM="$( (cat "$HERE/NexmarkPeer.java"; echo "$runner") | sha256sum | cut -c1-16)"
CLASSES="$CACHE/$runner/classes-$SUM"
if [ ! -f "$CLASSES/NexmarkPeer.class" ]; then
  rm -rf "$CACHE/$runner"/classes-*
  mkdir -p "$CLASSES"
  javac -nowarn -d "$CLASSES" -cp "$LIB/*" "$HERE/NexmarkPeer.java"
fi
[ "$fetch_only" -eq 1 ] && exit 0

mkdir -p "$CACHE/logs"
jvm_streaming=()
if [ "$streaming" -eq 1 ]; then
  for pkg in java.lang java.lang.reflect java.util java.util.concurrent java.util.concurrent.atomic java.io java.nio \
    sun.nio.ch java.net java.text java.time java.math; do jvm_streaming+=("--add-opens=java.base/$pkg=ALL-UNNAMED"); done
  jvm_streaming+=(-Dorg.slf4j.simpleLogger.log.org.apache.flink.runtime.checkpoint.CheckpointCoordinator=info)
fi
# shellcheck disable=SC2086
for q in ${queries//,/ }; do
  log="$CACHE/logs/$runner-q$q.log"
  limit=()
  [ "$timeout_s" != 0 ] && limit=(timeout --kill-after=10 "$timeout_s")
  ${limit[@]+"${limit[@]}"} java ${JAVA_OPTS:--Xmx8g} -Dorg.slf4j.simpleLogger.defaultLogLevel=warn ${jvm_streaming[@]+"${jvm_streaming[@]}"} -cp "$LIB/*:$CLASSES" \
    NexmarkPeer --runner "$runner" --events "$events" --queries "$q" ${extra[@]+"${extra[@]}"} 2>"$log" \
    | grep '^RESULT ' || { rc=${PIPESTATUS[0]}
      if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then echo "RESULT {\"query\":$q,\"error\":\"timeout after ${timeout_s}s\"}"
      else echo "RESULT {\"query\":$q,\"error\":\"the JVM failed (exit $rc); see $log\"}"; fi; }
  if [ "$streaming" -eq 1 ]; then echo "LOG $log"; fi
done
