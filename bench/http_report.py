"""Turns bench/http.sh's result lines into the HTTP section of docs/benchmarks.md, and fails when
the orders topic gained fewer records than placements were acknowledged (a lost order).

http_report.py RESULTS DOC COMMAND MACHINE WRK: each line of RESULTS is
"connections|<RESULT JSON from bench/http-orders.lua>|records the orders topic gained".
"""
import json
import os
import sys
from datetime import date

import doc_section

results_file, doc, command, machine, wrk = sys.argv[1:6]
ROUTES = {
    "baseline": "GET /health/live (bare route, baseline)",
    "sync": "POST /orders, the engine's verdict",
    "async": "POST /orders, Prefer: respond-async",
    "mixed": "70/10/10/10 place/cancel/replace/GET",
    "query": "GET /orders?account=…&limit=50",
}

runs = []
for raw in open(results_file):
    connections, result, gained = raw.rstrip("\n").split("|")
    runs.append((int(connections), json.loads(result), int(gained)))

lost = []
lines = [f"Measured {date.today().isoformat()} with `{command}`.", "", f"Machine: {machine}; {wrk}.", "",
         "One oms node on its defaults (8 partitions, fsync before every acknowledgement) but `engine.max-orders` "
         f"{int(os.environ.get('OMS_ENGINE_MAX_ORDERS', '1000000')):,} (room for every order of the run), and wrk on the same "
         "2 cores, closed loop (each connection sends its next request when the answer came: latencies "
         "are of answered requests, throughput what the connections drew). Orders from 500 accounts on "
         "eight symbols, prices around one mid so that about half trade. Ratios are to the bare route "
         "at the same connections, in the same run. *on the log*: records the orders topic gained "
         "during the run, against the placements answered 201, 202 or 422 (each a durable command).", "",
         "| route | connections | requests/s | ratio | p50 / p90 / p99 / p99.9 (ms) | answers | on the log |",
         "|---|---|---|---|---|---|---|"]
baseline = {c: r["rps"] for c, r, _ in runs if r["mode"] == "baseline"}
for connections, r, gained in runs:
    statuses = r["statuses"]
    answers = ", ".join(f"{count:,} {status}" for status, count in sorted(statuses.items()))
    if r["socket_errors"]:
        answers += f", {r['socket_errors']:,} socket errors"
    on_log = ""
    if r["mode"] in ("sync", "async"):
        acknowledged = sum(statuses.get(s, 0) for s in ("200", "201", "202", "422"))
        on_log = f"{gained:,} of {acknowledged:,}"
        if gained < acknowledged:
            lost.append(f"{r['mode']} at {connections} connections: {acknowledged} acknowledged, {gained} on the log")
    ratio = f"{r['rps'] / baseline[connections]:.2f}x" if baseline.get(connections) else ""
    lines.append(f"| {ROUTES[r['mode']]} | {connections} | {r['rps']:,.0f} | {ratio} | "
                 f"{r['p50']:.2f} / {r['p90']:.2f} / {r['p99']:.2f} / {r['p999']:.2f} | {answers} | {on_log} |")
doc_section.write(doc, "HTTP", lines)
if lost:
    sys.exit("acknowledged placements missing from the orders topic: " + "; ".join(lost))
