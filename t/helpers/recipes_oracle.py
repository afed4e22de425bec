#!/usr/bin/python3
"""recipes_oracle.py - the independent side of t/2370-sql-recipes.bats.

Generates a seeded collection (documents with text, JSON metadata and a
384-d float32 embedding) and computes with numpy (and python's sqlite3
FTS5 for keyword ranks) what the man page's recipes must answer, so the
test compares sochdb-sql's output against a computation that shares no
code with it.

  recipes_oracle.py gen DIR N             docs.jsonl, base.npy, meta.json, queries
  recipes_oracle.py knn DIR QI K [CAT YEAR] [--state FILE]   expected ids, one a line
  recipes_oracle.py check-knn DIR QI K GOT [CAT YEAR] [--state FILE] [--min-recall R]
  recipes_oracle.py hybrid DIR QI WORDS K GOT [--state FILE]
  recipes_oracle.py vec DIR NAME          a JSON array (queries and cache vectors)

A state file (JSON) records the recipe mutations applied so far:
{"deleted": [ids], "updated": {id: {"qi": QI, "year": Y, "text": T}},
 "inserted": {id: {"qi": QI, "cat": C, "year": Y, "text": T}}}; an updated
or inserted row's embedding is query QI.
"""
import json
import sqlite3
import sys

import numpy as np

D = 384
CATS = ["news", "tech", "food"]
WORDS = ("vector search keyword ranking fusion hybrid dense sparse index query model "
         "embedding token retrieval reciprocal rank graph store table row cache answer "
         "prompt filter metadata update delete insert collection semantic").split()


def jarr(v):
    return "[" + ",".join(repr(float(t)) for t in np.asarray(v, dtype=np.float32)) + "]"


def gen(d, n):
    r = np.random.default_rng(2370)
    x = r.standard_normal((n, D)).astype(np.float32)
    q = r.standard_normal((8, D)).astype(np.float32)
    meta = []
    with open(d + "/docs.jsonl", "w") as f:
        for i in range(n):
            words = [WORDS[j] for j in r.integers(0, len(WORDS), int(r.integers(4, 14)))]
            text = " ".join(words + ["doc%d" % (i + 1)])
            m = {"cat": CATS[int(r.integers(0, 3))], "year": int(r.integers(2015, 2026))}
            meta.append({"id": i + 1, "text": text, **m})
            f.write(json.dumps({"id": i + 1, "text": text, "metadata": m,
                                "emb": [float(t) for t in x[i]]}) + "\n")
    np.save(d + "/base.npy", x)
    np.save(d + "/queries.npy", q)
    # cache prompts: three embeddings, a near copy of each (cosine distance
    # well under 0.1), one at distance ~0.15 of entry 0 and a far one
    c = r.standard_normal((3, D)).astype(np.float32)
    vecs = {"c%d" % i: c[i] for i in range(3)}
    for i in range(3):
        vecs["near%d" % i] = c[i] + 0.1 * r.standard_normal(D).astype(np.float32)
    u = r.standard_normal(D).astype(np.float32)
    u -= (u @ c[0]) / (c[0] @ c[0]) * c[0]
    u *= np.linalg.norm(c[0]) / np.linalg.norm(u)
    vecs["mid0"] = c[0] + 0.6 * u          # cos = 1/sqrt(1.36): distance 0.1425
    vecs["far"] = r.standard_normal(D).astype(np.float32)
    for i in range(len(q)):
        vecs["q%d" % i] = q[i]
    np.savez(d + "/vecs.npz", **vecs)
    with open(d + "/meta.json", "w") as f:
        json.dump(meta, f)


def load(d, state):
    x = np.load(d + "/base.npy").astype(np.float64)
    q = np.load(d + "/queries.npy").astype(np.float64)
    meta = json.load(open(d + "/meta.json"))
    st = json.load(open(state)) if state else {}
    rows = {}
    for i, m in enumerate(meta):
        rows[m["id"]] = {"emb": x[i], "cat": m["cat"], "year": m["year"], "text": m["text"]}
    for sid, u in st.get("updated", {}).items():
        r = rows[int(sid)]
        r["emb"], r["year"], r["text"] = q[u["qi"]], u["year"], u["text"]
    for sid, u in st.get("inserted", {}).items():
        rows[int(sid)] = {"emb": q[u["qi"]], "cat": u["cat"], "year": u["year"], "text": u["text"]}
    for i in st.get("deleted", []):
        rows.pop(i, None)
    for c in st.get("deleted_cats", []):
        for i in [i for i, r in rows.items() if r["cat"] == c]:
            rows.pop(i)
    return rows, q


def cosine(a, b):
    return 1 - (a @ b) / np.sqrt((a @ a) * (b @ b))


def knn(rows, v, k, cat=None, year=None):
    """[(id, distance)] of the k nearest rows passing the filter, ties by id."""
    c = [(cosine(r["emb"], v), i) for i, r in rows.items()
         if cat is None or (r["cat"] == cat and r["year"] >= year)]
    c.sort()
    return [(i, dd) for dd, i in c[:k]]


def opts(argv):
    state = None
    if "--state" in argv:
        j = argv.index("--state")
        state = argv[j + 1]
        argv = argv[:j] + argv[j + 2:]
    return argv, state


def min_recall(argv):
    if "--min-recall" in argv:
        j = argv.index("--min-recall")
        return argv[:j] + argv[j + 2:], float(argv[j + 1])
    return argv, None


def check_knn(d, qi, k, got, rest, state, min_recall=None):
    rows, q = load(d, state)
    cat, year = (rest[0], int(rest[1])) if rest else (None, None)
    want = knn(rows, q[qi], k, cat, year)
    lines = [l.split("\t") for l in open(got).read().splitlines()]
    assert len(lines) == len(want), "got %d rows, want %d" % (len(lines), len(want))
    if min_recall is not None:
        # an approximate path: each row's distance right, recall at least min_recall
        for l in lines:
            i = int(l[0])
            assert abs(float(l[-1]) - cosine(rows[i]["emb"], q[qi])) < 1e-4, (qi, i)
        r = len({int(l[0]) for l in lines} & {i for i, _ in want}) / len(want)
        assert r >= min_recall, (qi, r)
        print("ok %d rows" % len(lines))
        return
    for (gid, gd), (wid, wd) in zip([(int(l[0]), float(l[-1])) for l in lines], want):
        # the same row, or one at the same distance (float32 vs float64)
        assert gid == wid or abs(gd - wd) < 1e-5, (qi, gid, wid, gd, wd)
        assert abs(gd - wd) < 1e-4, (qi, gid, gd, wd)
        if cat is not None:
            assert rows[gid]["cat"] == cat and rows[gid]["year"] >= year, (gid, rows[gid])
    print("ok %d rows" % len(lines))


def hybrid(d, qi, words, k, got, state):
    rows, q = load(d, state)
    keep = sorted(i for i, r in rows.items() if r["cat"] == "news")
    vlist = [i for i, _ in knn({i: rows[i] for i in keep}, q[qi], k)]
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE f USING fts5(text)")
    db.executemany("INSERT INTO f(rowid, text) VALUES(?, ?)", [(i, r["text"]) for i, r in rows.items()])
    tlist = [r[0] for r in db.execute(
        "SELECT rowid FROM f WHERE f MATCH ? AND rowid IN (%s) ORDER BY rank, rowid LIMIT ?"
        % ",".join(map(str, keep)), (words, k))]
    vr = {i: n + 1 for n, i in enumerate(vlist)}
    tr = {i: n + 1 for n, i in enumerate(tlist)}
    fused = []
    for i in set(vr) | set(tr):
        s = (0.5 / (60 + vr[i]) if i in vr else 0) + (0.5 / (60 + tr[i]) if i in tr else 0)
        fused.append((-s, i))
    fused.sort()
    fused = fused[:k]
    lines = [l.split("\t") for l in open(got).read().splitlines()]
    assert len(lines) == len(fused), (len(lines), len(fused))
    for l, (ns, i) in zip(lines, fused):
        gid, gs, gv, gt, gtext = int(l[0]), float(l[1]), l[2], l[3], l[4]
        assert gid == i, (gid, i)
        assert abs(gs + ns) < 1e-9 * max(1.0, -ns), (gid, gs, -ns)
        assert gv == (str(vr[i]) if i in vr else "\\N"), (gid, gv, vr.get(i))
        assert gt == (str(tr[i]) if i in tr else "\\N"), (gid, gt, tr.get(i))
        assert gtext == rows[i]["text"], (gid, gtext)
    print("ok %d rows, %d from both lists" % (len(lines), len(set(vr) & set(tr) & {i for _, i in fused})))


def main():
    argv, state = opts(sys.argv[1:])
    argv, mr = min_recall(argv)
    cmd, d = argv[0], argv[1]
    if cmd == "gen":
        gen(d, int(argv[2]))
    elif cmd == "knn":
        rows, q = load(d, state)
        rest = argv[4:]
        for i, _ in knn(rows, q[int(argv[2])], int(argv[3]), *((rest[0], int(rest[1])) if rest else ())):
            print(i)
    elif cmd == "check-knn":
        check_knn(d, int(argv[2]), int(argv[3]), argv[4], argv[5:], state, mr)
    elif cmd == "hybrid":
        hybrid(d, int(argv[2]), argv[3], int(argv[4]), argv[5], state)
    elif cmd == "vec":
        print(jarr(np.load(d + "/vecs.npz")[argv[2]]))
    elif cmd == "dist":
        z = np.load(d + "/vecs.npz")
        print("%.9f" % cosine(z[argv[2]].astype(np.float64), z[argv[3]].astype(np.float64)))
    else:
        sys.exit("unknown command " + cmd)


main()
