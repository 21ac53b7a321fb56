#!/usr/bin/env bash
# Fetches Apache Kafka (the KRaft broker from org.apache.kafka:kafka_2.13 and its perf tools from
# org.apache.kafka:kafka-tools, Maven Central) with Maven into a cache outside the repo, once, and prints the lib
# directory (the classpath is "$LIB/*").
#
#   bench/peers/kafka-setup.sh            fetch if absent; print the lib directory on stdout
#
# Cache: ${RIFFLE_KAFKA_CACHE:-~/.cache/riffle/kafka}/$KAFKA_VERSION/lib. Needs Java 17 and Maven.
set -euo pipefail

KAFKA_VERSION="${KAFKA_VERSION:-4.1.1}"
CACHE="${RIFFLE_KAFKA_CACHE:-$HOME/.cache/riffle/kafka}/$KAFKA_VERSION"
LIB="$CACHE/lib"
if [ ! -f "$LIB/.complete" ]; then
  mkdir -p "$CACHE"
  cat > "$CACHE/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.riffle.peers</groupId><artifactId>kafka-peer</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-simple</artifactId><version>1.7.36</version></dependency>
  </dependencies>
</project>
POM
  echo "fetching Apache Kafka $KAFKA_VERSION (kafka_2.13 + kafka-tools) with Maven into $LIB (first use only)" >&2
  rm -rf "$LIB"
  mvn -q -B -f "$CACHE/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$LIB" >&2
  touch "$LIB/.complete"
fi
echo "$LIB"
