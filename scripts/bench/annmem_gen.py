#!/usr/bin/python3
"""annmem_gen.py - large seeded clustered vectors written in chunks.

  annmem_gen.py OUT.npy --n N --dim D [--clusters C] [--normalize] [--seed S]
                [--queries Q --query-out Q.npy]

The same model as scripts/vecgen.py (Gaussian clusters, per-cluster
spread; queries from the same clusters) but streamed into a memory-mapped .npy 100,000 rows at a time, so
10M x 96 needs no more than a chunk of memory. No ground truth: annmem.sh
computes it for a few queries.
"""
import argparse
import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--dim", type=int, required=True)
    ap.add_argument("--clusters", type=int, default=100)
    ap.add_argument("--normalize", action="store_true")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--queries", type=int, default=0)
    ap.add_argument("--query-out")
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    centers = rng.normal(0, 1, (a.clusters, a.dim)).astype(np.float32)
    spread = rng.uniform(0.2, 0.5, a.clusters).astype(np.float32)

    def draw(k):
        c = rng.integers(0, a.clusters, k)
        x = centers[c] + rng.standard_normal((k, a.dim), dtype=np.float32) * spread[c, None]
        if a.normalize:
            x /= np.linalg.norm(x, axis=1, keepdims=True)
        return x

    m = np.lib.format.open_memmap(a.out, mode="w+", dtype=np.float32, shape=(a.n, a.dim))
    step = 100000
    for s in range(0, a.n, step):
        k = min(step, a.n - s)
        m[s:s + k] = draw(k)
    m.flush()
    if a.queries:
        np.save(a.query_out, np.ascontiguousarray(draw(a.queries), dtype=np.float32))


if __name__ == "__main__":
    main()
