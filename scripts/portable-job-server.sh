#!/usr/bin/env bash
# Resolves Beam's Flink job server from Maven Central into a cache, once, and prints the lib directory (the classpath
# is "$LIB/*"). The shaded `beam-runners-flink-1.19-job-server` jar is not served here, so the job server is
# `beam-runners-flink-1.19` + `beam-runners-java-job-service` (2.62.0) with their transitive dependencies (see
# ../shared/notes/artifacts.md); its main class is org.apache.beam.runners.flink.FlinkJobServerDriver. The work is
# done by resolveJobServerJars (src/runner/portable/job-server.ts), which `riffle run --runner=flink` uses too.
#
#   scripts/portable-job-server.sh          fetch if absent; print the lib directory on stdout
#
# Cache: ${RIFFLE_CACHE:-~/.cache/riffle}/beam-job-server/2.62.0-flink-1.19/lib. Needs Java 17 and Maven.
# Progress (and the first run's download time) goes to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
exec node --import tsx -e "
import('./src/runner/portable/job-server.ts').then(({ resolveJobServerJars }) => {
  const r = resolveJobServerJars({ log: (l) => console.error(l) });
  if (r.fetchMs > 0) console.error('job server fetched in ' + (r.fetchMs / 1000).toFixed(1) + ' s (' + r.jars + ' jars)');
  console.log(r.lib);
}).catch((e) => { console.error(e.message); process.exit(1); });
"
