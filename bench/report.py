"""Turns a bench script's raw result lines into its section of docs/benchmarks.md.

report.py RESULTS DOC COMMAND MACHINE [SECTION BASELINE DESCRIPTION]: SECTION names the markers
(BROKER by default), BASELINE is part of the name of the row the ratios are to, DESCRIPTION a
sentence on what the run compares.
"""
import re
import sys
from datetime import date

import doc_section

results_file, doc, command, machine = sys.argv[1:5]
section = sys.argv[5] if len(sys.argv) > 5 else "BROKER"
baseline = sys.argv[6] if len(sys.argv) > 6 else "flush.messages=1"
description = sys.argv[7] if len(sys.argv) > 7 else (
    "Ratios are to Apache Kafka with `flush.messages=1` (durable before ack, like oms), measured in the same run. "
    "The load generator shares the 2 cores with the broker.")


def producer(line):
    # "500000 records sent, 98765.4 records/sec (24.11 MB/sec), 12.34 ms avg latency, 456.00 ms max latency,
    #  10 ms 50th, 30 ms 95th, 40 ms 99th, 50 ms 99.9th."
    m = re.search(r"([\d.]+) records/sec \(([\d.]+) MB/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, "
                  r"(\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99.9th", line)
    if not m:
        return None
    keys = ["rate", "mb", "avg", "max", "p50", "p95", "p99", "p999"]
    return dict(zip(keys, map(float, m.groups())))


def consumer(line):
    # ConsumerPerformance CSV: start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, ...
    fields = [f.strip() for f in line.split(",")]
    try:
        return float(fields[5])
    except (IndexError, ValueError):
        return None


def e2e(line):
    avg = re.search(r"Avg latency: ([\d.]+) ms", line)
    pct = re.search(r"50th = (\d+), 99th = (\d+), 99.9th = (\d+)", line)
    why = re.search(r"failed: (.*)", line)
    return (float(avg.group(1)) if avg else None, pct.groups() if pct else None, why.group(1).strip() if why else "")


rows = []
for raw in open(results_file):
    name, max_line, fixed_line, e2e_line, consumer_line = (raw.rstrip("\n").split("|") + [""])[:5]
    rows.append((name, producer(max_line), producer(fixed_line), e2e(e2e_line), consumer(consumer_line)))

base = next((r for r in rows if baseline in r[0]), None)


def ratio(value, baseline, higher_is_better=True):
    if not value or not baseline:
        return ""
    return f" ({value / baseline:.2f}x)" if higher_is_better else f" ({value / baseline:.2f}x)"


lines = [f"Measured {date.today().isoformat()} with `{command}`.", "", f"Machine: {machine}.", "",
         "Producer: kafka-tools ProducerPerformance, 256-byte records, acks=all, idempotent, linger.ms=1, "
         "3 partitions; at the fixed rate, the steady state after its first seconds (`--warmup-records`). Consumer: ConsumerPerformance in a consumer group, reading the throughput run's records. "
         + description, "",
         "| broker | max throughput (records/s) | MB/s | p99 at max (ms) | p50 / p99 / p99.9 at fixed rate (ms) | end-to-end avg (ms) | end-to-end p50 / p99 / p99.9 (ms) | consumer (records/s) |",
         "|---|---|---|---|---|---|---|---|"]
for name, mx, fx, (avg, pct, why), cons in rows:
    rate = f"{mx['rate']:,.0f}{ratio(mx['rate'], base[1]['rate'] if base and base[1] else None)}" if mx else "failed"
    mb = f"{mx['mb']:.1f}" if mx else ""
    p99max = f"{mx['p99']:.0f}" if mx else ""
    fixed = f"{fx['p50']:.0f} / {fx['p99']:.0f} / {fx['p999']:.0f}" if fx else "failed"
    if fx and base and base[2] and base[2]['p99'] > 0:
        fixed += f" (p99 {fx['p99'] / base[2]['p99']:.2f}x)"
    e2e_avg = f"{avg:.2f}" if avg is not None else ("not measured: " + why if why else "failed")
    e2e_pct = " / ".join(pct) if pct else ""
    cons_text = f"{cons:,.0f}" if cons else "failed"
    if cons and base and base[4]:
        cons_text += f" ({cons / base[4]:.2f}x)"
    lines.append(f"| {name} | {rate} | {mb} | {p99max} | {fixed} | {e2e_avg} | {e2e_pct} | {cons_text} |")
doc_section.write(doc, section, lines)
