#!/usr/bin/env bash
# Broker benchmark: oms's embedded broker and the Apache Kafka broker, measured in the same run on
# the same machine with Kafka's own tools (ProducerPerformance, ConsumerPerformance, EndToEndLatency), 256-byte
# records, acks=all. Writes the results between the BROKER markers of docs/benchmarks.md.
#
#   bench/broker.sh                 # full run (a few minutes)
#   RECORDS=100000 bench/broker.sh  # shorter
#
# Apache Kafka runs as a single-node KRaft broker, twice: with flush.messages=1 on the topic (an
# fsync per append: durable before ack, as oms is by default) and with its defaults (ack from the
# page cache). Everything listens on 127.0.0.1 and stops when the script ends.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
RECORDS="${RECORDS:-500000}"
FIXED_RATE="${FIXED_RATE:-20000}"
FIXED_SECONDS="${FIXED_SECONDS:-15}"
E2E_RECORDS="${E2E_RECORDS:-20000}"
SIZE=256
PARTITIONS=3
OMS_PORT=19092
KAFKA_PORT=19093
CONTROLLER_PORT=19095

JAVA_HOME="$("$ROOT/oms" java-home)"
export JAVA_HOME
JAVA="$JAVA_HOME/bin/java"
WORK="$(mktemp -d /tmp/oms-bench.XXXXXX)"
PIDS=()
cleanup() {
  local status=$?
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if (( status == 0 )); then rm -rf "$WORK"; else echo "failed; logs kept in $WORK" >&2; fi
}
trap cleanup EXIT

echo "resolving Apache Kafka and its tools…" >&2
mvn -B -q -f "$ROOT/bench/pom.xml" dependency:build-classpath -Dmdep.outputFile="$WORK/cp.txt" >&2
CP="$(cat "$WORK/cp.txt")"
"$ROOT/oms" build >&2 2>&1 | grep -v WARNING >&2 || true

tool() { "$JAVA" -Xmx512m -cp "$CP" -Dlog4j.configuration=file:"$WORK/log4j.properties" "$@"; }
printf 'log4j.rootLogger=WARN, stderr\nlog4j.appender.stderr=org.apache.log4j.ConsoleAppender\nlog4j.appender.stderr.Target=System.err\nlog4j.appender.stderr.layout=org.apache.log4j.PatternLayout\nlog4j.appender.stderr.layout.ConversionPattern=%%p %%c: %%m%%n\n' > "$WORK/log4j.properties"

wait_for_port() {
  for _ in $(seq 1 120); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.5
  done
  echo "nothing listens on port $1" >&2; return 1
}

start_oms() {
  OMS_HTTP_HOST=127.0.0.1 OMS_KAFKA_HOST=127.0.0.1 OMS_KAFKA_ADVERTISED_HOST=127.0.0.1 \
    "$ROOT/oms" start --data-dir "$WORK/oms" --http-port 0 --kafka-port "$OMS_PORT" > "$WORK/oms.log" 2>&1 &
  PIDS+=($!)
  wait_for_port "$OMS_PORT"
}

start_kafka() {
  local dir="$WORK/kafka-$1"
  mkdir -p "$dir"
  cat > "$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
PROPS
  tool kafka.tools.StorageTool format -t "$(tool kafka.tools.StorageTool random-uuid)" \
    -c "$dir/server.properties" > "$dir/format.log" 2>&1
  "$JAVA" -Xmx1g -cp "$CP" -Dlog4j.configuration=file:"$WORK/log4j.properties" kafka.Kafka "$dir/server.properties" \
    > "$dir/kafka.log" 2>&1 &
  KAFKA_PID=$!
  PIDS+=($KAFKA_PID)
  wait_for_port "$KAFKA_PORT"
}

stop_kafka() {
  kill "$KAFKA_PID"; wait "$KAFKA_PID" 2>/dev/null || true
}

create_topic() { # bootstrap topic [config]
  tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$1" --create --topic "$2" \
    --partitions "$PARTITIONS" --replication-factor 1 ${3:+--config "$3"} > /dev/null
}

# ProducerPerformance's summary line: records/sec, MB/sec, avg, max, p50, p95, p99, p99.9.
produce() { # bootstrap topic records throughput
  tool org.apache.kafka.tools.ProducerPerformance --topic "$2" --num-records "$3" --record-size "$SIZE" \
    --throughput "$4" --producer-props bootstrap.servers="$1" acks=all enable.idempotence=true linger.ms=1 \
    batch.size=65536 2>>"$WORK/tools.log" | tail -1
}

# ConsumerPerformance: a consumer group reading what the throughput run wrote.
consume() { # bootstrap topic records
  tool org.apache.kafka.tools.ConsumerPerformance --bootstrap-server "$1" --topic "$2" --messages "$3" \
    --group "bench-$2" --timeout 60000 2>>"$WORK/tools.log" | tail -1
}

# EndToEndLatency commits consumer offsets, so it needs a group coordinator (FindCoordinator).
e2e() { # bootstrap topic
  tool org.apache.kafka.tools.EndToEndLatency --bootstrap-server "$1" --topic "$2" --num-records "$E2E_RECORDS" \
    --producer-acks all --record-size "$SIZE" 2>>"$WORK/tools.log" | grep -E "Avg latency|Percentiles" \
    || echo "failed: $(grep -o 'does not support [A-Z_]*' "$WORK/tools.log" | tail -1)"
}

measure() { # name bootstrap topic-prefix [topic config]
  local name="$1" bootstrap="$2" t="$3"
  create_topic "$bootstrap" "$t-max" "${4:-}"
  create_topic "$bootstrap" "$t-fixed" "${4:-}"
  create_topic "$bootstrap" "$t-e2e" "${4:-}"
  echo "== $name" >&2
  local max fixed lat
  max="$(produce "$bootstrap" "$t-max" "$RECORDS" -1)"
  local read
  read="$(consume "$bootstrap" "$t-max" "$RECORDS")"
  fixed="$(produce "$bootstrap" "$t-fixed" $((FIXED_RATE * FIXED_SECONDS)) "$FIXED_RATE")"
  lat="$(e2e "$bootstrap" "$t-e2e" | tr '\n' ' ')"
  echo "$name|$max|$fixed|$lat|$read" | tee -a "$WORK/results.txt" >&2
}

start_oms
measure "oms (fsync before ack)" "127.0.0.1:$OMS_PORT" oms
kill "${PIDS[0]}"; wait "${PIDS[0]}" 2>/dev/null || true

start_kafka durable
measure "Apache Kafka 4.4, flush.messages=1" "127.0.0.1:$KAFKA_PORT" kd flush.messages=1
stop_kafka
start_kafka default
measure "Apache Kafka 4.4, defaults (page cache)" "127.0.0.1:$KAFKA_PORT" kp
stop_kafka

python3 "$ROOT/bench/report.py" "$WORK/results.txt" "$ROOT/docs/benchmarks.md" \
  "bench/broker.sh (RECORDS=$RECORDS FIXED_RATE=$FIXED_RATE FIXED_SECONDS=$FIXED_SECONDS E2E_RECORDS=$E2E_RECORDS)" \
  "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -r), $("$JAVA" -version 2>&1 | head -1)"
echo "results written to docs/benchmarks.md" >&2
