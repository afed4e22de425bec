#!/usr/bin/env bash
# collections.sh - the full-text part of the collections benchmark (issue
# 12): SQLite's FTS5 (sqlite3 CLI, the peer) and sochdb-sql's FTS5 tables
# on the same synthetic documents (seeded Zipf vocabulary, 8-60 words) in
# the same run: index build time (one transaction of INSERTs into an FTS5
# table), then AND queries (two terms) and OR queries (three terms), each
# `ORDER BY rank LIMIT 10`, as one process per engine and query set;
# queries per second, and whether the top-10 rowids agree (recall of
# sochdb's top 10 against FTS5's). Peak RSS of each process.
#   COLL_BENCH_DOCS=10000 scripts/bench/collections.sh     (development size)
# The vector and hybrid parts (LanceDB) belong to the same script once
# they land.
set -u
cd "$(dirname "$0")/../.." || exit 3
B=${SOCHDB_BUILD:-build}
case $B in /*) ;; *) B=$PWD/$B ;; esac
export PATH=$B/bin:$PATH
N=${COLL_BENCH_DOCS:-100000}
NQ=${COLL_BENCH_QUERIES:-1000}
W=${COLL_BENCH_DIR:-$B/bench/collections}
PY=/usr/bin/python3
mkdir -p "$W"
W=$(cd "$W" && pwd)
command -v sochdb-sql >/dev/null || { echo "collections bench: sochdb-sql not built"; exit 0; }
command -v sqlite3 >/dev/null || { echo "collections bench: sqlite3 missing (scripts/install-deps.sh bench)"; exit 3; }
now() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
rss() { awk '/Maximum resident/ { printf "%.0f MiB", $6 / 1024 }' "$1"; }

$PY - "$W" "$N" "$NQ" <<'PY'
import random, sys
w, n, nq = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(12)
vocab = ["w%d" % i for i in range(20000)]
weights = [1.0 / (i + 1) for i in range(len(vocab))]
cum = []
s = 0
for x in weights:
    s += x
    cum.append(s)
import bisect
def word():
    return vocab[bisect.bisect(cum, rnd.random() * s)]
with open(w + "/load.sql", "w") as f:
    f.write("CREATE VIRTUAL TABLE docs USING fts5(title, body);\nBEGIN;\n")
    for i in range(n):
        t = " ".join(word() for _ in range(rnd.randint(2, 6)))
        b = " ".join(word() for _ in range(rnd.randint(8, 60)))
        f.write("INSERT INTO docs(rowid, title, body) VALUES(%d, '%s', '%s');\n" % (i + 1, t, b))
    f.write("COMMIT;\n")
def mid():
    return vocab[int(rnd.paretovariate(0.8)) % 2000 + 20]
for kind, k, op in (("and", 2, " "), ("or", 3, " OR ")):
    with open("%s/%s.sql" % (w, kind), "w") as f:
        for _ in range(nq):
            q = op.join(mid() for _ in range(k))
            f.write("SELECT rowid FROM docs WHERE docs MATCH '%s' ORDER BY rank LIMIT 10;\n" % q)
PY
echo "collections bench (full text): $N documents, $NQ queries per set, $(sqlite3 --version | cut -d' ' -f1), loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
rm -rf "$W/fts5.db" "$W/sochdb"
t0=$(now); /usr/bin/time -v sqlite3 "$W/fts5.db" < "$W/load.sql" 2>"$W/t1" >/dev/null; t1=$(now)
t2=$(now); /usr/bin/time -v sochdb-sql -d "$W/sochdb" < "$W/load.sql" 2>"$W/t2" >/dev/null; t3=$(now)
a=$(secs "$t0" "$t1"); b=$(secs "$t2" "$t3")
echo "build      fts5 ${a}s ($(rss "$W/t1"))   sochdb ${b}s ($(rss "$W/t2"))   ratio $(awk -v a="$a" -v b="$b" 'BEGIN{printf "%.2f", b/a}') (target <= 1.0)"
for kind in and or; do
	t0=$(now); /usr/bin/time -v sqlite3 "$W/fts5.db" < "$W/$kind.sql" 2>"$W/t1" >"$W/$kind.fts5"; t1=$(now)
	t2=$(now); /usr/bin/time -v sochdb-sql -d "$W/sochdb" --no-header < "$W/$kind.sql" 2>"$W/t2" >"$W/$kind.sochdb"; t3=$(now)
	a=$(secs "$t0" "$t1"); b=$(secs "$t2" "$t3")
	same=$(cmp -s "$W/$kind.fts5" "$W/$kind.sochdb" && echo "identical top-10 rowids" || echo "top-10 rowids differ")
	echo "$kind queries fts5 $(awk -v n="$NQ" -v t="$a" 'BEGIN{printf "%.0f", n/t}') q/s ($(rss "$W/t1"))   sochdb $(awk -v n="$NQ" -v t="$b" 'BEGIN{printf "%.0f", n/t}') q/s ($(rss "$W/t2"))   speedup $(awk -v a="$a" -v b="$b" 'BEGIN{printf "%.2f", a/b}')   $same"
done
