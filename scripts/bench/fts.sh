#!/usr/bin/env bash
# fts.sh - the full-text benchmark of issue 12: SQLite's FTS5 (sqlite3
# CLI, the peer) and sochdb-sql's FTS5 tables on the same synthetic
# documents in the same run (the generator of collections.sh: seed 12,
# a Zipf vocabulary of 20,000 words, titles of 2-6 and bodies of 8-60
# words), one process per engine and step:
#   build    one transaction of INSERTs into an fts5 table
#   rebuild  INSERT INTO e(e) VALUES('rebuild') of an external-content
#            table over a table already loaded (the load is not timed)
#   and/or   1,000 queries `WHERE docs MATCH '...' ORDER BY rank LIMIT 10`
#            of two terms (AND) and of three (OR), and the same AND set
#            ordered by bm25(docs)
# Ratios are same-run; the top-10 rowids of every query are compared
# (ties in score may be listed in either order by the two engines, so a
# difference is reported, not hidden). loadavg printed beside the figures;
# the build and rebuild lines give the ratio by CPU time (user + system)
# beside the wall-clock one.
#   FTS_BENCH_DOCS=20000 scripts/bench/fts.sh     (development size)
# Run it under `flock /work/tools/bench.lock` on a shared machine.
set -u
cd "$(dirname "$0")/../.." || exit 3
B=${SOCHDB_BUILD:-build}
case $B in /*) ;; *) B=$PWD/$B ;; esac
export PATH=$B/bin:$PATH
N=${FTS_BENCH_DOCS:-100000}
NQ=${FTS_BENCH_QUERIES:-1000}
W=${FTS_BENCH_DIR:-$B/bench/fts}
PY=/usr/bin/python3
mkdir -p "$W"
W=$(cd "$W" && pwd)
command -v sochdb-sql >/dev/null || { echo "fts bench: sochdb-sql not built"; exit 0; }
command -v sqlite3 >/dev/null || { echo "fts bench: sqlite3 missing (scripts/install-deps.sh bench)"; exit 3; }
now() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
rss() { awk '/Maximum resident/ { printf "%.0f MiB", $6 / 1024 }' "$1"; }
# CPU seconds (user + system) of a /usr/bin/time -v report: a shared,
# loaded machine disturbs them far less than wall time
cpu() { awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.3f", s }' "$1"; }
cpuratio() { awk -v a="$(cpu "$1")" -v b="$(cpu "$2")" 'BEGIN { if (a > 0) printf "%.2f", b / a; else print "-" }'; }
la() { cut -d' ' -f1-3 /proc/loadavg; }

$PY - "$W" "$N" "$NQ" <<'PY'
import random, sys, bisect
w, n, nq = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(12)
vocab = ["w%d" % i for i in range(20000)]
cum = []
s = 0
for i in range(len(vocab)):
    s += 1.0 / (i + 1)
    cum.append(s)
def word():
    return vocab[bisect.bisect(cum, rnd.random() * s)]
rows = []
for i in range(n):
    t = " ".join(word() for _ in range(rnd.randint(2, 6)))
    b = " ".join(word() for _ in range(rnd.randint(8, 60)))
    rows.append("(%d, '%s', '%s')" % (i + 1, t, b))
with open(w + "/load.sql", "w") as f:
    f.write("CREATE VIRTUAL TABLE docs USING fts5(title, body);\nBEGIN;\n")
    for r in rows:
        f.write("INSERT INTO docs(rowid, title, body) VALUES%s;\n" % r)
    f.write("COMMIT;\n")
with open(w + "/src.sql", "w") as f:
    f.write("CREATE TABLE src(id INTEGER PRIMARY KEY, title, body);\nBEGIN;\n")
    for r in rows:
        f.write("INSERT INTO src VALUES%s;\n" % r)
    f.write("COMMIT;\nCREATE VIRTUAL TABLE e USING fts5(title, body, content='src', content_rowid='id');\n")
with open(w + "/rebuild.sql", "w") as f:
    f.write("INSERT INTO e(e) VALUES('rebuild');\n")
def mid():
    return vocab[int(rnd.paretovariate(0.8)) % 2000 + 20]
for kind, k, op, order in (("and", 2, " ", "rank"), ("or", 3, " OR ", "rank")):
    with open("%s/%s.sql" % (w, kind), "w") as f:
        for _ in range(nq):
            q = op.join(mid() for _ in range(k))
            f.write("SELECT rowid FROM docs WHERE docs MATCH '%s' ORDER BY %s LIMIT 10;\n" % (q, order))
with open(w + "/and.sql") as f, open(w + "/bm25.sql", "w") as g:
    for line in f:
        g.write(line.replace("ORDER BY rank", "ORDER BY bm25(docs)"))
PY
echo "fts bench: $N documents, $NQ queries per set, sqlite $(sqlite3 --version | cut -d' ' -f1), loadavg $(la)"
rm -rf "$W/fts5.db" "$W/sochdb" "$W/ext.db" "$W/sochext"
t0=$(now); /usr/bin/time -v sqlite3 "$W/fts5.db" < "$W/load.sql" 2>"$W/t1" >/dev/null; t1=$(now)
t2=$(now); /usr/bin/time -v sochdb-sql -d "$W/sochdb" < "$W/load.sql" 2>"$W/t2" >/dev/null; t3=$(now)
a=$(secs "$t0" "$t1"); b=$(secs "$t2" "$t3")
echo "build      fts5 ${a}s ($(rss "$W/t1"), cpu $(cpu "$W/t1")s)   sochdb ${b}s ($(rss "$W/t2"), cpu $(cpu "$W/t2")s)   ratio $(awk -v a="$a" -v b="$b" 'BEGIN{printf "%.2f", b/a}') (target <= 1.0), by CPU time $(cpuratio "$W/t1" "$W/t2")   loadavg $(la)"
sqlite3 "$W/ext.db" < "$W/src.sql" >/dev/null
sochdb-sql -d "$W/sochext" < "$W/src.sql" >/dev/null
t0=$(now); /usr/bin/time -v sqlite3 "$W/ext.db" < "$W/rebuild.sql" 2>"$W/t1" >/dev/null; t1=$(now)
t2=$(now); /usr/bin/time -v sochdb-sql -d "$W/sochext" < "$W/rebuild.sql" 2>"$W/t2" >/dev/null; t3=$(now)
a=$(secs "$t0" "$t1"); b=$(secs "$t2" "$t3")
echo "rebuild    fts5 ${a}s ($(rss "$W/t1"), cpu $(cpu "$W/t1")s)   sochdb ${b}s ($(rss "$W/t2"), cpu $(cpu "$W/t2")s)   ratio $(awk -v a="$a" -v b="$b" 'BEGIN{printf "%.2f", b/a}') (target <= 1.0), by CPU time $(cpuratio "$W/t1" "$W/t2")   loadavg $(la)"
for kind in and or bm25; do
	t0=$(now); /usr/bin/time -v sqlite3 "$W/fts5.db" < "$W/$kind.sql" 2>"$W/t1" >"$W/$kind.fts5"; t1=$(now)
	t2=$(now); /usr/bin/time -v sochdb-sql -d "$W/sochdb" --no-header < "$W/$kind.sql" 2>"$W/t2" >"$W/$kind.sochdb"; t3=$(now)
	a=$(secs "$t0" "$t1"); b=$(secs "$t2" "$t3")
	same=$(cmp -s "$W/$kind.fts5" "$W/$kind.sochdb" && echo "identical top-10 rowids" ||
		echo "top-10 rowids differ on $(diff "$W/$kind.fts5" "$W/$kind.sochdb" | grep -c '^<') lines")
	tgt=4; [ "$kind" = or ] && tgt=20
	printf '%-4s queries fts5 %s q/s (%s)   sochdb %s q/s (%s)   speedup %s (target >= %s)   %s   loadavg %s\n' "$kind" \
		"$(awk -v n="$NQ" -v t="$a" 'BEGIN{printf "%.0f", n/t}')" "$(rss "$W/t1")" \
		"$(awk -v n="$NQ" -v t="$b" 'BEGIN{printf "%.0f", n/t}')" "$(rss "$W/t2")" \
		"$(awk -v a="$a" -v b="$b" 'BEGIN{printf "%.2f", a/b}')" "$tgt" "$same" "$(la)"
done
