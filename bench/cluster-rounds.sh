#!/usr/bin/env bash
# Warm rounds on three oms nodes (each partition a Raft group of three, as bench/cluster.sh
# starts them): round after round of Kafka's ProducerPerformance at full rate (256-byte records,
# acks=all, idempotent, 64 KB batches), each on a new three-partition topic, so that the JVMs'
# JIT settles (it takes some 7,500,000 records here) and each round's figures are its own. Per
# round: the producer's line, then per node its Produce requests (count, mean time from read to
# answer) and Ratis' timers for the round's topic (oms_raft_*: p50 / p99 of a write on its leader,
# of a follower's append, of a flush). docs/benchmarks.md cites its runs.
#
#   bench/cluster-rounds.sh                          # 9 rounds of 1,500,000 records
#   ROUNDS=3 RECORDS=300000 bench/cluster-rounds.sh  # shorter
#   OMS_JAVA_OPTS=-Draft.rpc.type=NETTY bench/cluster-rounds.sh   # a Ratis setting on every node
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ROUNDS="${ROUNDS:-9}"
RECORDS="${RECORDS:-1500000}"
WARMUP_RECORDS=0 FIXED_RATE=0 FIXED_SECONDS=0 E2E_RECORDS=0 PARTITIONS=3
source "$ROOT/bench/lib.sh"

OMS_PIDS=()
PEERS="1@127.0.0.1:19311,2@127.0.0.1:19312,3@127.0.0.1:19313"
for n in 1 2 3; do start_oms "node-$n" "1930$n" --node-id "$n" --peers "$PEERS"; done
wait_ready "$WORK/node-1.log" "$WORK/node-2.log" "$WORK/node-3.log"
BOOTSTRAP="127.0.0.1:19301,127.0.0.1:19302,127.0.0.1:19303"
metrics_urls() { for n in 1 2 3; do grep -m1 -o 'oms ready: http://[^/]*/' "$WORK/node-$n.log" | sed 's/oms ready: //; s|$|metrics|'; done; }
scrape() { # round phase
  local n=1
  for url in $(metrics_urls); do curl -fsS "$url" > "$WORK/metrics-$1-$2-$n.txt"; n=$((n + 1)); done
}
for i in $(seq 1 "$ROUNDS"); do
  create_topic "$BOOTSTRAP" "round-$i" 3
  scrape "$i" before
  echo "round $i: $(produce "$BOOTSTRAP" "round-$i" "$RECORDS" -1)"
  scrape "$i" after
  for n in 1 2 3; do
    python3 "$ROOT/bench/rounds_report.py" "node $n" "round-$i" "$WORK/metrics-$i-before-$n.txt" "$WORK/metrics-$i-after-$n.txt"
  done
done
