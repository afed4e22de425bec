#!/usr/bin/python3
"""collections_eval.py - the quality column of scripts/bench/collections.sh.

  collections_eval.py knn OUT TRUTH.npy NQ        recall@10 against numpy's brute force
  collections_eval.py fts OUT REF NQ              agreement of the top 10 with FTS5's
  collections_eval.py hybrid OUT FTSREF TRUTH.npy NQ   recall@10 against RRF (k 60) of
                                                  the exact vector top 10 and FTS5's top 10

OUT is either SQL output (one id per line, each query's rows followed by
a line END: sqlite3 and sochdb-sql) or the LanceDB driver's (one line of
ids per query). Prints "R F": the mean recall (or agreement) over the
first NQ queries, and the fraction of queries that returned exactly
min(10, rows that qualify) rows.
"""
import sys

import numpy as np


def results(path, nq):
    text = open(path).read()
    if "END" in text:
        out, cur = [], []
        for line in text.splitlines():
            if line == "END":
                out.append(cur)
                cur = []
            elif line.strip():
                cur.append(int(line.split("\t")[0]))
    else:
        out = [[int(t) for t in line.split()] for line in text.splitlines()]
    if len(out) < nq:
        sys.exit("collections_eval.py: %s has %d queries, want %d" % (path, len(out), nq))
    return out[:nq]


def score(got, want):
    rec, full = [], 0
    for g, w in zip(got, want):
        w = [i for i in w if i >= 0]
        rec.append(len(set(g) & set(w)) / len(w) if w else float(not g))
        full += len(g) == len(w)
    return sum(rec) / len(rec), full / len(got)


def main():
    cmd = sys.argv[1]
    if cmd == "knn":
        nq = int(sys.argv[4])
        want = np.load(sys.argv[3])[:nq, :10].tolist()
        r, f = score(results(sys.argv[2], nq), want)
    elif cmd == "fts":
        nq = int(sys.argv[4])
        r, f = score(results(sys.argv[2], nq), results(sys.argv[3], nq))
    else:
        nq = int(sys.argv[5])
        fts = results(sys.argv[3], nq)
        vec = np.load(sys.argv[4])[:nq, :10].tolist()
        want = []
        for v, t in zip(vec, fts):
            s = {}
            for lst in (v, t):
                for r, i in enumerate(lst):
                    s[i] = s.get(i, 0.0) + 1.0 / (60 + r + 1)
            want.append([i for _, i in sorted((-x, i) for i, x in s.items())[:10]])
        r, f = score(results(sys.argv[2], nq), want)
    print("%.3f %.3f" % (r, f))


main()
