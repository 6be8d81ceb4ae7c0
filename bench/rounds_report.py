"""One node's line for a round of bench/cluster-rounds.sh, from its /metrics before and after.

usage: rounds_report.py LABEL TOPIC BEFORE AFTER
"""
import re
import sys

SAMPLE = re.compile(r'^(\w+)(?:\{([^}]*)\})? (\S+)$')


def read(path):
    samples = {}
    for line in open(path):
        m = SAMPLE.match(line.strip())
        if m:
            labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ''))
            samples.setdefault(m.group(1), []).append((labels, float(m.group(3))))
    return samples


def total(samples, name, **want):
    return sum(v for labels, v in samples.get(name, []) if all(labels.get(k) == w for k, w in want.items()))


def main():
    label, topic, before, after = sys.argv[1:5]
    a, b = read(before), read(after)
    produce = dict(api='Produce')
    count = total(b, 'oms_broker_request_duration_seconds_count', **produce) - total(a, 'oms_broker_request_duration_seconds_count', **produce)
    seconds = total(b, 'oms_broker_request_duration_seconds_sum', **produce) - total(a, 'oms_broker_request_duration_seconds_sum', **produce)
    parts = [f'{label}: {count:.0f} Produce requests, {seconds / count * 1000 if count else 0:.1f} ms mean']
    for metric, name in (('oms_raft_write_seconds', 'write'), ('oms_raft_follower_append_seconds', 'follower append'),
                         ('oms_raft_log_flush_seconds', 'flush')):
        for labels, _ in b.get(metric + '_count', []):
            if labels.get('topic') != topic or total(b, metric + '_count', **labels) - total(a, metric + '_count', **labels) <= 0:
                continue
            q = {lb.get('quantile'): v for lb, v in b.get(metric, []) if lb.get('topic') == topic and lb.get('partition') == labels['partition']}
            parts.append(f"{topic}-{labels['partition']} {name} {q.get('0.5', 0) * 1000:.1f} / {q.get('0.99', 0) * 1000:.1f} ms")
    print('  ' + '; '.join(parts))


if __name__ == '__main__':
    main()
