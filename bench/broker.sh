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
RECORDS="${RECORDS:-2000000}"
FIXED_RATE="${FIXED_RATE:-20000}"
FIXED_SECONDS="${FIXED_SECONDS:-15}"
E2E_RECORDS="${E2E_RECORDS:-20000}"
PARTITIONS=3
OMS_PORT=19092
KAFKA_PORT=19093
CONTROLLER_PORT=19095
source "$ROOT/bench/lib.sh"

start_kafka() { # name
  KAFKA_CLUSTER_ID="$(tool kafka.tools.StorageTool random-uuid)"
  start_kafka_node "$1" 1 "$KAFKA_PORT" "$CONTROLLER_PORT" "1@127.0.0.1:$CONTROLLER_PORT" \
    "$(printf 'offsets.topic.replication.factor=1\ntransaction.state.log.replication.factor=1\ntransaction.state.log.min.isr=1')"
  KAFKA_PID=$LAST_PID
  wait_for_port "$KAFKA_PORT"
}

stop_kafka() {
  kill "$KAFKA_PID"; wait "$KAFKA_PID" 2>/dev/null || true
}

start_oms oms "$OMS_PORT"
wait_ready "$WORK/oms.log"
measure "oms (fsync before ack)" "127.0.0.1:$OMS_PORT" oms 1
kill "${PIDS[0]}"; wait "${PIDS[0]}" 2>/dev/null || true

start_kafka durable
measure "Apache Kafka 4.4, flush.messages=1" "127.0.0.1:$KAFKA_PORT" kd 1 flush.messages=1
stop_kafka
start_kafka default
measure "Apache Kafka 4.4, defaults (page cache)" "127.0.0.1:$KAFKA_PORT" kp 1
stop_kafka

python3 "$ROOT/bench/report.py" "$WORK/results.txt" "$ROOT/docs/benchmarks.md" \
  "bench/broker.sh (RECORDS=$RECORDS WARMUP_RECORDS=$WARMUP_RECORDS FIXED_RATE=$FIXED_RATE FIXED_SECONDS=$FIXED_SECONDS FIXED_WARMUP_SECONDS=$FIXED_WARMUP_SECONDS E2E_RECORDS=$E2E_RECORDS)" \
  "$(machine)"
echo "results written to docs/benchmarks.md" >&2
