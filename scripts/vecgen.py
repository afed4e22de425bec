#!/usr/bin/python3
"""vecgen.py - seeded clustered test vectors with exact ground truth.

Run with /usr/bin/python3 (Debian's numpy). Writes PREFIX.base.npy,
PREFIX.query.npy (float32) and PREFIX.truth.npy (int32, the K nearest base
rows of each query, nearest first) for the given metric.

  vecgen.py PREFIX --n 10000 --dim 32 --queries 200 [--clusters 50]
            [--metric l2|ip|cosine] [--normalize] [--k 100] [--seed 1]
"""
import argparse
import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("prefix")
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--dim", type=int, default=32)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--clusters", type=int, default=50)
    ap.add_argument("--metric", default="l2")
    ap.add_argument("--normalize", action="store_true")
    ap.add_argument("--k", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    centers = rng.normal(0, 1, (a.clusters, a.dim)).astype(np.float32)
    spread = rng.uniform(0.2, 0.5, a.clusters).astype(np.float32)

    def draw(m):
        c = rng.integers(0, a.clusters, m)
        x = centers[c] + rng.normal(0, 1, (m, a.dim)).astype(np.float32) * spread[c, None]
        if a.normalize:
            x /= np.linalg.norm(x, axis=1, keepdims=True)
        return np.ascontiguousarray(x, dtype=np.float32)

    base = draw(a.n)
    query = draw(a.queries)
    k = min(a.k, a.n)
    b = base
    if a.metric == "cosine":
        b = base / np.maximum(np.linalg.norm(base, axis=1, keepdims=True), 1e-30)
    truth = np.empty((a.queries, k), dtype=np.int32)
    bn = (b * b).sum(axis=1)
    for s in range(0, a.queries, 100):
        q = query[s:s + 100]
        if a.metric == "l2":
            d = bn[None, :] - 2 * q @ b.T
        else:
            if a.metric == "cosine":
                q = q / np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-30)
            d = -(q @ b.T)
        part = np.argpartition(d, k - 1, axis=1)[:, :k]
        rows = np.arange(len(q))[:, None]
        order = np.argsort(d[rows, part], axis=1, kind="stable")
        truth[s:s + 100] = part[rows, order]
    np.save(a.prefix + ".base.npy", base)
    np.save(a.prefix + ".query.npy", query)
    np.save(a.prefix + ".truth.npy", truth)


if __name__ == "__main__":
    main()
