# Shared by bench/broker.sh and bench/cluster.sh: Kafka's own tools against a bootstrap address,
# 256-byte records, acks=all, and the processes each script starts (stopped when it ends).
# Expects ROOT, RECORDS, FIXED_RATE, FIXED_SECONDS, E2E_RECORDS, PARTITIONS to be set; WARMUP_RECORDS
# (default RECORDS) are produced to each broker before anything is measured, and the fixed-rate run
# leaves its first FIXED_WARMUP_SECONDS (default 5) out of its figures.
SIZE=256
WARMUP_RECORDS="${WARMUP_RECORDS:-$RECORDS}"
FIXED_WARMUP_SECONDS="${FIXED_WARMUP_SECONDS:-5}"
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

# Kafka and its tools run with the heap and GC flags their own launchers give them
# (kafka-server-start.sh and kafka-producer-perf-test.sh over kafka-run-class.sh) unless
# KAFKA_JVM_OPTS (the broker's) or TOOL_JVM_OPTS say otherwise.
KAFKA_RUN_CLASS_OPTS="-XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15"
KAFKA_JVM_OPTS="${KAFKA_JVM_OPTS:--Xms1g -Xmx1g $KAFKA_RUN_CLASS_OPTS}"
TOOL_JVM_OPTS="${TOOL_JVM_OPTS:--Xmx512m $KAFKA_RUN_CLASS_OPTS}"
# shellcheck disable=SC2086
tool() { "$JAVA" $TOOL_JVM_OPTS -cp "$CP" -Dlog4j.configuration=file:"$WORK/log4j.properties" "$@"; }
printf 'log4j.rootLogger=WARN, stderr\nlog4j.appender.stderr=org.apache.log4j.ConsoleAppender\nlog4j.appender.stderr.Target=System.err\nlog4j.appender.stderr.layout=org.apache.log4j.PatternLayout\nlog4j.appender.stderr.layout.ConversionPattern=%%p %%c: %%m%%n\n' > "$WORK/log4j.properties"

wait_for_port() {
  for _ in $(seq 1 240); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.5
  done
  echo "nothing listens on port $1" >&2; return 1
}

# A Kafka 4.4 KRaft node (broker and controller in one process).
# start_kafka_node NAME NODE_ID KAFKA_PORT CONTROLLER_PORT VOTERS [EXTRA_PROPERTIES]
start_kafka_node() {
  local dir="$WORK/kafka-$1"
  mkdir -p "$dir"
  cat > "$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=$2
controller.quorum.voters=$5
listeners=PLAINTEXT://127.0.0.1:$3,CONTROLLER://127.0.0.1:$4
advertised.listeners=PLAINTEXT://127.0.0.1:$3
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
group.initial.rebalance.delay.ms=0
${6:-}
PROPS
  tool kafka.tools.StorageTool format -t "$KAFKA_CLUSTER_ID" -c "$dir/server.properties" > "$dir/format.log" 2>&1
  # shellcheck disable=SC2086
  "$JAVA" $KAFKA_JVM_OPTS -cp "$CP" -Dlog4j.configuration=file:"$WORK/log4j.properties" kafka.Kafka "$dir/server.properties" \
    > "$dir/kafka.log" 2>&1 &
  PIDS+=($!)
  LAST_PID=$!
}

create_topic() { # bootstrap topic replication-factor [config]
  tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$1" --create --topic "$2" \
    --partitions "$PARTITIONS" --replication-factor "$3" ${4:+--config "$4"} > /dev/null
}

# ProducerPerformance's summary line: records/sec, MB/sec, avg, max, p50, p95, p99, p99.9; with
# warm-up records, the line of the steady state after them (its --warmup-records, KIP-1052).
produce() { # bootstrap topic records throughput [warm-up records]
  tool org.apache.kafka.tools.ProducerPerformance --topic "$2" --num-records "$3" --record-size "$SIZE" \
    --throughput "$4" ${5:+--warmup-records "$5"} --producer-props bootstrap.servers="$1" acks=all enable.idempotence=true linger.ms=1 \
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

measure() { # name bootstrap topic-prefix replication-factor [topic config]
  local name="$1" bootstrap="$2" t="$3" rf="$4"
  create_topic "$bootstrap" "$t-max" "$rf" "${5:-}"
  create_topic "$bootstrap" "$t-fixed" "$rf" "${5:-}"
  create_topic "$bootstrap" "$t-e2e" "$rf" "${5:-}"
  echo "== $name" >&2
  local max fixed lat read
  # The same warm-up for every broker: a JVM's first seconds are its JIT compiling, not its speed.
  if (( WARMUP_RECORDS > 0 )); then
    create_topic "$bootstrap" "$t-warmup" "$rf" "${5:-}"
    produce "$bootstrap" "$t-warmup" "$WARMUP_RECORDS" -1 > /dev/null
  fi
  max="$(produce "$bootstrap" "$t-max" "$RECORDS" -1)"
  read="$(consume "$bootstrap" "$t-max" "$RECORDS")"
  # A fresh load generator's first seconds (connecting, its own JIT) would otherwise be the fixed
  # rate's p99: most records above the p99 came from them in a 15 s run.
  fixed="$(produce "$bootstrap" "$t-fixed" $((FIXED_RATE * (FIXED_WARMUP_SECONDS + FIXED_SECONDS))) "$FIXED_RATE" \
    $((FIXED_RATE * FIXED_WARMUP_SECONDS)))"
  lat="$(e2e "$bootstrap" "$t-e2e" | tr '\n' ' ')"
  echo "$name|$max|$fixed|$lat|$read" | tee -a "$WORK/results.txt" >&2
}

machine() {
  echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -r), $("$JAVA" -version 2>&1 | head -1)"
}

# oms nodes, for the scripts that start several (OMS_PIDS collects them).
start_oms() { # name kafka-port [cluster flags]; returns once it printed its ready line
  OMS_HTTP_HOST=127.0.0.1 OMS_KAFKA_HOST=127.0.0.1 OMS_KAFKA_ADVERTISED_HOST=127.0.0.1 OMS_GROUPS_OFFSETS_PARTITIONS=3 \
    "$ROOT/oms" start --data-dir "$WORK/$1" --http-port 0 --kafka-port "$2" "${@:3}" > "$WORK/$1.log" 2>&1 &
  PIDS+=($!)
  OMS_PIDS+=($!)
}
wait_ready() { # log files
  for _ in $(seq 1 240); do
    local ready=0
    for log in "$@"; do grep -q "oms ready" "$log" 2>/dev/null && ready=$((ready + 1)); done
    (( ready == $# )) && return 0
    sleep 0.5
  done
  echo "oms did not start: see $*" >&2; return 1
}
stop_pids() { for pid in "$@"; do kill "$pid" 2>/dev/null || true; done; for pid in "$@"; do wait "$pid" 2>/dev/null || true; done; }
