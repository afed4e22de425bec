#!/usr/bin/python3
"""graph_networkx.py - sochdb-graph against networkx on seeded random graphs.

    /usr/bin/python3 t/helpers/graph_networkx.py SEED KIND N M QUERIES [nodelink]

KIND is uniform or powerlaw. Builds a random multigraph (cycles,
self-loops, parallel edges of different types, node types, a numeric
weight "w" on most edges, node properties), writes it as JSONL (or, with
nodelink, as networkx's own node_link_data), loads it with
`sochdb-graph load` into $SOCHDB_DIR, loads the same graph into a
networkx MultiDiGraph, then runs QUERIES random queries through the tool
and compares:
  neighbors   (out/in/both, --edge-types): the neighbour id sets
  traverse    bfs: {id: depth} equals networkx's hop distances within
              --max-depth; dfs: a subset of those, depth >= hop distance,
              the whole reachable set when the depth does not bind, and
              the preorder of a DFS taking neighbours in id order
              (ties broken by node id); every walked edge is real and
              every reached node has one from a node one level up
  path        fewest hops: length equals networkx's, exit 1 when there is
              none within --max-depth; --weight w: the sum of the
              weights of the returned edges (missing = 1, as networkx)
              equals networkx's Dijkstra distance; every returned path is
              a real path (edges exist, types and direction allowed,
              nodes chained) of the claimed length; --all-shortest: the
              set of node sequences networkx's all_shortest_paths gives
  traverse --stdin  one record per start, carrying it, each as above
with edge- and node-type filters and --where. Prints one line per
mismatch and a summary; exits 1 if any.
"""
import json
import os
import random
import subprocess
import sys

import networkx as nx

TOOL = os.environ.get("SOCHDB_GRAPH", "sochdb-graph")
NS = "g"
NODE_TYPES = ["person", "project", "doc"]
EDGE_TYPES = ["knows", "works_on", "cites", "links"]
TEAMS = ["red", "blue", "green"]


def gen(rnd, kind, n, m):
    ids = ["n%d" % i for i in range(n)]
    # a few ids that are not plain ASCII words (taken literally)
    for i in rnd.sample(range(n), min(n, 4)):
        ids[i] = rnd.choice(["n %d" % i, "ü-%d" % i, "n/%d" % i, "N%d" % i])
    nodes = []
    for i in ids:
        props = {"age": rnd.randrange(20, 30), "team": rnd.choice(TEAMS)}
        nodes.append({"id": i, "type": rnd.choice(NODE_TYPES), "props": props})
    if kind == "powerlaw":
        wts = [(k + 1) ** -0.9 for k in range(n)]
        order = ids[:]
        rnd.shuffle(order)

        def pick():
            return rnd.choices(order, weights=wts)[0]
    else:
        def pick():
            return rnd.choice(ids)
    edges = {}
    while len(edges) < m:
        r = rnd.random()
        if r < 0.04:
            u = pick()
            v = u  # self-loop
        elif r < 0.15 and edges:
            u, _, v = rnd.choice(list(edges))  # parallel edge, other type
        else:
            u, v = pick(), pick()
        t = rnd.choice(EDGE_TYPES)
        if (u, t, v) in edges:
            continue
        props = {}
        if rnd.random() < 0.85:
            w = rnd.choice([rnd.randrange(0, 10), round(rnd.uniform(0, 10), 2)])
            props["w"] = w
        if rnd.random() < 0.3:
            props["note"] = "e\"%d\\" % len(edges)
        edges[(u, t, v)] = props
    return nodes, edges


def ekey(e):
    return (e["from"], e["type"], e["to"])


class Checker:
    def __init__(self, nodes, edges):
        self.nodes = {x["id"]: x for x in nodes}
        self.edges = edges
        self.G = nx.MultiDiGraph()
        for x in nodes:
            self.G.add_node(x["id"], type=x["type"], **x["props"])
        for (u, t, v), p in edges.items():
            a = {"type": t}
            if "w" in p:
                a["w"] = p["w"]
            self.G.add_edge(u, v, key=t, **a)
        self.bad = 0
        self.checked = 0
        self.kinds = {}

    def fail(self, what, msg):
        self.bad += 1
        if self.bad <= 40:
            print("MISMATCH %s: %s" % (what, msg))

    # the graph a query walks: edge types, node filter, direction
    def view(self, etypes, keep, direction, start):
        # both: a MultiGraph keyed by the whole edge, so u->v and v->u of
        # one type stay two edges (to_undirected would merge them)
        H = nx.MultiGraph() if direction == "both" else nx.MultiDiGraph()
        ok = [x for x in self.G.nodes if x == start or keep(x)]
        H.add_nodes_from(ok)
        okset = set(ok)
        for u, v, k, d in self.G.edges(keys=True, data=True):
            if etypes and k not in etypes:
                continue
            if u in okset and v in okset:
                if direction == "in":
                    H.add_edge(v, u, key=k, **d)
                else:
                    H.add_edge(u, v, key=(u, k, v), **d)
        return H

    def keep_fn(self, ntypes, where):
        def keep(x):
            a = self.G.nodes[x]
            if ntypes and a["type"] not in ntypes:
                return False
            for k, v in where:
                if a.get(k) != v:
                    return False
            return True
        return keep

    def run(self, args):
        self.checked += 1
        p = subprocess.run([TOOL] + args + ["--format", "json"],
                           capture_output=True, text=True)
        out = None
        if p.returncode == 0:
            try:
                out = json.loads(p.stdout)
            except ValueError as ex:
                self.fail("json", "%s: %s: %r" % (" ".join(args), ex, p.stdout[:200]))
                return -1, None, p.stderr
        return p.returncode, out, p.stderr

    def edge_real(self, e, etypes, direction, a, b):
        """e is a real edge joining a -> b in the walked direction."""
        if ekey(e) not in self.edges:
            return False
        if etypes and e["type"] not in etypes:
            return False
        fw = e["from"] == a and e["to"] == b
        bw = e["from"] == b and e["to"] == a
        return fw if direction == "out" else bw if direction == "in" else (fw or bw)

    def neighbors(self, s, direction, etypes):
        args = ["neighbors", NS, s, "--direction", direction]
        if etypes:
            args += ["--edge-types", ",".join(etypes)]
        want = set()
        for (u, t, v) in self.edges:
            if etypes and t not in etypes:
                continue
            if u == s and direction in ("out", "both"):
                want.add(v)
            if v == s and direction in ("in", "both"):
                want.add(u)
        rc, out, err = self.run(args)
        what = "neighbors %s %s %s" % (s, direction, etypes)
        if rc != 0:
            self.fail(what, "exit %d: %s" % (rc, err.strip()))
            return
        got = set(x["id"] for x in out.get("nodes", []))
        if got != want:
            self.fail(what, "missing %s extra %s" % (sorted(want - got)[:5], sorted(got - want)[:5]))
        for e in out.get("edges", []):
            if ekey(e) not in self.edges or (etypes and e["type"] not in etypes) or s not in (e["from"], e["to"]):
                self.fail(what, "not a real edge of %s: %s" % (s, e))
                break

    def traverse(self, s, order, depth, direction, etypes, ntypes, where):
        args = ["traverse", NS, s, "--order", order, "--max-depth", str(depth),
                "--direction", direction]
        if etypes:
            args += ["--edge-types", ",".join(etypes)]
        if ntypes:
            args += ["--node-types", ",".join(ntypes)]
        for k, v in where:
            args += ["--where", "%s=%s" % (k, v if isinstance(v, str) else json.dumps(v))]
        what = " ".join(args)
        H = self.view(etypes, self.keep_fn(ntypes, where), direction, s)
        want = nx.single_source_shortest_path_length(H, s, cutoff=depth)
        rc, out, err = self.run(args)
        if rc != 0:
            self.fail(what, "exit %d: %s" % (rc, err.strip()))
            return
        got = {}
        for x in out.get("nodes", []):
            if x["id"] in got:
                self.fail(what, "node %r twice" % x["id"])
            got[x["id"]] = x.get("depth")
        if order == "bfs":
            if got != want:
                diff = [(k, got.get(k), want.get(k)) for k in set(got) | set(want) if got.get(k) != want.get(k)]
                self.fail(what, "id,got,want %s" % sorted(diff, key=str)[:6])
                return
            ds = [x.get("depth") for x in out["nodes"]]
            if ds != sorted(ds):
                self.fail(what, "bfs nodes not in depth order")
        else:
            for k, d in got.items():
                if k not in want or d is None or d < want[k] or d > depth:
                    self.fail(what, "dfs node %r depth %r (hop distance %r)" % (k, d, want.get(k)))
                    return
            if depth >= len(self.nodes) and set(got) != set(want):
                self.fail(what, "dfs reach missing %s extra %s" % (
                    sorted(set(want) - set(got))[:5], sorted(set(got) - set(want))[:5]))
                return
            if depth >= len(self.nodes):
                ref = self.dfs_order(H, s)
                seq = [x["id"] for x in out["nodes"]]
                if seq != ref:
                    self.kinds["dfs-order"] = self.kinds.get("dfs-order", 0) + 1
                    self.fail(what, "dfs preorder (ties by node id) got %s want %s" % (seq[:8], ref[:8]))
        if got.get(s) != 0:
            self.fail(what, "start not at depth 0")
        # walked edges: real, one level apart, each reached node has one
        parent = set()
        for e in out.get("edges", []):
            ok = False
            for a, b in ((e["from"], e["to"]), (e["to"], e["from"])):
                if a in got and b in got and got[b] == got[a] + 1 and self.edge_real(e, etypes, direction, a, b):
                    ok = True
                    parent.add(b)
            if not ok and not (e["from"] in got and e["to"] in got and ekey(e) in self.edges):
                self.fail(what, "walked edge not real: %s" % e)
                return
        miss = [k for k in got if k != s and k not in parent]
        if miss:
            self.fail(what, "reached without a walked edge from one level up: %s" % miss[:5])

    def all_shortest(self, a, b, direction, etypes):
        args = ["path", NS, a, b, "--all-shortest", "--direction", direction]
        if etypes:
            args += ["--edge-types", ",".join(etypes)]
        what = " ".join(args)
        H = self.view(etypes, lambda x: True, direction, a)
        try:
            want = set(tuple(p) for p in nx.all_shortest_paths(H, a, b))
        except nx.NetworkXNoPath:
            want = set()
        rc, out, err = self.run(args)
        if not want:
            if rc != 1:
                self.fail(what, "want no path (exit 1), got exit %d" % rc)
            return
        if rc != 0:
            self.fail(what, "exit %d (%s)" % (rc, err.strip()))
            return
        got = set()
        for p in out.get("paths", []):
            ns = tuple(x["id"] if isinstance(x, dict) else x for x in p.get("nodes", []))
            es = p.get("edges", [])
            if len(es) != len(ns) - 1 or p.get("length") != len(es) or any(
                    not self.edge_real(e, etypes, direction, ns[i], ns[i + 1]) for i, e in enumerate(es)):
                self.fail(what, "not a real path: %s" % (ns,))
                return
            got.add(ns)
        if got != want or len(out.get("paths", [])) != len(got):
            self.fail(what, "paths: missing %s extra %s (%d records)" % (
                sorted(want - got)[:3], sorted(got - want)[:3], len(out.get("paths", []))))

    def bfs_batch(self, starts, depth, direction):
        """traverse --stdin: one jsonl record per start, carrying it."""
        self.checked += 1
        args = ["traverse", NS, "--stdin", "--order", "bfs", "--max-depth", str(depth),
                "--direction", direction, "--format", "jsonl"]
        what = " ".join(args)
        p = subprocess.run([TOOL] + args, input="".join(x + "\n" for x in starts),
                           capture_output=True, text=True)
        if p.returncode != 0:
            self.fail(what, "exit %d: %s" % (p.returncode, p.stderr.strip()))
            return
        recs = [json.loads(x) for x in p.stdout.splitlines() if x.strip()]
        if [r.get("start") for r in recs] != starts:
            self.fail(what, "starts %s, sent %s" % ([r.get("start") for r in recs][:5], starts[:5]))
            return
        H = self.view([], lambda x: True, direction, None)
        for s, r in zip(starts, recs):
            want = nx.single_source_shortest_path_length(H, s, cutoff=depth)
            got = {x["id"]: x.get("depth") for x in r.get("nodes", [])}
            if got != want:
                self.fail(what, "start %s: %d nodes, networkx %d" % (s, len(got), len(want)))

    @staticmethod
    def dfs_order(H, s):
        seen = {s}
        out = [s]
        stack = [iter(sorted(set(H.neighbors(s)), key=lambda x: x.encode()))]
        while stack:
            for v in stack[-1]:
                if v not in seen:
                    seen.add(v)
                    out.append(v)
                    stack.append(iter(sorted(set(H.neighbors(v)), key=lambda x: x.encode())))
                    break
            else:
                stack.pop()
        return out

    def path(self, a, b, depth, direction, etypes, ntypes, weight):
        args = ["path", NS, a, b, "--direction", direction]
        if depth is not None:
            args += ["--max-depth", str(depth)]
        if etypes:
            args += ["--edge-types", ",".join(etypes)]
        if ntypes:
            args += ["--node-types", ",".join(ntypes)]
        if weight:
            args += ["--weight", "w"]
        what = " ".join(args)
        H = self.view(etypes, self.keep_fn(ntypes, []), direction, a)
        if b not in H:
            want = None
        else:
            try:
                if weight:
                    want = nx.dijkstra_path_length(H, a, b, weight="w")
                else:
                    want = nx.shortest_path_length(H, a, b)
                    if depth is not None and want > depth:
                        want = None
            except nx.NetworkXNoPath:
                want = None
        rc, out, err = self.run(args)
        if want is None:
            if rc != 1:
                self.fail(what, "want no path (exit 1), got exit %d %s" % (rc, (err or "").strip()))
            return
        if rc != 0:
            self.fail(what, "exit %d (%s), networkx %s" % (rc, err.strip(), want))
            return
        ns, es, ln = out.get("nodes", []), out.get("edges", []), out.get("length")
        ns = [x["id"] if isinstance(x, dict) else x for x in ns]
        if not ns or ns[0] != a or ns[-1] != b or len(es) != len(ns) - 1 or ln != len(es):
            self.fail(what, "malformed path nodes %s edges %d length %r" % (ns[:6], len(es), ln))
            return
        cost = 0
        for i, e in enumerate(es):
            if not self.edge_real(e, etypes, direction, ns[i], ns[i + 1]):
                self.fail(what, "step %d is not a real edge %s -> %s: %s" % (i, ns[i], ns[i + 1], e))
                return
            if i > 0 and ntypes and self.G.nodes[ns[i]]["type"] not in ntypes:
                self.fail(what, "node %s of type %s" % (ns[i], self.G.nodes[ns[i]]["type"]))
                return
            cost += self.edges[ekey(e)].get("w", 1)
        if ntypes and a != b and self.G.nodes[b]["type"] not in ntypes:
            self.fail(what, "target of type %s" % self.G.nodes[b]["type"])
        got = cost if weight else len(es)
        if abs(got - want) > 1e-9 * max(1, abs(want)):
            self.fail(what, "%s %r, networkx %r" % ("distance" if weight else "hops", got, want))


def main():
    seed, kind, n, m, q = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    rnd = random.Random(seed)
    nodes, edges = gen(rnd, kind, n, m)
    d = os.environ["SOCHDB_DIR"] + ".in"
    os.makedirs(d, exist_ok=True)
    fn = os.path.join(d, "graph-%s.jsonl" % kind)
    with open(fn, "w") as f:
        lines = [json.dumps(x, ensure_ascii=False) for x in nodes]
        lines += [json.dumps(dict(frm, props=p), ensure_ascii=False)
                  for frm, p in (({"from": u, "type": t, "to": v}, p) for (u, t, v), p in edges.items())]
        f.write("\n".join(lines) + "\n")
    c = Checker(nodes, edges)
    if len(sys.argv) > 6 and sys.argv[6] == "nodelink":
        # the same graph as networkx writes it (node_link_data: "links",
        # "source"/"target", the type as an attribute and as the key)
        fn = os.path.join(d, "graph-%s.json" % kind)
        with open(fn, "w") as f:
            json.dump(nx.node_link_data(c.G), f, ensure_ascii=False)
    p = subprocess.run([TOOL, "load", NS, fn], capture_output=True, text=True)
    if p.returncode != 0:
        print("load failed: exit %d: %s" % (p.returncode, p.stderr.strip()))
        sys.exit(1)
    ids = list(c.nodes)
    dirs = ["out", "in", "both"]

    def etypes():
        return sorted(rnd.sample(EDGE_TYPES, rnd.randrange(1, 3))) if rnd.random() < 0.4 else []

    def ntypes():
        return sorted(rnd.sample(NODE_TYPES, 2)) if rnd.random() < 0.25 else []

    for i in range(q):
        r = rnd.random()
        if r < 0.2:
            c.neighbors(rnd.choice(ids), rnd.choice(dirs), etypes())
        elif r < 0.45:
            where = [("team", rnd.choice(TEAMS))] if rnd.random() < 0.1 else []
            if rnd.random() < 0.05:
                where = [("age", rnd.randrange(20, 30))]
            c.traverse(rnd.choice(ids), "bfs", rnd.randrange(0, 5), rnd.choice(dirs), etypes(), ntypes(), where)
        elif r < 0.6:
            depth = rnd.choice([rnd.randrange(1, 5), len(ids) + 1])
            c.traverse(rnd.choice(ids), "dfs", depth, rnd.choice(dirs), etypes(), ntypes(), [])
        elif r < 0.85:
            a = rnd.choice(ids)
            b = a if rnd.random() < 0.05 else rnd.choice(ids)
            c.path(a, b, rnd.choice([None, rnd.randrange(1, 6)]), rnd.choice(dirs), etypes(), ntypes(), False)
        elif r < 0.95:
            c.path(rnd.choice(ids), rnd.choice(ids), None, rnd.choice(dirs), etypes(), ntypes(), True)
        elif r < 0.98:
            c.all_shortest(rnd.choice(ids), rnd.choice(ids), rnd.choice(dirs), etypes())
        else:
            c.bfs_batch([rnd.choice(ids) for _ in range(8)], rnd.randrange(0, 4), rnd.choice(dirs))
    print("networkx %s: seed %d, %d nodes, %d edges, %d queries, %d mismatches" % (
        kind, seed, n, m, c.checked, c.bad))
    sys.exit(1 if c.bad else 0)


if __name__ == "__main__":
    main()
