#!/usr/bin/python3
"""hybriddiff.py - hybrid_search() against a reference RRF over the two
ranked lists: the vector list from sochdb-sql's own exact k-NN SELECT
(ORDER BY vec_distance_*, rowid LIMIT k), the keyword list from SQLite's
FTS5 (python3's sqlite3: ORDER BY rank, rowid LIMIT k), both under the
same filter; fused here: alpha/(rrf_k + r_vec) + (1 - alpha)/(rrf_k +
r_text), a missing rank adding 0, best first, ties by id, k rows.

  hybriddiff.py SOCHDB_SQL DIR [--seed N] [--docs N] [--queries N]
"""
import argparse
import json
import random
import sqlite3
import subprocess
import sys

ap = argparse.ArgumentParser()
ap.add_argument("sql")
ap.add_argument("dir")
ap.add_argument("--seed", type=int, default=20261202)
ap.add_argument("--docs", type=int, default=800)
ap.add_argument("--queries", type=int, default=60)
args = ap.parse_args()
rnd = random.Random(args.seed)
words = ("vector search keyword ranking fusion hybrid dense sparse index query "
         "model embedding token retrieval reciprocal rank graph store table row").split()
cats = ["tech", "food", "travel"]
D = 8


def vec():
    return [round(rnd.uniform(-1, 1), 4) for _ in range(D)]


docs = []
for i in range(1, args.docs + 1):
    t = " ".join(rnd.choice(words) for _ in range(rnd.randint(3, 12)))
    v = vec() if rnd.random() > 0.05 else None
    docs.append((i, t, rnd.choice(cats), rnd.randint(2000, 2025), v))


def q(s):
    return "'" + s.replace("'", "''") + "'"


setup = ["CREATE TABLE docs(id INTEGER PRIMARY KEY, body TEXT, cat TEXT, year INT, emb VECTOR(%d));" % D,
         "CREATE VIRTUAL TABLE docs_fts USING fts5(body, content = 'docs', content_rowid = 'id');",
         "BEGIN;"]
for (i, t, c, y, v) in docs:
    setup.append("INSERT INTO docs VALUES(%d, %s, %s, %d, %s);" % (
        i, q(t), q(c), y, "NULL" if v is None else "vector(%s)" % q(json.dumps(v))))
setup.append("COMMIT;")
p = subprocess.run([args.sql, "-d", args.dir], input="\n".join(setup).encode(), capture_output=True)
if p.returncode:
    sys.exit("setup failed: " + p.stderr.decode()[:500])

ref = sqlite3.connect(":memory:")
ref.execute("CREATE TABLE docs(id INTEGER PRIMARY KEY, body TEXT, cat TEXT, year INT)")
ref.execute("CREATE VIRTUAL TABLE docs_fts USING fts5(body, content = 'docs', content_rowid = 'id')")
ref.executemany("INSERT INTO docs VALUES(?, ?, ?, ?)", [(i, t, c, y) for (i, t, c, y, v) in docs])
ref.execute("INSERT INTO docs_fts(docs_fts) VALUES('rebuild')")


def sochdb(sql):
    p = subprocess.run([args.sql, "-d", args.dir, "--no-header", "-c", sql], capture_output=True)
    if p.returncode:
        sys.exit("sochdb-sql failed: %s\n%s" % (sql, p.stderr.decode()))
    return [l.split("\t") for l in p.stdout.decode().splitlines()]


bad = 0
for n in range(args.queries):
    qv = json.dumps(vec())
    text = " OR ".join(rnd.sample(words, rnd.randint(1, 3)))
    k = rnd.choice([1, 5, 10, 20])
    alpha = rnd.choice([0.0, 0.3, 0.5, 0.7, 1.0])
    rrf = rnd.choice([0, 1, 60])
    metric = rnd.choice(["cosine", "l2", "ip"])
    filt = rnd.choice([None, "cat = 'tech'", "year >= 2015", "cat <> 'food' AND year < 2020"])
    w = " AND (%s)" % filt if filt else ""
    vl = [int(r[0]) for r in sochdb("SELECT rowid FROM docs WHERE emb IS NOT NULL%s ORDER BY vec_distance_%s(emb, vector(%s)), rowid LIMIT %d" % (w, metric, q(qv), k))]
    tl = [r[0] for r in ref.execute("SELECT docs_fts.rowid FROM docs_fts JOIN docs ON docs.id = docs_fts.rowid WHERE docs_fts MATCH ?%s ORDER BY rank, docs_fts.rowid LIMIT %d" % (w, k), (text,))]
    rv = {i: r + 1 for r, i in enumerate(vl)}
    rt = {i: r + 1 for r, i in enumerate(tl)}
    want = []
    for i in set(vl) | set(tl):
        s = (alpha / (rrf + rv[i]) if i in rv else 0.0) + ((1 - alpha) / (rrf + rt[i]) if i in rt else 0.0)
        want.append((-s, i))
    want.sort()
    want = want[:k]
    got = sochdb("SELECT id, printf('%%.17g', score), vec_rank, text_rank FROM hybrid_search('docs', 'emb', vector(%s), 'docs_fts', %s, %d, %r, %r, %s, '%s')"
                 % (q(qv), q(text), k, alpha, rrf, "NULL" if filt is None else q(filt), metric))
    ok = len(got) == len(want)
    for (ns, i), g in zip(want, got):
        s = -ns
        if int(g[0]) != i or abs(float(g[1]) - s) > 1e-12 * max(1.0, abs(s)) or \
           g[2] != (str(rv[i]) if i in rv else "\\N") or g[3] != (str(rt[i]) if i in rt else "\\N"):
            ok = False
    if not ok:
        bad += 1
        if bad <= 5:
            print("query %d (k %d, alpha %s, rrf_k %s, %s, filter %s, %r): want %s, got %s" % (
                n, k, alpha, rrf, metric, filt, text, want[:5], got[:5]))
print("hybriddiff: seed %d, %d documents, %d queries, %d differ" % (args.seed, args.docs, args.queries, bad))
sys.exit(1 if bad else 0)
