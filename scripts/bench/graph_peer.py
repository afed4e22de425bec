#!/usr/bin/python3
"""graph_peer.py - data and the networkx peer for scripts/bench/graph.sh.

    graph_peer.py gen DIR NODES EDGES QUERIES SEED
        writes DIR/graph.jsonl (sochdb-graph load), DIR/edges.csv
        (src,type,dst,w for sqlite3 .import), DIR/nodes.csv, DIR/kedges.csv
        (Kuzu COPY), DIR/starts.txt (BFS starts), DIR/pairs.tsv (path
        pairs), DIR/asof.jsonl (a node with 10,000 versions of its edges
        and one with 1 version)
    graph_peer.py nx DIR
        networkx in one process: load edges.csv into a MultiDiGraph, then
        1,000 depth-3 BFS (single_source_shortest_path_length, cutoff 3),
        1,000 bidirectional_shortest_path, 1,000 bidirectional_dijkstra on
        "w"; prints `name seconds` lines and check sums (mean reach, sum of
        hop lengths, sum of distances) that graph.sh compares with ours
    graph_peer.py sum-bfs | sum-path | sum-dijkstra  < sochdb-graph jsonl
        the same check sums from sochdb-graph's batch output
    graph_peer.py median N -- CMD...
        median wall time in ms of N fresh processes of CMD
"""
import json
import os
import subprocess
import sys
import time

TYPES = ["knows", "works_on", "cites", "links"]


def gen(d, n, m, q, seed):
    import numpy as np
    rng = np.random.default_rng(seed)
    # power-law degrees (Chung-Lu): endpoint k drawn with weight k^-0.5 (mean depth-3 reach ~1,100 at 100k nodes),
    # sources and targets through independent permutations
    w = (np.arange(1, n + 1, dtype=np.float64)) ** -0.5
    w /= w.sum()
    ps, pd = rng.permutation(n), rng.permutation(n)
    seen = set()
    src, dst, typ = [], [], []
    while len(src) < m:
        k = (m - len(src)) * 11 // 10 + 16
        s = ps[rng.choice(n, size=k, p=w)]
        t = pd[rng.choice(n, size=k, p=w)]
        ty = rng.integers(0, 4, size=k)
        for a, b, c in zip(s.tolist(), t.tolist(), ty.tolist()):
            key = (a, c, b)
            if key in seen:
                continue
            seen.add(key)
            src.append(a)
            dst.append(b)
            typ.append(c)
            if len(src) == m:
                break
    wt = np.round(rng.uniform(0.1, 10.0, size=m), 2).tolist()
    ntype = rng.integers(0, 3, size=n).tolist()
    nt = ["person", "project", "doc"]
    with open(os.path.join(d, "graph.jsonl"), "w") as f:
        for i in range(n):
            f.write('{"id":"v%d","type":"%s","props":{"rank":%d}}\n' % (i, nt[ntype[i]], i % 100))
        for a, b, c, x in zip(src, dst, typ, wt):
            f.write('{"from":"v%d","type":"%s","to":"v%d","props":{"w":%s}}\n' % (a, TYPES[c], b, x))
    with open(os.path.join(d, "edges.csv"), "w") as f:
        for a, b, c, x in zip(src, dst, typ, wt):
            f.write("v%d,%s,v%d,%s\n" % (a, TYPES[c], b, x))
    with open(os.path.join(d, "nodes.csv"), "w") as f:
        for i in range(n):
            f.write("v%d,%s\n" % (i, nt[ntype[i]]))
    with open(os.path.join(d, "kedges.csv"), "w") as f:
        for a, b, c, x in zip(src, dst, typ, wt):
            f.write("v%d,v%d,%s,%s\n" % (a, b, TYPES[c], x))
    starts = rng.integers(0, n, size=q).tolist()
    with open(os.path.join(d, "starts.txt"), "w") as f:
        f.writelines("v%d\n" % s for s in starts)
    pa, pb = rng.integers(0, n, size=q).tolist(), rng.integers(0, n, size=q).tolist()
    with open(os.path.join(d, "pairs.tsv"), "w") as f:
        f.writelines("v%d\tv%d\n" % ab for ab in zip(pa, pb))
    # neighbors --as-of: hub10k has 10,000 versions of its edges (100
    # targets x 100 consecutive periods), hub1 one version of each of 100
    with open(os.path.join(d, "asof.jsonl"), "w") as f:
        for h in ("hub10k", "hub1"):
            f.write('{"id":"%s","type":"person","props":{}}\n' % h)
        for i in range(100):
            f.write('{"id":"t%d","type":"doc","props":{}}\n' % i)
        for i in range(100):
            for v in range(100):
                f.write('{"from":"hub10k","type":"cites","to":"t%d","valid_from":%d,"valid_until":%d,"props":{"v":%d}}\n'
                        % (i, 1000 + v * 10, 1010 + v * 10, v))
            f.write('{"from":"hub1","type":"cites","to":"t%d","valid_from":1000,"valid_until":2010,"props":{"v":0}}\n' % i)


def peer_nx(d):
    import networkx as nx
    t0 = time.perf_counter()
    G = nx.MultiDiGraph()
    with open(os.path.join(d, "edges.csv")) as f:
        for line in f:
            a, t, b, w = line.rstrip("\n").split(",")
            G.add_edge(a, b, key=t, w=float(w))
    t1 = time.perf_counter()
    print("load %.3f" % (t1 - t0))
    starts = open(os.path.join(d, "starts.txt")).read().split()
    pairs = [x.split("\t") for x in open(os.path.join(d, "pairs.tsv")).read().splitlines()]
    t0 = time.perf_counter()
    reach = 0
    for s in starts:
        if s in G:
            reach += len(nx.single_source_shortest_path_length(G, s, cutoff=3))
        else:
            reach += 1
    t1 = time.perf_counter()
    print("bfs %.3f" % (t1 - t0))
    print("bfs_reach %.1f" % (reach / len(starts)))
    t0 = time.perf_counter()
    hops = found = 0
    for a, b in pairs:
        try:
            hops += len(nx.bidirectional_shortest_path(G, a, b)) - 1
            found += 1
        except (nx.NetworkXNoPath, nx.NodeNotFound):
            pass
    t1 = time.perf_counter()
    print("path %.3f" % (t1 - t0))
    print("path_sum %d %d" % (found, hops))
    t0 = time.perf_counter()
    dist = 0.0
    found = 0
    for a, b in pairs:
        try:
            dist += nx.bidirectional_dijkstra(G, a, b, weight="w")[0]
            found += 1
        except (nx.NetworkXNoPath, nx.NodeNotFound):
            pass
    t1 = time.perf_counter()
    print("dijkstra %.3f" % (t1 - t0))
    print("dijkstra_sum %d %.2f" % (found, dist))


def sums(kind):
    """check sums of sochdb-graph's batch output (jsonl, one record per start)."""
    n = found = 0
    tot = 0.0
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        r = json.loads(line)
        n += 1
        if kind == "bfs":
            tot += len(r.get("nodes", []))
        elif r.get("nodes"):
            found += 1
            if kind == "path":
                tot += r.get("length", len(r["nodes"]) - 1)
            else:
                tot += sum(e.get("props", {}).get("w", 1) for e in r.get("edges", []))
    if kind == "bfs":
        print("%.1f" % (tot / max(n, 1)))
    elif kind == "path":
        print("%d %d" % (found, tot))
    else:
        print("%d %.2f" % (found, tot))


def median(n, cmd):
    ts = []
    for _ in range(n):
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
        ts.append((time.perf_counter() - t0) * 1000)
    ts.sort()
    print("%.3f" % ts[len(ts) // 2])


if __name__ == "__main__":
    c = sys.argv[1]
    if c == "gen":
        gen(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]))
    elif c == "nx":
        peer_nx(sys.argv[2])
    elif c.startswith("sum-"):
        sums(c[4:])
    elif c == "median":
        median(int(sys.argv[2]), sys.argv[4:])
