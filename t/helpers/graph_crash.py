#!/usr/bin/python3
"""graph_crash.py - inputs and checks for t/3102-graph-crash.bats.

    graph_crash.py star FILE HUB N            a node HUB with N out-edges
                                              (and its N spokes), JSONL
    graph_crash.py count NS ID DIR [ARGS...]  prints N M: how many nodes
                                              and edges `neighbors NS ID
                                              --direction DIR ARGS` lists
                                              (-1 -1 when exit 1)
    graph_crash.py group FILE J K             node xJ, edge root -has-> xJ
                                              and xJ -has-> lJ_1..lJ_K
    graph_crash.py reader NS K SECONDS        traverses root (bfs, depth 2)
                                              again and again: every xJ
                                              seen has exactly K leaves,
                                              no leaf without its xJ
                                              (one snapshot per read);
                                              prints the reads made
"""
import json
import subprocess
import sys
import time

TOOL = "sochdb-graph"


def star(fn, hub, n):
    with open(fn, "w") as f:
        f.write('{"id":"%s","type":"hub","props":{}}\n' % hub)
        for i in range(n):
            f.write('{"id":"%s-s%d","type":"spoke","props":{}}\n' % (hub, i))
        for i in range(n):
            f.write('{"from":"%s","type":"t","to":"%s-s%d","props":{"i":%d}}\n' % (hub, hub, i, i))


def count(ns, i, d, extra):
    p = subprocess.run([TOOL, "neighbors", ns, i, "--direction", d, "--format", "json"] + extra,
                       capture_output=True, text=True)
    if p.returncode == 1:
        print("-1 -1")
        return
    if p.returncode != 0:
        sys.stderr.write("neighbors: exit %d: %s" % (p.returncode, p.stderr))
        sys.exit(3)
    o = json.loads(p.stdout)
    print("%d %d" % (len(o.get("nodes", [])), len(o.get("edges", []))))


def group(fn, j, k):
    with open(fn, "w") as f:
        f.write('{"id":"x%d","type":"mid","props":{}}\n' % j)
        for i in range(k):
            f.write('{"id":"l%d_%d","type":"leaf","props":{}}\n' % (j, i))
        f.write('{"from":"root","type":"has","to":"x%d","props":{}}\n' % j)
        for i in range(k):
            f.write('{"from":"x%d","type":"has","to":"l%d_%d","props":{}}\n' % (j, j, i))


def reader(ns, k, secs):
    end = time.time() + secs
    n = 0
    while time.time() < end:
        p = subprocess.run([TOOL, "traverse", ns, "root", "--order", "bfs", "--max-depth", "2",
                            "--edge-types", "has", "--format", "json"], capture_output=True, text=True)
        if p.returncode != 0:
            print("reader: traverse exit %d: %s" % (p.returncode, p.stderr.strip()))
            sys.exit(1)
        o = json.loads(p.stdout)
        mids = set()
        leaves = {}
        for x in o.get("nodes", []):
            if x["id"].startswith("x") and x.get("depth") == 1:
                mids.add(x["id"][1:])
            elif x["id"].startswith("l") and x.get("depth") == 2:
                j = x["id"][1:].split("_")[0]
                leaves[j] = leaves.get(j, 0) + 1
        for j in mids | set(leaves):
            if j not in mids or leaves.get(j, 0) != k:
                print("reader: torn snapshot: x%s %s, %d of %d leaves" % (
                    j, "seen" if j in mids else "absent", leaves.get(j, 0), k))
                sys.exit(1)
        n += 1
    print(n)


if __name__ == "__main__":
    c = sys.argv[1]
    if c == "star":
        star(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif c == "count":
        count(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:])
    elif c == "group":
        group(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif c == "reader":
        reader(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
