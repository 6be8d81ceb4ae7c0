#!/usr/bin/env bash
# A/B of a burst of poison records: how long N undecodable records written to orders-0 with kcat
# take to be dead-lettered (until oms_dead_lettered_total{reason="POISON"} reaches N, kcat's own
# writing included), for this checkout's build and another checkout's, alternating ROUNDS times.
#
#   git worktree add /tmp/wt-before <commit> && (cd /tmp/wt-before && ./oms build)
#   bench/poison-burst.sh /tmp/wt-before
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OTHER="${1:?usage: bench/poison-burst.sh OTHER_CHECKOUT}"
ROUNDS="${ROUNDS:-2}" N="${N:-4000}"
JAVA="$("$ROOT/oms" java-home)/bin/java"
command -v kcat >/dev/null || { echo "kcat is needed (apt-get install kcat)" >&2; exit 1; }

burst() {
  local checkout=$1 data pid start end
  data=$(mktemp -d)
  # shellcheck disable=SC2046
  "$JAVA" $(<"$checkout/oms-api/target/jvm.options") -jar "$checkout/oms-api/target/oms.jar" --data-dir "$data/data" \
    --http-port 18090 --kafka-port 19095 > "$data/oms.log" 2>&1 &
  pid=$!
  until curl -sf localhost:18090/health/ready >/dev/null; do sleep 0.2; done
  seq 1 "$N" | sed 's/^/AAPL:not json /' > "$data/lines"
  start=$(date +%s.%N)
  kcat -b 127.0.0.1:19095 -P -t orders -p 0 -K: -l "$data/lines"
  until [ "$(curl -s localhost:18090/metrics | awk '/^oms_dead_lettered_total\{.*POISON/ {s+=$2} END {print int(s)}')" -ge "$N" ]; do
    sleep 0.05
  done
  end=$(date +%s.%N)
  echo "$checkout: $N poison records dead-lettered in $(echo "$end - $start" | bc) s"
  kill "$pid"; wait "$pid" || true
  rm -rf "$data"
}

for _ in $(seq 1 "$ROUNDS"); do
  burst "$OTHER"
  burst "$ROOT"
done
