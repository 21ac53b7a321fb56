#!/usr/bin/env bash
# Starts a standalone Flink cluster on loopback and keeps it running until Ctrl-C (SIGINT/SIGTERM stop it): a
# JobManager and N TaskManagers, each a JVM on the classpath of Beam's Flink job server (Flink 1.19.0's flink-runtime
# and flink-clients jars from Maven Central, resolved once into ${RIFFLE_CACHE:-~/.cache/riffle}/beam-job-server by
# scripts/portable-job-server.sh's mechanism; flink-dist is not served). The work is done by
# test/portable/cluster-flink.ts, which the cluster tests use too.
#
#   scripts/flink-cluster.sh [--task-managers N] [--slots S] [--dir DIR]
#
# Prints `FLINK_MASTER 127.0.0.1:<rest port>` on stdout once every TaskManager is registered; then
#   riffle run pipeline.ts --runner=flink --flink-master=127.0.0.1:<rest port> --parallelism N
# Logs and configuration in DIR (default: a new directory under the OS temp dir, printed). Needs Java 17 and Maven.
set -euo pipefail
cd "$(dirname "$0")/.."
tms=2
slots=1
dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --task-managers) tms="$2"; shift 2 ;;
    --slots) slots="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    *) echo "unknown option $1 (usage: scripts/flink-cluster.sh [--task-managers N] [--slots S] [--dir DIR])" >&2; exit 2 ;;
  esac
done
case "$tms$slots" in *[!0-9]*|'') echo "--task-managers and --slots take whole numbers" >&2; exit 2 ;; esac
[ -n "$dir" ] || dir="$(mktemp -d "${TMPDIR:-/tmp}/riffle-flink-cluster-XXXXXX")"
mkdir -p "$dir"
RIFFLE_CLUSTER_DIR="$dir" RIFFLE_CLUSTER_TMS="$tms" RIFFLE_CLUSTER_SLOTS="$slots" exec node --import tsx -e "
import('./test/portable/cluster-flink.ts').then(async ({ startFlinkCluster }) => {
  const cluster = await startFlinkCluster({ dir: process.env.RIFFLE_CLUSTER_DIR, taskManagers: Number(process.env.RIFFLE_CLUSTER_TMS), slots: Number(process.env.RIFFLE_CLUSTER_SLOTS), log: (l) => console.error(l) });
  console.log('FLINK_MASTER ' + cluster.restAddress);
  const stop = () => cluster.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  setInterval(() => {}, 1 << 30);
}).catch((e) => { console.error(e.message); process.exit(1); });
"
