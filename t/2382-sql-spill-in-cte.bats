#!/usr/bin/env bats
# 2382-sql-spill-in-cte: past --memory-limit an uncorrelated IN (SELECT
# ...) set goes to a hash file (the values in buckets of their hash in an
# unlinked temporary file, the probe's bucket read per row) and the rows
# of a subquery, view or CTE read again for each outer row go to a spool
# (memory, then a temporary file read back from its start): the answers
# are sqlite3's (INTEGER, REAL and TEXT mixed, affinity, NOCASE, NULLs in
# the set and on the left, NOT IN, empty sets, duplicates, LEFT/RIGHT/FULL
# joins on a materialized side, correlated subqueries beside them), a
# full disk during the spill is one line and exit 3, and the peak RSS of
# a 40 MiB set or CTE at a 2 MiB limit stays far below it.

load test_helper
load helpers/spill

setup() {
	sqlite_ref
	PYTHONPATH="$BATS_TEST_DIRNAME/helpers" /usr/bin/python3 - "$S" <<'PY'
import random, sys
from sqllit import lit, NAMES
r = random.Random(2382)
with open(sys.argv[1], 'w') as f:
    f.write('CREATE TABLE a(id INTEGER PRIMARY KEY, k, nm TEXT COLLATE NOCASE, v TEXT);\n')
    f.write('CREATE TABLE b(id INTEGER PRIMARY KEY, k, sk TEXT, nm TEXT);\n')
    f.write('CREATE VIEW av AS SELECT id, k, v FROM a WHERE id % 2 = 0;\n')
    f.write('BEGIN;\n')
    for i in range(1, 20001):
        c = r.randrange(10)
        k = None if c == 0 else r.randrange(-2000, 2000) if c < 6 else r.randrange(-2000, 2000) + 0.5 \
            if c < 7 else float(r.randrange(-2000, 2000)) if c < 8 else str(r.randrange(-2000, 2000)) \
            if c < 9 else r.choice(NAMES)
        f.write('INSERT INTO a VALUES(%d,%s,%s,%s);\n' % (
            i, lit(k), lit(r.choice(NAMES) + str(i % 700)), lit('v%d' % i + 'x' * r.randrange(40))))
    for i in range(1, 3001):
        c = r.randrange(8)
        k = None if c == 0 else r.randrange(-2500, 2500) if c < 5 else float(r.randrange(-2500, 2500)) \
            if c < 6 else r.randrange(-2500, 2500) + 0.5 if c < 7 else r.choice(NAMES)
        f.write('INSERT INTO b VALUES(%d,%s,%s,%s);\n' % (
            i, lit(k), lit(None if c == 0 else str(r.randrange(-2500, 2500))),
            lit(r.choice(NAMES).upper() + str(r.randrange(900)))))
    f.write('COMMIT;\n')
PY
	sochdb-sql -d "$D" "$S"
	sqlite3 "$Q" <"$S"
}

@test "IN (SELECT ...) past the memory limit gives sqlite3's answers: types, affinity, NULLs, NOT IN, empty sets" {
	for q in \
		"SELECT count(*), sum(id) FROM b WHERE k IN (SELECT k FROM a)" \
		"SELECT id, k IN (SELECT k FROM a WHERE id > 50), k NOT IN (SELECT k FROM a) FROM b ORDER BY id" \
		"SELECT id, k NOT IN (SELECT k FROM a WHERE k IS NOT NULL) FROM b ORDER BY id" \
		"SELECT count(*) FROM b WHERE k NOT IN (SELECT k FROM a)" \
		"SELECT count(*), sum(id) FROM b WHERE sk IN (SELECT k FROM a)" \
		"SELECT count(*), sum(id) FROM b WHERE sk + 0 IN (SELECT k FROM a)" \
		"SELECT id FROM b WHERE nm IN (SELECT nm FROM a) ORDER BY id" \
		"SELECT id FROM b WHERE nm COLLATE NOCASE IN (SELECT nm FROM a) ORDER BY id" \
		"SELECT id, k IN (SELECT k FROM a WHERE 0), k NOT IN (SELECT k FROM a WHERE 0) FROM b WHERE id < 20 ORDER BY id" \
		"SELECT id, k IN (SELECT k + 0.5 FROM a UNION ALL SELECT k FROM a) FROM b ORDER BY id" \
		"SELECT b.id, (SELECT count(*) FROM a WHERE a.k IN (SELECT k FROM b WHERE b.id > 100)) FROM b WHERE id < 4" \
		"SELECT id FROM b WHERE k IN (SELECT k FROM a WHERE a.id % 1000 = b.id % 1000) ORDER BY id"; do
		same_rows "$q"
	done
	spills "SELECT count(*), sum(id) FROM b WHERE k IN (SELECT k FROM a)"
}

@test "a CTE, subquery or view read again per outer row past the memory limit gives sqlite3's rows" {
	for q in \
		"WITH c AS (SELECT id, k, v FROM a) SELECT count(*), sum(b.id), sum(length(c.v)) FROM b, c WHERE b.id <= 150 AND c.k = b.k" \
		"WITH c AS (SELECT id, k, v FROM a) SELECT b.id, c.id, c.v FROM b LEFT JOIN c ON c.k = b.k WHERE b.id <= 120 ORDER BY 1, 2" \
		"WITH c AS (SELECT id, k, nm FROM a WHERE id % 3 > 0) SELECT c1.id, count(c2.id) FROM c c1 LEFT JOIN c c2 ON c2.nm = c1.nm AND c2.id < c1.id WHERE c1.id < 40 GROUP BY c1.id" \
		"SELECT b.id, s.id, s.v FROM b JOIN (SELECT id, k, v FROM a ORDER BY v DESC) s ON s.k = b.k WHERE b.id % 40 = 0 ORDER BY 1, 2" \
		"SELECT b.id, count(av.id), max(av.v) FROM b LEFT JOIN av ON av.k = b.k WHERE b.id < 90 GROUP BY b.id ORDER BY 1" \
		"WITH c AS (SELECT id, k, v FROM a) SELECT x.n, count(*), sum(c.id) FROM (SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3) x LEFT JOIN c ON c.id % 3 = x.n - 1 GROUP BY x.n" \
		"WITH c AS (SELECT id, k, v FROM a) SELECT b.id, (SELECT count(*) FROM c WHERE c.k = b.k) FROM b WHERE b.id < 60 ORDER BY 1"; do
		same_rows "$q"
	done
	spills "WITH c AS (SELECT id, k, v FROM a) SELECT count(*), sum(b.id), sum(length(c.v)) FROM b LEFT JOIN c ON c.k = b.k WHERE b.id <= 5"
}

@test "RIGHT and FULL JOIN with a materialized right side past the memory limit give sqlite3's rows" {
	command -v sqlite3 >/dev/null && sqlite3 "$Q" "SELECT 1 FROM b RIGHT JOIN a ON 0 LIMIT 0" || skip "sqlite3 before 3.39: no RIGHT JOIN"
	for q in \
		"WITH c AS (SELECT id, k, v FROM a) SELECT count(*), count(b.id), count(c.id), sum(c.id) FROM (SELECT * FROM b WHERE id <= 40) b RIGHT JOIN c ON c.k = b.k" \
		"WITH c AS (SELECT id, k, v FROM a WHERE id % 4 = 0) SELECT b.id, c.id FROM (SELECT * FROM b WHERE id <= 30) b FULL JOIN c ON c.k = b.k ORDER BY 2, 1"; do
		same_rows "$q"
	done
}

@test "a 40 MiB IN set or CTE at a 2 MiB limit keeps the peak RSS far below it" {
	command -v /usr/bin/time >/dev/null || skip "no /usr/bin/time"
	big_db 2382
	q="SELECT count(*), sum(id) FROM big WHERE v IN (SELECT v FROM big WHERE id % 2 = 0)"
	rss_bounded "$B" "$q" "100000,10000100000" 2M 16000 24000
	q="WITH c AS (SELECT id, v FROM big) SELECT x.n, count(*), sum(length(c.v)) FROM (SELECT 1 AS n UNION ALL SELECT 2) x LEFT JOIN c ON c.id % 2 = x.n - 1 GROUP BY x.n"
	rss_bounded "$B" "$q" "$(printf '1,100000,20000000\n2,100000,20000000')" 2M 16000 24000
}
