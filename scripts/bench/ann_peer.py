#!/usr/bin/python3
"""ann_peer.py - time a Python HNSW peer (Debian python3-hnswlib or
python3-faiss) on the benchmark data; called by ann.sh.

  ann_peer.py hnswlib|faiss BASE.npy QUERY.npy TRUTH.npy l2|ip THREADS M EFC [--search]

Prints "build_s S", "peak_rss_kb K" and, with --search, one line
"ef E recall R qps Q" per ef in 16 32 64 128 256 (searching with 1 thread;
QPS is the median of ANN_QREPS runs, default 3). ANN_SEED sets hnswlib's
random_seed (default 100); FAISS's HNSW takes no seed.
"""
import os
import resource
import sys
import time

import numpy as np


def main():
    lib, base, query, truth, metric = sys.argv[1:6]
    threads, m, efc = (int(v) for v in sys.argv[6:9])
    search = "--search" in sys.argv
    x = np.load(base)
    q = np.load(query)
    t = np.load(truth)[:, :10]
    k = 10
    if lib == "hnswlib":
        import hnswlib
        p = hnswlib.Index(space="l2" if metric == "l2" else "ip", dim=x.shape[1])
        p.init_index(max_elements=len(x), M=m, ef_construction=efc, random_seed=int(os.environ.get("ANN_SEED") or 100))
        p.set_num_threads(threads)
        t0 = time.perf_counter()
        p.add_items(x)
        dt = time.perf_counter() - t0

        def run(ef):
            p.set_num_threads(1)
            p.set_ef(ef)
            t0 = time.perf_counter()
            labels, _ = p.knn_query(q, k=k)
            return labels, time.perf_counter() - t0
    else:
        import faiss
        faiss.omp_set_num_threads(threads)
        mt = faiss.METRIC_L2 if metric == "l2" else faiss.METRIC_INNER_PRODUCT
        p = faiss.IndexHNSWFlat(x.shape[1], m, mt)
        p.hnsw.efConstruction = efc
        t0 = time.perf_counter()
        p.add(x)
        dt = time.perf_counter() - t0

        def run(ef):
            faiss.omp_set_num_threads(1)
            p.hnsw.efSearch = ef
            t0 = time.perf_counter()
            _, labels = p.search(q, k)
            return labels, time.perf_counter() - t0
    print("build_s %.4f" % dt)
    print("peak_rss_kb %d" % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    if search:
        reps = int(os.environ.get("ANN_QREPS", "3"))
        for ef in (16, 32, 64, 128, 256):
            times = []
            for _ in range(reps):
                labels, s = run(ef)
                times.append(s)
            s = sorted(times)[len(times) // 2]
            hits = sum(len(set(labels[i]) & set(t[i])) for i in range(len(q)))
            print("ef %d recall %.4f qps %.0f" % (ef, hits / (k * len(q)), len(q) / s))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
