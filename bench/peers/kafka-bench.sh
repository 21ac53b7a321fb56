#!/usr/bin/env bash
# The Kafka peer of `npm run bench:bus`: one Apache Kafka broker in KRaft mode (broker and controller in one JVM,
# from the Maven Central jars fetched by kafka-setup.sh), one topic with one partition, and Kafka's own perf tools:
#   produce   org.apache.kafka.tools.ProducerPerformance at full speed (acks=all, the producer's defaults otherwise)
#   consume   org.apache.kafka.tools.ConsumerPerformance reading back what was produced
#   half      ProducerPerformance throttled to half the full-speed rate (its send→ack latency percentiles)
#   e2e       org.apache.kafka.tools.EndToEndLatency: produce one message, consume it, repeat (serial round trips)
#
#   bench/peers/kafka-bench.sh [--messages N] [--size BYTES] [--e2e-messages N]
#
# Prints one line per phase on stdout: RESULT {"phase":...,"messages":N,"seconds":s,"cpuSeconds":c,...}; cpuSeconds
# adds the broker's CPU during the phase (from /proc) and the tool JVM's (from /usr/bin/time). The broker's data and
# logs go to a temporary directory, removed at the end. The broker keeps Kafka's default durability: it does not fsync
# on its own (log.flush.* unset), relying on the OS's page cache and on replication.
set -euo pipefail

messages=200000
size=1024
e2e_messages=2000
while [ $# -gt 0 ]; do
  case "$1" in
    --messages) messages="$2"; shift 2 ;;
    --size) size="$2"; shift 2 ;;
    --e2e-messages) e2e_messages="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LIB="$(bash "$HERE/kafka-setup.sh")"
WORK="$(mktemp -d -t riffle-kafka-XXXXXX)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
BROKER_PORT="$(free_port)"
CONTROLLER_PORT="$(free_port)"
BOOTSTRAP="127.0.0.1:$BROKER_PORT"
JAVA=(java -Xmx1g -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$LIB/*")
TICK="$(getconf CLK_TCK)"
broker_pid=""

cleanup() {
  if [ -n "$broker_pid" ] && kill -0 "$broker_pid" 2>/dev/null; then
    kill "$broker_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$broker_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$broker_pid" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

cat > "$WORK/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$BROKER_PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$BROKER_PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$WORK/data
num.partitions=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
PROPS

cluster_id="$("${JAVA[@]}" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)"
"${JAVA[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$WORK/server.properties" >"$WORK/format.log" 2>&1 \
  || { echo "kafka: formatting the storage failed; see below" >&2; cat "$WORK/format.log" >&2; exit 1; }
java -Xms1g -Xmx1g -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$LIB/*" kafka.Kafka "$WORK/server.properties" >"$WORK/broker.log" 2>&1 &
broker_pid=$!
for _ in $(seq 1 300); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$BROKER_PORT") 2>/dev/null; then break; fi
  kill -0 "$broker_pid" 2>/dev/null || { echo "kafka: the broker exited; its log:" >&2; tail -50 "$WORK/broker.log" >&2; exit 1; }
  sleep 0.1
done
"${JAVA[@]}" org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" --create --topic bench --partitions 1 --replication-factor 1 >"$WORK/topic.log" 2>&1 \
  || { echo "kafka: creating the topic failed:" >&2; cat "$WORK/topic.log" >&2; tail -30 "$WORK/broker.log" >&2; exit 1; }

broker_cpu() { awk -v t="$TICK" '{ printf "%.3f", ($14 + $15) / t }' "/proc/$broker_pid/stat"; }
# Runs a tool JVM; its output goes to $WORK/out, its CPU seconds to $tool_cpu.
run_tool() {
  /usr/bin/time -f '%U %S' -o "$WORK/time" "${JAVA[@]}" "$@" >"$WORK/out" 2>"$WORK/err" \
    || { echo "kafka: $2 failed:" >&2; tail -20 "$WORK/err" "$WORK/out" >&2; exit 1; }
  tool_cpu="$(awk '{ printf "%.3f", $1 + $2 }' "$WORK/time")"
}
cpu_sum() { awk -v a="$1" -v b="$2" -v c="$3" 'BEGIN { printf "%.3f", b - a + c }'; }

# 1. Producer at full speed.
before="$(broker_cpu)"; start="$(date +%s.%N)"
run_tool org.apache.kafka.tools.ProducerPerformance --topic bench --num-records "$messages" --record-size "$size" --throughput -1 \
  --producer-props "bootstrap.servers=$BOOTSTRAP" acks=all
end="$(date +%s.%N)"; after="$(broker_cpu)"
# "200000 records sent, 150000.0 records/sec (146.48 MB/sec), 120.5 ms avg latency, 300.0 ms max latency, 110 ms 50th, 200 ms 95th, 280 ms 99th, 299 ms 99.9th."
line="$(grep 'records sent' "$WORK/out" | tail -1)"
rate="$(sed -E 's/.* ([0-9.]+) records\/sec.*/\1/' <<<"$line")"
p50="$(sed -E 's/.* ([0-9.]+) ms 50th.*/\1/' <<<"$line")"
p99="$(sed -E 's/.* ([0-9.]+) ms 99th.*/\1/' <<<"$line")"
echo "RESULT {\"phase\":\"produce\",\"messages\":$messages,\"size\":$size,\"messagesPerSec\":$rate,\"ackP50Ms\":$p50,\"ackP99Ms\":$p99,\"wallSeconds\":$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.3f", b-a}'),\"cpuSeconds\":$(cpu_sum "$before" "$after" "$tool_cpu")}"

# 2. Consumer reading it all back.
before="$(broker_cpu)"
run_tool org.apache.kafka.tools.ConsumerPerformance --bootstrap-server "$BOOTSTRAP" --topic bench --messages "$messages" --timeout 120000
after="$(broker_cpu)"
# start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
row="$(grep -E '^[0-9]{4}-' "$WORK/out" | tail -1)"
IFS=',' read -r _ _ _ _ nmsg msgsec _ fetchms _ fetchmsgsec <<<"$(tr -d ' ' <<<"$row")"
echo "RESULT {\"phase\":\"consume\",\"messages\":$nmsg,\"size\":$size,\"messagesPerSec\":$msgsec,\"fetchMessagesPerSec\":$fetchmsgsec,\"fetchMs\":$fetchms,\"cpuSeconds\":$(cpu_sum "$before" "$after" "$tool_cpu")}"

# 3. Producer at half the full rate: its send→ack latencies.
half="$(awk -v r="$rate" 'BEGIN { printf "%d", r / 2 }')"
half_messages="$(awk -v r="$half" -v m="$messages" 'BEGIN { n = r * 10; if (n > m) n = m; printf "%d", n }')"
before="$(broker_cpu)"
run_tool org.apache.kafka.tools.ProducerPerformance --topic bench --num-records "$half_messages" --record-size "$size" --throughput "$half" \
  --producer-props "bootstrap.servers=$BOOTSTRAP" acks=all
after="$(broker_cpu)"
line="$(grep 'records sent' "$WORK/out" | tail -1)"
hrate="$(sed -E 's/.* ([0-9.]+) records\/sec.*/\1/' <<<"$line")"
p50="$(sed -E 's/.* ([0-9.]+) ms 50th.*/\1/' <<<"$line")"
p99="$(sed -E 's/.* ([0-9.]+) ms 99th.*/\1/' <<<"$line")"
echo "RESULT {\"phase\":\"half\",\"messages\":$half_messages,\"size\":$size,\"targetPerSec\":$half,\"messagesPerSec\":$hrate,\"ackP50Ms\":$p50,\"ackP99Ms\":$p99,\"cpuSeconds\":$(cpu_sum "$before" "$after" "$tool_cpu")}"

# 4. Serial end-to-end round trips (produce one, consume it).
"${JAVA[@]}" org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" --create --topic e2e --partitions 1 --replication-factor 1 >/dev/null 2>&1
before="$(broker_cpu)"
run_tool org.apache.kafka.tools.EndToEndLatency "$BOOTSTRAP" e2e "$e2e_messages" all "$size"
after="$(broker_cpu)"
avg="$(sed -nE 's/^Avg latency: ([0-9.]+) ms.*/\1/p' "$WORK/out" | tail -1)"
pct="$(grep -E '^Percentiles' "$WORK/out" | tail -1)"
e50="$(sed -E 's/.*50th = ([0-9.]+).*/\1/' <<<"$pct")"
e99="$(sed -E 's/.*99th = ([0-9.]+).*/\1/' <<<"$pct")"
echo "RESULT {\"phase\":\"e2e\",\"messages\":$e2e_messages,\"size\":$size,\"avgMs\":${avg:-null},\"p50Ms\":${e50:-null},\"p99Ms\":${e99:-null},\"cpuSeconds\":$(cpu_sum "$before" "$after" "$tool_cpu")}"
