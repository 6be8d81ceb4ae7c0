#!/usr/bin/env bash
# Orders over HTTP on a three-node oms cluster (the engine on each partition's leader, the others
# forwarding): POST /orders latency through each node, then failover as an HTTP client sees it
# (the leader of the symbol's partition killed with SIGKILL), then the same latency run against
# one single-mode node as the baseline. Prints markdown lines for docs/benchmarks.md (cluster
# section).
#
#   bench/cluster-http.sh
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d /tmp/oms-bench-http.XXXXXX)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
"$ROOT/oms" build >&2 2>&1 | grep -v WARNING >&2 || true

PEERS="1@127.0.0.1:19351,2@127.0.0.1:19352,3@127.0.0.1:19353"
ARGS=()
for n in 1 2 3; do
  OMS_HTTP_HOST=127.0.0.1 OMS_KAFKA_HOST=127.0.0.1 OMS_KAFKA_ADVERTISED_HOST=127.0.0.1 OMS_LOG_PARTITIONS=3 \
    OMS_GROUPS_OFFSETS_PARTITIONS=1 OMS_JAVA_OPTS=-Xmx1g \
    "$ROOT/oms" start --data-dir "$WORK/node-$n" --http-port "1933$n" --kafka-port "1934$n" --node-id "$n" \
    --peers "$PEERS" > "$WORK/node-$n.log" 2>&1 &
  PIDS+=($!)
done
for n in 1 2 3; do
  for _ in $(seq 1 240); do
    curl -sf "http://127.0.0.1:1933$n/orders?limit=1" > /dev/null 2>&1 && break
    sleep 0.5
  done
  # The launcher execs java: the pid started here is the JVM's.
  ARGS+=("$n:1933$n:${PIDS[$((n - 1))]}")
done
python3 "$ROOT/bench/cluster_http.py" "${ARGS[@]}"
for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
wait 2>/dev/null || true

OMS_HTTP_HOST=127.0.0.1 OMS_KAFKA_HOST=127.0.0.1 OMS_LOG_PARTITIONS=3 OMS_JAVA_OPTS=-Xmx1g \
  "$ROOT/oms" start --data-dir "$WORK/single" --http-port 19330 --kafka-port 19340 > "$WORK/single.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 240); do curl -sf http://127.0.0.1:19330/health/ready > /dev/null 2>&1 && break; sleep 0.5; done
python3 "$ROOT/bench/cluster_http.py" --baseline 19330
