#!/usr/bin/env bash
# Engine benchmark (JMH): one worker applying a 70/20/10 place/cancel/replace mix with its
# Chronicle Map state, next to the order book alone and the Chronicle Map writes alone, the
# baselines of the same run; then replay speed and restart time (REPLAY_COMMANDS, default
# 10,000,000: the restart target's size). Writes the results between the ENGINE markers of
# docs/benchmarks.md.
#   bench/engine.sh
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
MODULE=oms-engine
source "$ROOT/bench/jmh-lib.sh"
"$JAVA_HOME/bin/java" $(cat "$ROOT/oms-api/target/jvm.options") -Xmx4g -cp "$CP" org.openjdk.jmh.Main ApplyBenchmark \
  -f 1 -wi 2 -w 2s -i 3 -r 3s -rf json -rff "$WORK/jmh.json" >&2
REPLAY_COMMANDS="${REPLAY_COMMANDS:-10000000}"
"$JAVA_HOME/bin/java" $(cat "$ROOT/oms-api/target/jvm.options") -Xmx8g -cp "$CP" dev.oms.engine.ReplayBenchmark \
  "$REPLAY_COMMANDS" 2>/dev/null | tee "$WORK/replay.txt" >&2

PYTHONPATH="$ROOT/bench" python3 - "$WORK/jmh.json" "$ROOT/docs/benchmarks.md" "$WORK/replay.txt" \
  "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $("$JAVA_HOME/bin/java" -version 2>&1 | head -1)" <<'PY'
import json, sys
from datetime import date
import doc_section
results, doc, replay, machine = sys.argv[1:5]
rows = {r["benchmark"].rsplit(".", 1)[1]: r["primaryMetric"] for r in json.load(open(results))}
book = rows["bookOnly"]["score"]
lines = [f"Measured {date.today().isoformat()} with `bench/engine.sh` (JMH 1.37, 1 fork, 2x2 s warm-up, 3x3 s measured).", "",
         f"Machine: {machine}.", "",
         "| benchmark | commands/s | error (99.9%) | ratio to the book alone |", "|---|---|---|---|"]
for name in ["bookOnly", "stateWritesOnly", "applyWithStateInPlace", "applyWithState"]:
    m = rows[name]
    lines.append(f"| {name} | {m['score']:,.0f} | ±{m['scoreError']:,.0f} | {m['score'] / book:.2f}x |")
lines += ["", "Replay and restart (`dev.oms.engine.ReplayBenchmark`, one partition, 80% placements and 20% cancels, "
          "times from opening the log to the engine reporting it has caught up, output records published as in production):", ""]
lines += ["    " + l.strip() for l in open(replay) if l.strip()]
doc_section.write(doc, "ENGINE", lines)
PY
echo "results written to docs/benchmarks.md" >&2
