#!/usr/bin/env bash
# Regenerates the Nexmark generator fixtures from Beam's own Java generator, fetched from Maven Central:
#   test/nexmark/fixtures/beam-events-10k.jsonl.gz        first 10,000 events of one Generator, default configuration
#   test/nexmark/fixtures/beam-batch-events-10k.jsonl.gz  Beam's BoundedEventSource (numEvents 10,000) split into its
#                                                         numEventGenerators (100) parts, read in order
# Needs Java 17 and Maven. Jars are cached outside the repo in ${RIFFLE_PEERS_CACHE:-~/.cache/riffle-peers}.
# Usage: bench/peers/beam-nexmark-fixture.sh [beam-version]
set -euo pipefail

BEAM_VERSION="${1:-${BEAM_VERSION:-2.60.0}}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
CACHE="${RIFFLE_PEERS_CACHE:-$HOME/.cache/riffle-peers}/beam-nexmark-$BEAM_VERSION"
OUT="$REPO/test/nexmark/fixtures"
mkdir -p "$CACHE" "$OUT"

if [ ! -f "$CACHE/lib/.complete" ]; then
  # Only the generator is needed: leave out the I/O connectors and SQL that the Nexmark jar also depends on.
  cat > "$CACHE/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.riffle.peers</groupId><artifactId>beam-nexmark-fixture</artifactId><version>1</version>
  <dependencies>
    <dependency>
      <groupId>org.apache.beam</groupId><artifactId>beam-sdks-java-nexmark</artifactId><version>$BEAM_VERSION</version>
      <exclusions>
        <exclusion><groupId>org.apache.beam</groupId><artifactId>beam-sdks-java-io-google-cloud-platform</artifactId></exclusion>
        <exclusion><groupId>org.apache.beam</groupId><artifactId>beam-sdks-java-extensions-sql</artifactId></exclusion>
        <exclusion><groupId>org.apache.beam</groupId><artifactId>beam-sdks-java-extensions-sql-zetasql</artifactId></exclusion>
        <exclusion><groupId>org.apache.beam</groupId><artifactId>beam-sdks-java-io-kafka</artifactId></exclusion>
        <exclusion><groupId>org.apache.kafka</groupId><artifactId>kafka-clients</artifactId></exclusion>
        <exclusion><groupId>com.google.apis</groupId><artifactId>google-api-services-bigquery</artifactId></exclusion>
        <exclusion><groupId>org.apache.beam</groupId><artifactId>beam-sdks-java-extensions-google-cloud-platform-core</artifactId></exclusion>
        <exclusion><groupId>org.apache.beam</groupId><artifactId>beam-sdks-java-test-utils</artifactId></exclusion>
      </exclusions>
    </dependency>
  </dependencies>
</project>
POM
  echo "fetching beam-sdks-java-nexmark $BEAM_VERSION and its dependencies into $CACHE/lib" >&2
  rm -rf "$CACHE/lib"
  mvn -q -B -f "$CACHE/pom.xml" dependency:copy-dependencies -DoutputDirectory="$CACHE/lib"
  touch "$CACHE/lib/.complete"
fi

rm -rf "$CACHE/classes" && mkdir -p "$CACHE/classes"
javac -nowarn -d "$CACHE/classes" -cp "$CACHE/lib/*" "$HERE/DumpEvents.java"
run() { java -cp "$CACHE/lib/*:$CACHE/classes" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn DumpEvents "$@" 2>/dev/null; }

run sequential 10000 | gzip -9n > "$OUT/beam-events-10k.jsonl.gz"
run batch 10000 | gzip -9n > "$OUT/beam-batch-events-10k.jsonl.gz"

for f in "$OUT/beam-events-10k.jsonl.gz" "$OUT/beam-batch-events-10k.jsonl.gz"; do
  lines=$(gzip -dc "$f" | wc -l)
  bytes=$(wc -c < "$f")
  [ "$lines" -eq 10000 ] || { echo "error: $f has $lines events, expected 10000" >&2; exit 1; }
  [ "$bytes" -lt 2000000 ] || { echo "error: $f is $bytes bytes (limit 2 MB)" >&2; exit 1; }
  echo "wrote $f ($lines events, $bytes bytes, Beam $BEAM_VERSION)"
done
