#!/usr/bin/env bash
# Entry index benchmark (JMH): what a cluster replica's entry index (raft-entries) costs per Raft
# flush, one entry appended and fsync'd, growing the file with each entry (the baseline) and
# written into zeros written ahead of it (what the replicas do). BENCH_DIR: a directory on the
# disk to measure (default: the system's temporary directory).
#   bench/entry-index.sh
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
MODULE=streaming-core
source "$ROOT/bench/jmh-lib.sh"
"$JAVA_HOME/bin/java" -Dbench.dir="${BENCH_DIR:-${TMPDIR:-/tmp}}" -cp "$CP" org.openjdk.jmh.Main EntryIndexSyncBenchmark \
  -f 1 -wi 2 -w 3s -i 5 -r 3s
