#!/usr/bin/python3
# hnsw_oracle.py - numpy brute force for the SQL HNSW tests (t/2302, t/stress).
#
# HNSW_NQ=N in the environment limits sql and check to the first N queries.
#   data DIR N DIM SEED [CLUSTERS [norm]]  DIR/base.npy (clustered float32), DIR/q.npy
#                                   (queries near cluster centres), DIR/qc.txt
#                                   (each query's cluster)
#   sql DIR FILTERSET METRIC K       SQL on stdout: for every filter and query
#                                   "SELECT 'name', qi, id FROM docs WHERE ... ORDER BY
#                                   vec_distance_METRIC(emb, 'q') LIMIT K;"
#   check DIR FILTERSET METRIC K GOT MIN_RECALL
#                                   GOT: tsv lines name, qi, id. Reads the rows as
#                                   committed from DIR/rows.tsv (id, cat, grp,
#                                   emb as JSON, NULL as \N). Prints one line per
#                                   filter (recall, rows); exit 1 when a filter's
#                                   recall@K is below MIN_RECALL or a query got
#                                   other than min(K, matching) rows.
#   recall DIR FILTERSET METRIC K GOT   prints the mean recall of all (one number)
#   more DIR N FIRST SEED            DIR/more.npy: N vectors near random rows of
#                                   base.npy, DIR/more_ids.npy: ids FIRST..FIRST+N-1
import json
import os
import sys

import numpy as np

FILTERS = {
    # name: (SQL with {qc} for the query's cluster, python predicate)
    "all": ("", lambda cat, grp, ids, qc: np.ones(len(ids), bool)),
    "p10": ("WHERE cat < 10", lambda cat, grp, ids, qc: cat < 10),
    "p1": ("WHERE cat = 42", lambda cat, grp, ids, qc: cat == 42),
    "p01": ("WHERE cat = 42 AND id % 10 = 3",
            lambda cat, grp, ids, qc: (cat == 42) & (ids % 10 == 3)),
    "corr": ("WHERE grp = {qc}", lambda cat, grp, ids, qc: grp == qc),
    "anti": ("WHERE grp = ({qc} + 25) % 50", lambda cat, grp, ids, qc: grp == (qc + 25) % 50),
    "anti10": ("WHERE grp % 10 = ({qc} + 5) % 10",
               lambda cat, grp, ids, qc: grp % 10 == (qc + 5) % 10),
}
SETS = {
    "std": ["all", "p10", "p1", "p01", "corr", "anti", "anti10"],
    "all": ["all"],
    "graph": ["p10", "p1", "corr"],
    "churn": ["all", "p10", "corr"],
}


def dist(metric, x, v):
    if metric == "l2":
        return ((x - v) ** 2).sum(1)
    if metric == "ip":
        return 1 - x @ v
    nx = np.sqrt((x * x).sum(1))
    nx[nx == 0] = 1
    nv = np.sqrt(v @ v) or 1
    return 1 - (x @ v) / (nx * nv)


def main():
    mode, d = sys.argv[1], sys.argv[2]
    if mode == "data":
        n, dim, seed = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
        nc = int(sys.argv[6]) if len(sys.argv) > 6 else 50
        r = np.random.default_rng(seed)
        centres = r.standard_normal((nc, dim)) * 2
        grp = np.arange(n) % nc
        x = (centres[grp] + r.standard_normal((n, dim))).astype(np.float32)
        if len(sys.argv) > 7 and sys.argv[7] == "norm":
            x /= np.linalg.norm(x, axis=1, keepdims=True)
        np.save(d + "/base.npy", x)
        nq = 40
        qc = r.integers(0, nc, nq)
        q = (centres[qc] + r.standard_normal((nq, dim))).astype(np.float32)
        np.save(d + "/q.npy", q)
        np.savetxt(d + "/qc.txt", qc, fmt="%d")
        return
    if mode == "more":
        # more N FIRST SEED: DIR/more.npy, DIR/more_ids.npy (ids FIRST..)
        n, first, seed = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
        x = np.load(d + "/base.npy")
        r = np.random.default_rng(seed)
        pick = r.integers(0, len(x), n)
        y = (x[pick] + 0.5 * r.standard_normal((n, x.shape[1]))).astype(np.float32)
        np.save(d + "/more.npy", y)
        np.save(d + "/more_ids.npy", np.arange(first, first + n, dtype=np.int64))
        return
    fset, metric, k = sys.argv[3], sys.argv[4], int(sys.argv[5])
    q = np.load(d + "/q.npy")
    qc = np.loadtxt(d + "/qc.txt", dtype=np.int64)
    # HNSW_NQ: only the first so many queries (sql and check alike)
    nq = min(len(q), int(os.environ.get("HNSW_NQ", len(q))))
    q, qc = q[:nq], qc[:nq]
    if mode == "sql":
        for name in SETS[fset]:
            w = FILTERS[name][0]
            for i in range(nq):
                lit = "[" + ",".join("%.9g" % t for t in q[i]) + "]"
                print("SELECT '%s', %d, id FROM docs %s ORDER BY vec_distance_%s(emb, '%s') LIMIT %d;"
                      % (name, i, w.format(qc=qc[i]), metric, lit, k))
        return
    got = {}
    for line in open(sys.argv[6]):
        a, b, c = line.rstrip("\n").split("\t")
        got.setdefault((a, int(b)), []).append(int(c))
    ids, cat, grp, vecs = [], [], [], []
    for line in open(d + "/rows.tsv"):
        f = line.rstrip("\n").split("\t")
        if f[3] == "\\N":
            continue  # NULL vectors are not in the index
        ids.append(int(f[0]))
        cat.append(int(f[1]))
        grp.append(int(f[2]))
        vecs.append(json.loads(f[3]))
    ids, cat, grp = np.array(ids), np.array(cat), np.array(grp)
    x = np.array(vecs, dtype=np.float32).astype(np.float64)
    bad = 0
    allrec = []
    for name in SETS[fset]:
        pred = FILTERS[name][1]
        rec, short = [], 0
        for i in range(len(q)):
            keep = pred(cat, grp, ids, qc[i])
            cand = np.nonzero(keep)[0]
            dd = dist(metric, x[cand], q[i].astype(np.float64))
            order = np.argsort(dd, kind="stable")
            want = cand[order[:k]]
            g = got.get((name, i), [])
            if len(g) != min(k, len(cand)):
                short += 1
            if len(want) == 0:
                rec.append(1.0)
                continue
            # ties at the k-th distance: any of the tied rows is right
            kth = dd[order[min(k, len(cand)) - 1]]
            ok = set(ids[cand[dd <= kth + 1e-6]])
            rec.append(min(1.0, len(ok & set(g)) / len(want)))
        r = float(np.mean(rec))
        allrec += rec
        sel = float(np.mean(pred(cat, grp, ids, qc[0]))) * 100
        if mode == "check":
            print("%-7s sel %6.2f%%  recall@%d %.4f  wrong-count %d" % (name, sel, k, r, short))
            if r < float(sys.argv[7]) or short:
                bad = 1
    if mode == "recall":
        print("%.4f" % float(np.mean(allrec)))
    sys.exit(bad)


main()
