#!/usr/bin/python3
"""graph_bitemporal.py - sochdb-graph's two clocks against a brute-force model.

    /usr/bin/python3 t/helpers/graph_bitemporal.py SEED OPS QUERIES

Plays a random timeline on a few nodes and relations through the tool,
every write at its own --now MS (increasing): add-edge with overlapping,
closed and open periods (the same version again, a correction of the same
valid_from, --replace), end-edge --at, del-edge, del-node (then the node
comes back), set-node. A brute-force model keeps every version (valid_from,
valid_until, recorded_at, expired_at, props) following the rules of
lib/graph/graph.h; each write's exit status must match the model's (1 when
nothing held). Then QUERIES random reads at chosen --as-of / --known-at
compare the tool with a plain filter of the model's versions:
  neighbors (out/in/both), get-edge, get-node (props as known then),
  temporal --mode current|at|range (with --edge-type, --known-at),
  history of a relation and of a node (every version, expired ones too).
Prints one line per mismatch and a summary; exits 1 if any.
"""
import json
import os
import random
import subprocess
import sys
import time

TOOL = os.environ.get("SOCHDB_GRAPH", "sochdb-graph")
NS = "tg"
NODES = ["a", "b", "c", "d", "e"]
TYPES = ["x", "y"]
NTYPE = "thing"


class Model:
    def __init__(self):
        self.ev = {}  # (from, type, to) -> [version dict]
        self.nv = {}  # id -> [version dict]

    # ---- edges (graph.h: sdb_graph_add_edge / end_edge / del_edge)
    def add_edge(self, rel, vf, vu, props, now, replace):
        vs = self.ev.setdefault(rel, [])
        live = [v for v in vs if not v["ea"]]
        if replace:
            for v in live:
                if not v["vu"]:
                    v["ea"] = now
            live = [v for v in vs if not v["ea"]]
        for v in live:
            if v["vf"] == vf and v["vu"] == vu and v["props"] == props:
                return 0
            if vu == 0 and v["vu"] == 0 and v["props"] == props and v["vf"] <= vf:
                return 0
        for v in live:
            if v["vf"] == vf:
                v["ea"] = now
        vs.append(dict(vf=vf, vu=vu, ra=now, ea=0, props=props))
        return 0

    def end_edge(self, rel, at, now):
        vs = self.ev.get(rel, [])
        hit = [v for v in vs if not v["ea"] and v["vf"] < at and (not v["vu"] or v["vu"] > at)]
        for v in hit:
            v["ea"] = now
            vs.append(dict(vf=v["vf"], vu=at, ra=now, ea=0, props=v["props"]))
        return 0 if hit else 1

    def del_edge(self, rel, now):
        hit = [v for v in self.ev.get(rel, []) if not v["ea"]]
        for v in hit:
            v["ea"] = now
        return 0 if hit else 1

    # ---- nodes: added open from valid_from 0; set-node corrects the
    # version in place (expired, recorded again with merged props)
    def add_node(self, i, props, now):
        vs = self.nv.setdefault(i, [])
        live = [v for v in vs if not v["ea"]]
        for v in live:
            if v["props"] == props:
                return 0
        for v in live:
            v["ea"] = now
        vs.append(dict(vf=0, vu=0, ra=now, ea=0, props=props, type=NTYPE))
        return 0

    def set_node(self, i, props, now):
        live = [v for v in self.nv.get(i, []) if not v["ea"]]
        if not live:
            return 1
        v = max(live, key=lambda v: (v["vf"], v["ra"]))
        v["ea"] = now
        p = dict(v["props"])
        p.update(props)
        self.nv[i].append(dict(vf=v["vf"], vu=v["vu"], ra=now, ea=0, props=p, type=NTYPE))
        return 0

    def del_node(self, i, now):
        hit = [v for v in self.nv.get(i, []) if not v["ea"]]
        for v in hit:
            v["ea"] = now
        for (f, t, to), vs in self.ev.items():
            if i in (f, to):
                for v in vs:
                    if not v["ea"]:
                        v["ea"] = now
                        hit.append(v)
        return 0 if hit else 1

    # ---- reads
    @staticmethod
    def known(v, k):
        return (v["ra"] <= k and (not v["ea"] or k < v["ea"])) if k is not None else not v["ea"]

    @staticmethod
    def valid(v, a):
        return v["vf"] <= a and (not v["vu"] or a < v["vu"])

    def edges_of(self, x, direction, types, keep):
        out = set()
        for (f, t, to), vs in self.ev.items():
            if types and t not in types:
                continue
            if not ((f == x and direction in ("out", "both")) or (to == x and direction in ("in", "both"))):
                continue
            for v in vs:
                if keep(v):
                    out.add((f, t, to, v["vf"], v["vu"], v["ra"], v["ea"]))
        return out


def vt(e):
    z = lambda k: e.get(k) or 0
    return (e["from"], e["type"], e["to"], z("valid_from"), z("valid_until"), z("recorded_at"), z("expired_at"))


class Run:
    def __init__(self):
        self.bad = 0
        self.n = 0

    def fail(self, what, msg):
        self.bad += 1
        if self.bad <= 40:
            print("MISMATCH %s: %s" % (what, msg))

    def tool(self, args, fmt=True):
        self.n += 1
        p = subprocess.run([TOOL] + args + (["--format", "json"] if fmt else []),
                           capture_output=True, text=True)
        out = None
        if p.returncode == 0 and fmt:
            try:
                out = json.loads(p.stdout)
            except ValueError as ex:
                self.fail(" ".join(args), "bad json %s: %r" % (ex, p.stdout[:200]))
                return -1, None, p.stderr
        return p.returncode, out, p.stderr

    def write(self, args, want):
        rc, _, err = self.tool(args, fmt=False)
        if rc != want:
            self.fail(" ".join(args), "exit %d, model %d (%s)" % (rc, want, err.strip()))

    def cmp_edges(self, what, args, want):
        rc, out, err = self.tool(args)
        if not want and rc == 1:
            return
        if rc != 0:
            self.fail(what, "exit %d (%s), model %d versions" % (rc, err.strip(), len(want)))
            return
        got = [vt(e) for e in out.get("edges", [])]
        if len(got) != len(set(got)):
            self.fail(what, "a version twice")
        got = set(got)
        if got != want:
            self.fail(what, "missing %s extra %s" % (sorted(want - got)[:3], sorted(got - want)[:3]))


def main():
    seed, nops, nq = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    rnd = random.Random(seed)
    m = Model()
    r = Run()
    now = 1000000
    times = [0]
    rels = list({(rnd.choice(NODES), rnd.choice(TYPES), rnd.choice(NODES)) for _ in range(10)})
    for i in NODES:
        now += 1
        r.write(["add-node", NS, i, NTYPE, "--props", '{"k":0}', "--valid-from", "0", "--now", str(now)],
                m.add_node(i, {"k": 0}, now))
    for _ in range(nops):
        now += rnd.randrange(1, 40)
        times.append(now)
        rel = rnd.choice(rels)
        f, t, to = rel
        x = rnd.random()
        if x < 0.55:
            old = [v["vf"] for v in m.ev.get(rel, [])]
            vf = rnd.choice(old) if old and rnd.random() < 0.25 else rnd.randrange(0, 3000) * 10
            vu = 0 if rnd.random() < 0.4 else vf + rnd.randrange(1, 500) * 10
            props = {"p": rnd.randrange(0, 2)}
            rep = rnd.random() < 0.15
            args = ["add-edge", NS, f, t, to, "--prop", "p=%d" % props["p"], "--valid-from", str(vf),
                    "--now", str(now)]
            if vu:
                args += ["--valid-until", str(vu)]
            if rep:
                args.append("--replace")
            r.write(args, m.add_edge(rel, vf, vu, props, now, rep))
            times += [vf, vu]
        elif x < 0.72:
            live = [v for v in m.ev.get(rel, []) if not v["ea"]]
            at = (rnd.choice(live)["vf"] + rnd.randrange(1, 300) * 10) if live and rnd.random() < 0.8 \
                else rnd.randrange(0, 3000) * 10
            r.write(["end-edge", NS, f, t, to, "--at", str(at), "--now", str(now)], m.end_edge(rel, at, now))
            times.append(at)
        elif x < 0.82:
            r.write(["del-edge", NS, f, t, to, "--now", str(now)], m.del_edge(rel, now))
        elif x < 0.87:
            i = rnd.choice(NODES)
            r.write(["del-node", NS, i, "--now", str(now)], m.del_node(i, now))
            now += 1
            times.append(now)
            r.write(["add-node", NS, i, NTYPE, "--props", '{"k":0}', "--valid-from", "0", "--now", str(now)],
                    m.add_node(i, {"k": 0}, now))
        else:
            i = rnd.choice(NODES)
            k = rnd.randrange(1, 1000)
            r.write(["set-node", NS, i, "--prop", "k=%d" % k, "--now", str(now)], m.set_node(i, {"k": k}, now))
    writes = r.n
    real_now = int(time.time() * 1000)

    def pick_t():
        t = rnd.choice(times)
        return max(0, t + rnd.choice([-1, 0, 0, 1, 5]))

    for _ in range(nq):
        k = rnd.choice([None, None] + [pick_t() for _ in range(3)])
        kargs = ["--known-at", str(k)] if k is not None else []
        x = rnd.random()
        if x < 0.3:
            i, d = rnd.choice(NODES), rnd.choice(["out", "in", "both"])
            a = pick_t()
            want = m.edges_of(i, d, None, lambda v: m.valid(v, a) and m.known(v, k))
            r.cmp_edges("neighbors %s %s as-of %d known-at %s" % (i, d, a, k),
                        ["neighbors", NS, i, "--direction", d, "--as-of", str(a)] + kargs, want)
        elif x < 0.45:
            f, t, to = rnd.choice(rels)
            a = pick_t()
            want = set((f, t, to, v["vf"], v["vu"], v["ra"], v["ea"]) for v in m.ev.get((f, t, to), [])
                       if m.valid(v, a) and m.known(v, k))
            r.cmp_edges("get-edge %s %s %s as-of %d known-at %s" % (f, t, to, a, k),
                        ["get-edge", NS, f, t, to, "--as-of", str(a)] + kargs, want)
        elif x < 0.75:
            i, d = rnd.choice(NODES), rnd.choice(["out", "in", "both"])
            types = [rnd.choice(TYPES)] if rnd.random() < 0.3 else None
            targs = ["--edge-type", types[0]] if types else []
            mode = rnd.choice(["current", "at", "range"])
            if mode == "current":
                keep = lambda v: m.valid(v, real_now) and m.known(v, k)
                margs = []
            elif mode == "at":
                a = pick_t()
                keep = lambda v, a=a: m.valid(v, a) and m.known(v, k)
                margs = ["--at", str(a)]
            else:
                lo, hi = sorted([pick_t(), pick_t()])
                hi += 1
                keep = lambda v, lo=lo, hi=hi: v["vf"] < hi and (not v["vu"] or v["vu"] > lo) and m.known(v, k)
                margs = ["--from", str(lo), "--to", str(hi)]
            want = m.edges_of(i, d, types, keep)
            r.cmp_edges("temporal %s %s %s %s known-at %s" % (i, mode, margs, targs, k),
                        ["temporal", NS, i, "--mode", mode, "--direction", d] + margs + targs + kargs, want)
        elif x < 0.88:
            f, t, to = rnd.choice(rels)
            want = set((f, t, to, v["vf"], v["vu"], v["ra"], v["ea"]) for v in m.ev.get((f, t, to), []))
            r.cmp_edges("history %s %s %s" % (f, t, to), ["history", NS, f, t, to], want)
        elif x < 0.94:
            i = rnd.choice(NODES)
            rc, out, err = r.tool(["history", NS, i])
            want = sorted((v["vf"], v["vu"], v["ra"], v["ea"], json.dumps(v["props"], sort_keys=True))
                          for v in m.nv[i])
            if rc != 0:
                r.fail("history %s" % i, "exit %d (%s)" % (rc, err.strip()))
                continue
            z = lambda e, f: e.get(f) or 0
            got = sorted((z(n, "valid_from"), z(n, "valid_until"), z(n, "recorded_at"), z(n, "expired_at"),
                          json.dumps(n.get("props", {}), sort_keys=True)) for n in out.get("nodes", []))
            if got != want:
                r.fail("history %s" % i, "got %s want %s" % (got[:4], want[:4]))
        else:
            i = rnd.choice(NODES)
            a = pick_t()
            vs = [v for v in m.nv[i] if m.valid(v, a) and m.known(v, k)]
            rc, out, err = r.tool(["get-node", NS, i, "--as-of", str(a)] + kargs)
            what = "get-node %s as-of %d known-at %s" % (i, a, k)
            if not vs:
                if rc != 1:
                    r.fail(what, "exit %d, model: absent" % rc)
                continue
            v = max(vs, key=lambda v: (v["vf"], v["ra"]))
            if rc != 0:
                r.fail(what, "exit %d (%s), model %s" % (rc, err.strip(), v["props"]))
                continue
            # get-node writes the one record (or {"nodes":[record]})
            rec = (out.get("nodes") or [{}])[0] if "nodes" in out else out
            got = rec.get("props")
            if got != v["props"]:
                r.fail(what, "props %s, model %s" % (got, v["props"]))
    nv = sum(len(v) for v in m.ev.values())
    print("temporal: seed %d, %d writes, %d edge versions, %d reads, %d mismatches" % (
        seed, writes, nv, r.n - writes, r.bad))
    sys.exit(1 if r.bad else 0)


if __name__ == "__main__":
    main()
