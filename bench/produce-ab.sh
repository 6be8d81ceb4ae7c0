#!/usr/bin/env bash
# A/B of one oms node's produce throughput: this checkout against another one (a git worktree of
# an earlier commit, built with its ./oms build), alternating, ROUNDS times each. Kafka's
# ProducerPerformance, 256-byte records, acks=all, idempotent, 64 KB batches, three partitions,
# WARMUP records then RECORDS measured (the steady-state line).
#
#   git worktree add /tmp/wt-before <commit> && (cd /tmp/wt-before && ./oms build)
#   bench/produce-ab.sh /tmp/wt-before
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OTHER="${1:?usage: bench/produce-ab.sh OTHER_CHECKOUT}"
ROUNDS="${ROUNDS:-2}" RECORDS="${RECORDS:-2000000}" WARMUP="${WARMUP:-1000000}"
SIZE=256 PARTITIONS=3
WARMUP_RECORDS=0 FIXED_RATE=0 FIXED_SECONDS=0 E2E_RECORDS=0
source "$ROOT/bench/lib.sh"
for round in $(seq 1 "$ROUNDS"); do
  for build in "$OTHER" "$ROOT"; do
    name="$(basename "$build")"
    OMS_HTTP_HOST=127.0.0.1 OMS_KAFKA_HOST=127.0.0.1 OMS_KAFKA_ADVERTISED_HOST=127.0.0.1 \
      "$build/oms" start --data-dir "$WORK/data-$round-$name" --http-port 0 --kafka-port 19392 > "$WORK/oms-$round-$name.log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    wait_ready "$WORK/oms-$round-$name.log"
    create_topic 127.0.0.1:19392 ab 1
    echo "round $round, $name: $(produce 127.0.0.1:19392 ab $((RECORDS + WARMUP)) -1 "$WARMUP")"
    kill "$pid"; wait "$pid" 2>/dev/null || true
    rm -rf "$WORK/data-$round-$name"
  done
done
