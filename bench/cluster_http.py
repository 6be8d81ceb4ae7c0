#!/usr/bin/env python3
"""Orders over HTTP on a three-node oms cluster: latency through each node, and failover as a client sees it.

    cluster_http.py NODE_ID:HTTP_PORT:PID ...     (bench/cluster-http.sh starts the nodes and calls it)
    cluster_http.py --baseline HTTP_PORT          (the same latency run against one single-mode node)

Latency: POST /orders with the verdict, one request at a time, 200 per node, all for one symbol, so
that one node leads its partition and the two others forward. Failover: orders for that symbol sent
one after another to a node that does not lead it, while the leader is killed with SIGKILL; a failed
request (503, refused) is retried with the same clientOrderId after 50 ms, as a client would.
"""
import json
import os
import signal
import sys
import threading
import time
import urllib.error
import urllib.request

SYMBOL = "BENCH"
baseline = sys.argv[1] == "--baseline"
nodes = [dict(zip(("id", "port", "pid"), map(int, arg.split(":")))) for arg in sys.argv[1:]] if not baseline else []


def post(port, n, timeout=30):
    body = json.dumps({"account": "bench-%d" % (n % 50), "clientOrderId": "b-%d" % n, "symbol": SYMBOL,
                       "side": "BUY" if n % 2 else "SELL", "type": "LIMIT", "price": "10", "quantity": 1}).encode()
    request = urllib.request.Request("http://127.0.0.1:%d/orders" % port, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        return json.load(answer)


def leader_of(port, partition):
    with urllib.request.urlopen("http://127.0.0.1:%d/cluster" % port) as answer:
        info = json.load(answer)
    return next(p["leader"] for p in info["partitions"] if p["topic"] == "orders" and p["partition"] == partition)


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))] * 1000


counter = [0]


def next_id():
    counter[0] += 1
    return counter[0]


if baseline:
    latencies = []
    for _ in range(801):
        start = time.time()
        post(int(sys.argv[2]), next_id())
        latencies.append(time.time() - start)
    latencies = latencies[601:]  # the first 600: warm-up, as on the cluster
    print("- baseline, one node (single mode, same machine, same run): p50 %.1f ms, p99 %.1f ms"
          % (percentile(latencies, 0.5), percentile(latencies, 0.99)))
    sys.exit(0)

partition = int(post(nodes[0]["port"], next_id())["id"].split("-")[0])
leader = leader_of(nodes[0]["port"], partition)
print("symbol %s is in orders-%d, led by node %d" % (SYMBOL, partition, leader))
for i in range(600):  # warm-up, every node's JIT
    post(nodes[i % len(nodes)]["port"], next_id())
for node in nodes:
    latencies = []
    for _ in range(200):
        start = time.time()
        post(node["port"], next_id())
        latencies.append(time.time() - start)
    print("- POST /orders through node %d (%s): p50 %.1f ms, p99 %.1f ms" % (
        node["id"], "the leader" if node["id"] == leader else "forwarded", percentile(latencies, 0.5),
        percentile(latencies, 0.99)))

client = next(n for n in nodes if n["id"] != leader)
acknowledged, failures, stop = [], [0], threading.Event()


def load():
    while not stop.is_set():
        n = next_id()
        for _ in range(400):
            sent = time.time()
            try:
                post(client["port"], n)
                acknowledged.append((sent, time.time()))
                break
            except (urllib.error.URLError, OSError):
                failures[0] += 1
                time.sleep(0.05)
        time.sleep(0.01)


thread = threading.Thread(target=load)
thread.start()
time.sleep(5)
killed_at = time.time()
os.kill(next(n["pid"] for n in nodes if n["id"] == leader), signal.SIGKILL)
time.sleep(15)
stop.set()
thread.join()
after = [done for sent, done in acknowledged if sent >= killed_at]
print("- failover: node %d killed with SIGKILL while orders went to node %d; the first order sent after the kill"
      " was answered %.2f s after it; %d orders acknowledged before the kill, %d after; %d failed attempts retried"
      % (leader, client["id"], min(after) - killed_at, len([1 for s, d in acknowledged if s < killed_at]),
         len(after), failures[0]))
