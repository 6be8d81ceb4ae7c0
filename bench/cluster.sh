#!/usr/bin/env bash
# Cluster benchmark: three oms nodes (each partition a Raft group of three; acks=all answered once
# two nodes have the batch on disk), one oms node, and a three-node Apache Kafka 4.4 KRaft cluster
# (replication factor 3, min.insync.replicas=2, acknowledged from the page cache of two), all on
# this machine and in the same run, measured with Kafka's own tools: 256-byte records, acks=all,
# idempotent producer, 3 partitions. Writes the results between the CLUSTER markers of
# docs/benchmarks.md.
#
#   bench/cluster.sh                 # full run (several minutes)
#   RECORDS=50000 WARMUP_RECORDS=0 bench/cluster.sh   # shorter
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# Long enough that the load generator's own start (a fresh JVM, its JIT, a new topic's leaders)
# weighs little: 600,000 records lasted 5-10 s and moved by ~15% from run to run.
RECORDS="${RECORDS:-3000000}"
# Three JVMs and the load generator share the machine: their JIT takes minutes to settle (oms's
# three nodes reached their steady rate after some 7,500,000 records; docs/benchmarks.md).
WARMUP_RECORDS="${WARMUP_RECORDS:-9000000}"
FIXED_RATE="${FIXED_RATE:-5000}"
FIXED_SECONDS="${FIXED_SECONDS:-15}"
E2E_RECORDS="${E2E_RECORDS:-5000}"
PARTITIONS=3
source "$ROOT/bench/lib.sh"

OMS_PIDS=()
PEERS="1@127.0.0.1:19311,2@127.0.0.1:19312,3@127.0.0.1:19313"
for n in 1 2 3; do start_oms "node-$n" "1930$n" --node-id "$n" --peers "$PEERS"; done
wait_ready "$WORK/node-1.log" "$WORK/node-2.log" "$WORK/node-3.log"
measure "oms, 3 nodes (Raft: a majority has it on disk)" "127.0.0.1:19301,127.0.0.1:19302,127.0.0.1:19303" oc 3
stop_pids "${OMS_PIDS[@]}"

OMS_PIDS=()
start_oms single 19300
wait_ready "$WORK/single.log"
measure "oms, 1 node (fsync before ack)" "127.0.0.1:19300" os 1
stop_pids "${OMS_PIDS[@]}"

KAFKA_CLUSTER_ID="$(tool kafka.tools.StorageTool random-uuid)"
VOTERS="1@127.0.0.1:19321,2@127.0.0.1:19322,3@127.0.0.1:19323"
KAFKA_PIDS=()
for n in 1 2 3; do
  start_kafka_node "node-$n" "$n" "1932$((n + 3))" "1932$n" "$VOTERS" \
    "$(printf 'offsets.topic.replication.factor=3\ntransaction.state.log.replication.factor=3\nmin.insync.replicas=2')"
  KAFKA_PIDS+=($LAST_PID)
done
for n in 1 2 3; do wait_for_port "1932$((n + 3))"; done
measure "Apache Kafka 4.4, 3 nodes (RF 3, min.insync.replicas=2)" "127.0.0.1:19324,127.0.0.1:19325,127.0.0.1:19326" kc 3
stop_pids "${KAFKA_PIDS[@]}"

python3 "$ROOT/bench/report.py" "$WORK/results.txt" "$ROOT/docs/benchmarks.md" \
  "bench/cluster.sh (RECORDS=$RECORDS WARMUP_RECORDS=$WARMUP_RECORDS FIXED_RATE=$FIXED_RATE FIXED_SECONDS=$FIXED_SECONDS FIXED_WARMUP_SECONDS=$FIXED_WARMUP_SECONDS E2E_RECORDS=$E2E_RECORDS)" \
  "$(machine)" CLUSTER "3 nodes (RF 3" \
  "Three processes per cluster on one 2-core machine (with the load generator): replication here shows its protocol and CPU costs, not a network's. Ratios are to the three-node Apache Kafka cluster, measured in the same run."
echo "results written to docs/benchmarks.md" >&2
