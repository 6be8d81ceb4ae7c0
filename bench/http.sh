#!/usr/bin/env bash
# HTTP API benchmark: one oms node on its defaults driven by wrk (Debian's; installed when
# missing), closed loop, one wrk thread, at each of CONNECTIONS concurrent connections:
#   - GET /health/live, a bare route of the same server: the HTTP ceiling of this machine, the baseline
#   - POST /orders answered with the engine's verdict (sync)
#   - POST /orders with Prefer: respond-async, answered once the command is durable (async)
#   - a mix of placements, cancels, replaces and reads (bench/http-orders.lua says which)
#   - GET /orders?account=…&limit=50: a page of a random account's orders, from the store the runs
#     before it filled (a run of its own starts the query index first)
# Every POST answered 2xx or 422 is a command on the log; after each run of placements the script
# counts the records the orders topic gained (Kafka's GetOffsetShell) and fails if fewer. Writes
# the results between the HTTP markers of docs/benchmarks.md.
#
#   bench/http.sh                                  # about 6 minutes
#   DURATION=5s CONNECTIONS="1 35" bench/http.sh   # shorter
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DURATION="${DURATION:-15s}" WARMUP="${WARMUP:-20s}" CONNECTIONS="${CONNECTIONS:-1 8 35 64}"
MODES="${MODES:-baseline sync async mixed query}"
RECORDS=0 FIXED_RATE=0 FIXED_SECONDS=0 E2E_RECORDS=0 PARTITIONS=8 WARMUP_RECORDS=0
KAFKA_PORT=19482
source "$ROOT/bench/lib.sh"
if ! command -v wrk >/dev/null; then
  echo "installing wrk…" >&2
  (apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk; }) >&2
fi

# Done orders stay in the store for their trading day: room for every order of the run (about
# 700,000, unevenly spread over the partitions by symbol). Its files are written in full, 230 bytes an order.
export OMS_ENGINE_MAX_ORDERS="${MAX_ORDERS:-4000000}"
start_oms oms "$KAFKA_PORT"
wait_ready "$WORK/oms.log"
HTTP_PORT="$(grep -m1 -o 'oms ready: http://[^:]*:[0-9]*' "$WORK/oms.log" | grep -o '[0-9]*$')"
URL="http://127.0.0.1:$HTTP_PORT"

orders_on_log() {
  tool org.apache.kafka.tools.GetOffsetShell --bootstrap-server "127.0.0.1:$KAFKA_PORT" --topic orders 2>>"$WORK/tools.log" \
    | awk -F: '{ sum += $NF } END { print sum + 0 }'
}

# Until the engine has applied every durable command: an async run leaves a queue behind it.
settle() {
  for _ in $(seq 1 600); do
    curl -s "$URL/metrics" | awk '/^oms_engine_lag\{/ { lag += $2 } END { exit lag > 0 }' && return 0
    sleep 0.5
  done
  echo "the engine did not catch up: see $WORK/oms.log" >&2; return 1
}

load() { # mode connections duration
  MODE="$1" RUN="$1-$2-$RANDOM" wrk -t1 -c"$2" -d"$3" --timeout 10s -s "$ROOT/bench/http-orders.lua" "$URL" \
    | grep '^RESULT ' | cut -d' ' -f2-
}

echo "warming up ($WARMUP of each mode at 35 connections)…" >&2
for mode in $MODES; do load "$mode" 35 "$WARMUP" > /dev/null; settle; done

for connections in $CONNECTIONS; do
  for mode in $MODES; do
    before="$(orders_on_log)"
    result="$(load "$mode" "$connections" "$DURATION")"
    settle
    after="$(orders_on_log)"
    echo "$connections|$result|$((after - before))" | tee -a "$WORK/http.txt" >&2
  done
done
python3 "$ROOT/bench/http_report.py" "$WORK/http.txt" "$ROOT/docs/benchmarks.md" \
  "bench/http.sh (DURATION=$DURATION WARMUP=$WARMUP CONNECTIONS=\"$CONNECTIONS\")" "$(machine)" "$(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)"
echo "results written to docs/benchmarks.md" >&2
