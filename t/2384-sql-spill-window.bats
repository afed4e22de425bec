#!/usr/bin/env bats
# 2384-sql-spill-window: a windowed select's rows go through the external
# sort (by the first window's partition and order keys) and come back one
# partition at a time; with several window definitions each one's results
# go through a sort of their own and the rows back to the first one's
# order. Past --memory-limit the rows are sqlite3's in sqlite3's order:
# PARTITION BY with NULL keys and NOCASE, ORDER BY with ties, NULLS
# FIRST/LAST and DESC, ROWS/RANGE/GROUPS frames and EXCLUDE, the ranking
# and value functions, aggregates with FILTER, windows over GROUP BY and
# over a LEFT JOIN's null rows, named windows; a full disk during the
# sort is one line and exit 3; and 40 MiB of rows in 1,000 partitions at
# a 2 MiB limit keep the peak RSS far below it (one partition in memory).

load test_helper
load helpers/spill

setup() {
	sqlite_ref
	PYTHONPATH="$BATS_TEST_DIRNAME/helpers" /usr/bin/python3 - "$S" <<'PY'
import random, sys
from sqllit import lit, NAMES
r = random.Random(2384)
with open(sys.argv[1], 'w') as f:
    f.write('CREATE TABLE w(id INTEGER PRIMARY KEY, p INTEGER, q TEXT COLLATE NOCASE, o, v, t TEXT);\n')
    f.write('CREATE TABLE g(p INTEGER, name TEXT);\n')
    f.write('BEGIN;\n')
    for i in range(1, 12001):
        p = None if r.random() < 0.02 else r.randrange(40)
        o = None if r.random() < 0.05 else r.randrange(300) if r.random() < 0.8 else r.randrange(300) + 0.5
        v = None if r.random() < 0.05 else r.randrange(-1000, 1000)
        f.write('INSERT INTO w VALUES(%d,%s,%s,%s,%s,%s);\n' % (
            i, lit(p), lit(r.choice(NAMES)), lit(o), lit(v), lit('t%d' % i + 'x' * r.randrange(30))))
    for p in range(0, 50, 2):
        f.write('INSERT INTO g VALUES(%d,%s);\n' % (p, lit('g%d' % p)))
    f.write('COMMIT;\n')
PY
	sochdb-sql -d "$D" "$S"
	sqlite3 "$Q" <"$S"
}

@test "window functions past the memory limit give sqlite3's rows in its order" {
	for q in \
		"SELECT id, p, o, row_number() OVER (PARTITION BY p ORDER BY o, id), rank() OVER (PARTITION BY p ORDER BY o), dense_rank() OVER (PARTITION BY p ORDER BY o) FROM w" \
		"SELECT id, sum(v) OVER (PARTITION BY p ORDER BY o ROWS BETWEEN 3 PRECEDING AND 2 FOLLOWING), count(*) OVER (PARTITION BY p ORDER BY o RANGE BETWEEN 10 PRECEDING AND 10 FOLLOWING) FROM w ORDER BY id" \
		"SELECT id, total(v) OVER (PARTITION BY p ORDER BY o GROUPS BETWEEN 1 PRECEDING AND CURRENT ROW EXCLUDE TIES), min(v) OVER (PARTITION BY p ORDER BY o DESC NULLS FIRST ROWS 5 PRECEDING) FROM w ORDER BY id" \
		"SELECT id, q, lag(t) OVER (PARTITION BY q ORDER BY id), lead(v, 2, -1) OVER (PARTITION BY q ORDER BY id), first_value(t) OVER (PARTITION BY q ORDER BY o NULLS LAST, id) FROM w" \
		"SELECT id, last_value(v) OVER (PARTITION BY p ORDER BY o, id ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING), nth_value(t, 3) OVER (PARTITION BY p ORDER BY id), ntile(7) OVER (PARTITION BY p ORDER BY o, id) FROM w ORDER BY id" \
		"SELECT id, percent_rank() OVER (PARTITION BY p ORDER BY o), cume_dist() OVER (PARTITION BY p ORDER BY o) FROM w ORDER BY id" \
		"SELECT id, row_number() OVER (ORDER BY o DESC, id), sum(v) OVER (PARTITION BY p), count(v) FILTER (WHERE v > 0) OVER (PARTITION BY q ORDER BY id) FROM w" \
		"SELECT id, avg(v) OVER win, group_concat(id, '.') OVER (win ROWS 2 PRECEDING) FROM w WINDOW win AS (PARTITION BY p % 7 ORDER BY o, id) ORDER BY id LIMIT 300 OFFSET 5000" \
		"SELECT p, count(*), sum(v), sum(sum(v)) OVER (ORDER BY p), rank() OVER (ORDER BY count(*) DESC, p) FROM w GROUP BY p" \
		"SELECT w.id, g.name, row_number() OVER (PARTITION BY g.name ORDER BY w.id), count(g.p) OVER (ORDER BY w.id ROWS 10 PRECEDING) FROM w LEFT JOIN g ON g.p = w.p WHERE w.id % 5 = 0" \
		"SELECT id, t, max(t) OVER (PARTITION BY p ORDER BY id ROWS BETWEEN 2 FOLLOWING AND 4 FOLLOWING) FROM w ORDER BY p DESC, id LIMIT 500"; do
		same_rows "$q"
	done
	spills "SELECT id, row_number() OVER (PARTITION BY p ORDER BY o, id) FROM w"
	spills "SELECT id, row_number() OVER (PARTITION BY p ORDER BY o, id), rank() OVER (ORDER BY v) FROM w"
}

@test "40 MiB of rows in 1,000 window partitions at a 2 MiB limit keep the peak RSS far below it" {
	command -v /usr/bin/time >/dev/null || skip "no /usr/bin/time"
	big_db 2384
	sqlite3 "$BATS_TEST_TMPDIR/big.db" 'CREATE TABLE big(id INTEGER PRIMARY KEY, v TEXT)' ".import --csv $C big"
	q="SELECT count(*), sum(rn), sum(length(v)), max(fv) FROM (SELECT v, row_number() OVER (PARTITION BY id % 1000 ORDER BY v) AS rn, first_value(v) OVER (PARTITION BY id % 1000 ORDER BY v) AS fv FROM big)"
	rss_bounded "$B" "$q" "$(sqlite3 -csv "$BATS_TEST_TMPDIR/big.db" "$q")" 2M 16000 24000
	q="SELECT count(*), sum(a), sum(b) FROM (SELECT row_number() OVER (PARTITION BY id % 1000 ORDER BY v) AS a, rank() OVER (PARTITION BY id % 997 ORDER BY id DESC) AS b, v FROM big)"
	rss_bounded "$B" "$q" "$(sqlite3 -csv "$BATS_TEST_TMPDIR/big.db" "$q")" 2M 16000 24000
}
