#!/usr/bin/env bats
# 2383-sql-spill-recursive: past --memory-limit a recursive CTE's queue
# goes to a spool read while it is written (memory, then a temporary file
# of the rows not read yet) and UNION's set of the rows seen to a hash
# file written again as the set in memory fills up: the rows are
# sqlite3's, in sqlite3's order (breadth-first queues, LIMIT/OFFSET, rows
# of several columns, NULLs and 3 = 3.0 as one row under UNION, a graph
# walk over a table), a full disk during the spill is one line and exit
# 3, and a 20 MiB queue or set keeps the peak RSS far below it.

load test_helper
load helpers/spill

setup() {
	sqlite_ref
	PYTHONPATH="$BATS_TEST_DIRNAME/helpers" /usr/bin/python3 - "$S" <<'PY'
import random, sys
from sqllit import lit, NAMES
r = random.Random(2383)
with open(sys.argv[1], 'w') as f:
    f.write('CREATE TABLE e(src INTEGER, dst, w TEXT);\n')
    f.write('BEGIN;\n')
    for i in range(1, 12001):
        a = r.randrange(6000)
        b = r.randrange(6000)
        f.write('INSERT INTO e VALUES(%d,%s,%s);\n' % (a, lit(float(b) if i % 7 == 0 else b),
                                                     lit(r.choice(NAMES) * r.randrange(1, 6))))
    f.write('COMMIT;\n')
PY
	sochdb-sql -d "$D" "$S"
	sqlite3 "$Q" <"$S"
}

TREE="WITH RECURSIVE t(i, d, s) AS (SELECT 1, 0, 'r' UNION ALL SELECT i * 2, d + 1, s || 'L' FROM t WHERE d < 13 UNION ALL SELECT i * 2 + 1, d + 1, s || 'R' FROM t WHERE d < 13)"

@test "a recursive UNION ALL queue past the memory limit gives sqlite3's rows in its order" {
	for q in \
		"$TREE SELECT count(*), sum(i), max(d), sum(length(s)) FROM t" \
		"$TREE SELECT i, d, s FROM t" \
		"$TREE SELECT i, s FROM t LIMIT 40 OFFSET 9000" \
		"$TREE SELECT d, count(*), min(s), max(s) FROM t GROUP BY d ORDER BY d DESC" \
		"WITH RECURSIVE c(n, s) AS (SELECT 1, 'x' UNION ALL SELECT n + 1, s || substr('abcdefghij', n % 10 + 1, 1) FROM c WHERE n < 2500) SELECT n, length(s), substr(s, -12) FROM c" \
		"WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c) SELECT n FROM c LIMIT 5 OFFSET 70000" \
		"WITH RECURSIVE p(node, hop, path) AS (SELECT src, 0, w FROM e WHERE src < 3 UNION ALL SELECT e.dst, hop + 1, path || e.w FROM p JOIN e ON e.src = p.node WHERE hop < 6) SELECT count(*), sum(node), max(length(path)) FROM p"; do
		same_rows "$q"
	done
	spills "$TREE SELECT count(*), sum(i) FROM t"
}

@test "a recursive UNION's set of rows seen past the memory limit gives sqlite3's rows: NULLs, 3 = 3.0, several columns" {
	for q in \
		"WITH RECURSIVE t(i) AS (SELECT 1 UNION SELECT (i * 5) % 30011 FROM t) SELECT count(*), sum(i) FROM t" \
		"WITH RECURSIVE t(i) AS (SELECT 1 UNION SELECT (i * 5) % 30011 FROM t) SELECT i FROM t" \
		"WITH RECURSIVE t(i, s) AS (SELECT 1, 'a' UNION SELECT (i * 5) % 20011, CASE WHEN i % 3 = 0 THEN 'a' ELSE 'bb' END FROM t) SELECT i, s FROM t LIMIT 100 OFFSET 3000" \
		"WITH RECURSIVE t(i, n) AS (SELECT 1, NULL UNION SELECT (i * 5) % 20011, CASE WHEN i % 2 = 0 THEN NULL ELSE i % 7 END FROM t) SELECT count(*), sum(i), count(n), sum(n) FROM t" \
		"WITH RECURSIVE t(i) AS (SELECT 1 UNION SELECT (i * 5) % 20011 FROM t UNION SELECT ((i * 3) % 15013) * 1.0 FROM t) SELECT count(*), sum(i), typeof(max(i)) FROM t" \
		"WITH RECURSIVE r(n) AS (SELECT 0 UNION SELECT e.dst FROM r JOIN e ON e.src = r.n) SELECT count(*), sum(n) FROM r" \
		"WITH RECURSIVE r(n) AS (SELECT 0 UNION SELECT e.dst FROM r JOIN e ON e.src = r.n) SELECT n FROM r ORDER BY n LIMIT 30 OFFSET 2000"; do
		same_rows "$q"
	done
	spills "WITH RECURSIVE t(i) AS (SELECT 1 UNION SELECT (i * 5) % 30011 FROM t) SELECT count(*), sum(i) FROM t"
}

@test "EXPLAIN QUERY PLAN of a recursive CTE says SETUP and RECURSIVE STEP as SQLite" {
	run -0 sochdb-sql -d "$D" -c "EXPLAIN QUERY PLAN WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 5) SELECT * FROM c"
	assert_output "$(printf 'id\tparent\tnotused\tdetail\n2\t0\t0\tCO-ROUTINE c\n3\t2\t0\tSETUP\n4\t3\t0\tSCAN CONSTANT ROW\n5\t2\t0\tRECURSIVE STEP\n6\t5\t0\tSCAN c\n7\t0\t0\tSCAN c')"
	run -0 sochdb-sql -d "$D" -c "EXPLAIN QUERY PLAN WITH RECURSIVE r(n) AS (SELECT 0 UNION SELECT e.dst FROM r JOIN e ON e.src = r.n) SELECT e.w FROM e, r WHERE e.src = r.n"
	assert_line --regexp "(CO-ROUTINE|MATERIALIZE) r$"
	assert_line --partial "RECURSIVE STEP"
	assert_line --partial "SCAN e USING HASH (src=?)"
}

@test "a 20 MiB recursive queue or set of rows seen keeps the peak RSS far below it" {
	command -v /usr/bin/time >/dev/null || skip "no /usr/bin/time"
	# breadth-first: the last two levels (98,304 rows of 200 bytes) queued at once
	q="WITH RECURSIVE t(i, s) AS (SELECT 1, hex(zeroblob(100)) UNION ALL SELECT i * 2, s FROM t WHERE i < 65536 UNION ALL SELECT i * 2 + 1, s FROM t WHERE i < 65536) SELECT count(*), sum(i), sum(length(s)) FROM t"
	rss_bounded "" "$q" "$(sqlite3 -csv :memory: "$q")" 2M 16000 24000
	# 80,000 distinct rows of 200 bytes seen
	q="WITH RECURSIVE t(i, s) AS (SELECT 1, hex(zeroblob(100)) UNION SELECT (i + 7) % 80000, s FROM t) SELECT count(*), sum(i), sum(length(s)) FROM t"
	rss_bounded "" "$q" "$(sqlite3 -csv :memory: "$q")" 8M 24000 30000
}
