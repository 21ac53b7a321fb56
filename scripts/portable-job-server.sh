#!/usr/bin/env bash
# Resolves Beam's Flink job server from Maven Central into a cache, once, and prints the lib directory (the classpath
# is "$LIB/*"). The shaded `beam-runners-flink-1.19-job-server` jar is not served here, so the job server is
# `beam-runners-flink-1.19` + `beam-runners-java-job-service` with their transitive dependencies (see
# ../shared/notes/artifacts.md); its main class is org.apache.beam.runners.flink.FlinkJobServerDriver.
#
#   scripts/portable-job-server.sh          fetch if absent; print the lib directory on stdout
#
# Cache: ${RIFFLE_CACHE:-~/.cache/riffle}/beam-job-server/$BEAM_VERSION/lib. Needs Java 17 and Maven.
# Progress goes to stderr; the first run's download time is printed there.
set -euo pipefail

BEAM_VERSION="${RIFFLE_BEAM_VERSION:-2.62.0}"
FLINK_MINOR="${RIFFLE_FLINK_MINOR:-1.19}"
CACHE="${RIFFLE_CACHE:-$HOME/.cache/riffle}/beam-job-server/$BEAM_VERSION-flink-$FLINK_MINOR"
LIB="$CACHE/lib"
if [ ! -f "$LIB/.complete" ]; then
  mkdir -p "$CACHE"
  cat > "$CACHE/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.riffle.portable</groupId><artifactId>flink-job-server</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.beam</groupId><artifactId>beam-runners-flink-$FLINK_MINOR</artifactId><version>$BEAM_VERSION</version></dependency>
    <dependency><groupId>org.apache.beam</groupId><artifactId>beam-runners-java-job-service</artifactId><version>$BEAM_VERSION</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-simple</artifactId><version>1.7.36</version></dependency>
  </dependencies>
</project>
POM
  echo "fetching Beam's Flink job server ($BEAM_VERSION, Flink $FLINK_MINOR) with Maven into $LIB (first use only)" >&2
  start=$(date +%s)
  rm -rf "$LIB"
  mvn -q -B -f "$CACHE/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$LIB" >&2
  touch "$LIB/.complete"
  echo "job server fetched in $(( $(date +%s) - start )) s ($(ls "$LIB" | wc -l) jars)" >&2
fi
echo "$LIB"
