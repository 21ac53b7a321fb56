#!/usr/bin/env bash
# Kafka tier: io.kafka against a real Apache Kafka broker. Fetches Kafka 4.1.1 from Maven Central once (through
# bench/peers/kafka-setup.sh, cached in ~/.cache/riffle/kafka), starts one KRaft node (broker + controller in one JVM)
# on free loopback ports with its data in a temp dir, runs the Kafka unit and integration tests against it
# and the fraud-detection example's end-to-end test (RIFFLE_INTEGRATION=1 RIFFLE_KAFKA_BROKERS=127.0.0.1:PORT), and
# stops the broker on exit. RIFFLE_KAFKA_KILLS (default 4) sets the landed SIGKILLs of the exactly-once kill test.
# Among them: partitions over 2 and 3 workers (kafka-workers), an idle worker not holding the watermark (kafka-idle),
# transactional-id fencing after a crash (kafka-txn-fence), and a checkpointed job on 2 workers killed and resumed on
# 2 and 1 workers or losing a worker thread (kafka-rescale).
#
#   .ci/tiers/kafka.sh            run the tier
#   .ci/tiers/kafka.sh --serve    start the broker only, print its address, and wait (for local development)
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "== integration: io.kafka on Apache Kafka (test/integration/kafka-*.test.ts)"

LIB="$(bash bench/peers/kafka-setup.sh)"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/riffle-kafka-XXXXXX")
broker_pid=""
stop() {
  if [ -n "$broker_pid" ] && kill -0 "$broker_pid" 2>/dev/null; then
    kill "$broker_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$broker_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$broker_pid" 2>/dev/null || true
  fi
  rm -rf "$TMP"
}
trap stop EXIT

free_port() { node -e "const s = require('node:net').createServer(); s.listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); })"; }
PORT=$(free_port)
CONTROLLER_PORT=$(free_port)
cat > "$TMP/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$TMP/data
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=3
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
PROPS
JAVA=(java -Xms256m -Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$LIB/*")
cluster_id="$("${JAVA[@]}" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)"
"${JAVA[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$TMP/server.properties" >"$TMP/format.log" 2>&1 \
  || { echo "kafka: formatting the storage failed:" >&2; cat "$TMP/format.log" >&2; exit 1; }
"${JAVA[@]}" kafka.Kafka "$TMP/server.properties" >"$TMP/broker.log" 2>&1 &
broker_pid=$!
for _ in $(seq 1 600); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then break; fi
  kill -0 "$broker_pid" 2>/dev/null || { echo "kafka: the broker exited; its log:" >&2; tail -50 "$TMP/broker.log" >&2; exit 1; }
  sleep 0.1
done
echo "Kafka listening on 127.0.0.1:$PORT (data in $TMP)"

if [ "${1:-}" = "--serve" ]; then
  echo "RIFFLE_KAFKA_BROKERS=127.0.0.1:$PORT"
  wait "$broker_pid"
  exit 0
fi

RIFFLE_INTEGRATION=1 RIFFLE_KAFKA_BROKERS="127.0.0.1:$PORT" \
  node scripts/run-tests.mjs src/io/kafka/*.test.ts test/integration/kafka-*.test.ts examples/fraud-*.test.ts
