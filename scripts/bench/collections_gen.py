#!/usr/bin/python3
"""collections_gen.py - the data of scripts/bench/collections.sh, seeded.

  collections_gen.py DIR N NQ

Writes into DIR:
  base.npy, query.npy    N x 128 clustered float32 vectors and NQ queries,
                         drawn as scripts/vecgen.py draws them for
                         scripts/bench/ann.sh (100 Gaussian clusters, seed
                         1234: the same vectors at N 100k, NQ 1000)
  truth_P.npy            int32 NQ x 10, the exact 10 nearest (squared L2,
                         numpy brute force) among the rows whose bucket <
                         P*10, for P in 100 10 1 0.1 (selectivity in %);
                         (-1 where fewer than 10 rows pass);
                         bucket(id) = (id * 2654435761 mod 2^32) mod 1000,
                         a hash of the row id, uncorrelated with the vectors
  docs.tsv, load.sql     N synthetic documents (seeded Zipf vocabulary,
                         10-60 words), row i is document i; load.sql makes
                         an FTS5 table docs(body) of them in one transaction
  and.txt, or.txt        NQ queries: two terms (AND), three terms (OR)
  hybrid.txt             NQ keyword sides of the hybrid queries: two terms OR
  sql/*.sql              the query files run by sqlite3 and sochdb-sql: one
                         statement per query (two lines), each followed by
                         SELECT 'END' (collections.sh runs the first lines
                         of a file for a shorter set)
"""
import bisect
import os
import random
import sys

import numpy as np

DIM = 128
SELS = [("100", 1000), ("10", 100), ("1", 10), ("0.1", 1)]


def bucket(ids):
    return (ids.astype(np.uint64) * np.uint64(2654435761) % np.uint64(2 ** 32) % np.uint64(1000)).astype(np.int64)


def vectors(n, nq):
    # scripts/vecgen.py's draws with ann.sh's sift settings (100 clusters,
    # seed 1234): at 100k x 128 and 1,000 queries, ann.sh's very vectors
    rng = np.random.default_rng(1234)
    centers = rng.normal(0, 1, (100, DIM)).astype(np.float32)
    spread = rng.uniform(0.2, 0.5, 100).astype(np.float32)

    def draw(m):
        c = rng.integers(0, 100, m)
        return np.ascontiguousarray(centers[c] + rng.normal(0, 1, (m, DIM)).astype(np.float32) * spread[c, None])
    return draw(n), draw(nq)


def truth(x, q, out):
    b = bucket(np.arange(len(x)))
    x64 = x.astype(np.float64)
    xx = (x64 * x64).sum(1)
    res = {p: np.zeros((len(q), 10), np.int32) for p, _ in SELS}
    for s in range(0, len(q), 50):
        qq = q[s:s + 50].astype(np.float64)
        d = xx[None, :] - 2 * qq @ x64.T
        for p, lim in SELS:
            dm = np.where(b[None, :] < lim, d, np.inf)
            part = np.argpartition(dm, 10, axis=1)[:, :10]
            dd = np.take_along_axis(dm, part, 1)
            order = dd.argsort(1, kind="stable")
            ids = np.take_along_axis(part, order, 1)
            ids[np.take_along_axis(dd, order, 1) == np.inf] = -1   # fewer than 10 rows pass
            res[p][s:s + 50] = ids
    for p, _ in SELS:
        np.save("%s/truth_%s.npy" % (out, p), res[p])


def docs(n, nq, out):
    rnd = random.Random(12)
    vocab = ["w%d" % i for i in range(20000)]
    cum, s = [], 0.0
    for i in range(len(vocab)):
        s += 1.0 / (i + 1)
        cum.append(s)

    def word():
        return vocab[bisect.bisect(cum, rnd.random() * s)]
    with open(out + "/docs.tsv", "w") as t, open(out + "/load.sql", "w") as f:
        f.write("CREATE VIRTUAL TABLE docs USING fts5(body);\nBEGIN;\n")
        for i in range(n):
            body = " ".join(word() for _ in range(rnd.randint(10, 60)))
            t.write("%d\t%s\n" % (i, body))
            f.write("INSERT INTO docs(rowid, body) VALUES(%d, '%s');\n" % (i, body))
        f.write("COMMIT;\n")

    def mid():
        return vocab[int(rnd.paretovariate(0.8)) % 2000 + 20]
    for kind, k in (("and", 2), ("or", 3), ("hybrid", 2)):
        with open("%s/%s.txt" % (out, kind), "w") as f:
            for _ in range(nq):
                f.write(" ".join(mid() for _ in range(k)) + "\n")


def jarr(v):
    return "[" + ",".join("%.9g" % t for t in v) + "]"   # 9 digits: the float32 exactly


def sqlfiles(q, out):
    os.makedirs(out + "/sql", exist_ok=True)
    for p, lim in SELS:
        with open("%s/sql/knn_%s.sql" % (out, p), "w") as f:
            where = "" if lim == 1000 else "WHERE bucket < %d " % lim
            for v in q:
                f.write("SELECT id FROM items %sORDER BY vec_distance_l2(emb, '%s') LIMIT 10;\nSELECT 'END';\n"
                        % (where, jarr(v)))
    for kind, op in (("and", " "), ("or", " OR ")):
        with open("%s/sql/%s.sql" % (out, kind), "w") as f:
            for line in open("%s/%s.txt" % (out, kind)):
                f.write("SELECT rowid FROM docs WHERE docs MATCH '%s' ORDER BY rank LIMIT 10;\nSELECT 'END';\n"
                        % op.join(line.split()))
    texts = open(out + "/hybrid.txt").read().splitlines()
    with open(out + "/sql/hybrid_fts.sql", "w") as f:
        for t in texts:
            f.write("SELECT rowid FROM docs WHERE docs MATCH '%s' ORDER BY rank LIMIT 10;\nSELECT 'END';\n"
                    % " OR ".join(t.split()))
    with open(out + "/sql/hybrid.sql", "w") as f:
        for v, t in zip(q, texts):
            f.write("SELECT id FROM hybrid_search('items', 'emb', vector('%s'), 'docs', '%s', 10, 0.5, 60, NULL, 'l2');\n"
                    "SELECT 'END';\n" % (jarr(v), " OR ".join(t.split())))


def main():
    out, n, nq = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    x, q = vectors(n, nq)
    np.save(out + "/base.npy", x)
    np.save(out + "/query.npy", q)
    np.save(out + "/bucket.npy", bucket(np.arange(n)).astype(np.int32))
    truth(x, q, out)
    docs(n, nq, out)
    sqlfiles(q, out)


main()
