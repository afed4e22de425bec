#!/usr/bin/env bats
# 2363-sql-spill: sorts and groupings past --memory-limit spill to
# temporary files (lib/sql/sorter.c) and give sqlite3's answers: ORDER BY
# over NULLs, mixed INTEGER/REAL/TEXT/BLOB values, NOCASE and RTRIM
# collations, DESC, NULLS FIRST/LAST and ties (stable, as sqlite3's), rows
# bigger than the run buffers; GROUP BY with every aggregate, HAVING,
# DISTINCT aggregates, collations, joins and LEFT JOIN null rows, groups
# partly in memory and partly spilled; UNION/INTERSECT/EXCEPT (sorted
# on all columns, then merged); SELECT DISTINCT (its first rows in memory,
# the rest sorted, made distinct and put back in order). A 64K limit makes many runs and
# more than one merge pass. A full disk during a spill is a one-line
# error and exit 3 with the database intact; top-k (ORDER BY ... LIMIT)
# stays in memory; spill files never keep a name. Expected output is
# computed by sqlite3 in the test on the same seeded data.

load test_helper

setup() {
	sqlite_ref
	PYTHONPATH="$BATS_TEST_DIRNAME/helpers" /usr/bin/python3 - "$S" <<'PY'
import random, sys
from sqllit import lit
r = random.Random(2363)
texts = ['a', 'A', 'b', 'B', 'abc', 'ABC', 'abc  ', 'Abc ', "it's", 'é', 'É', 'zz', '10', '9']
with open(sys.argv[1], 'w') as f:
    f.write('CREATE TABLE t(id INTEGER PRIMARY KEY, a, b TEXT, c TEXT COLLATE NOCASE, d INTEGER);\n')
    f.write('CREATE TABLE g(k INTEGER PRIMARY KEY, name TEXT, w REAL);\n')
    f.write('BEGIN;\n')
    for i in range(1, 12001):
        k = r.randrange(10)
        if k == 0: a = None
        elif k < 4: a = r.randrange(-300, 300)
        elif k < 6: a = r.randrange(-3000, 3000) / 10 + 0.05
        elif k < 9: a = r.choice(texts)
        else: a = bytes([r.randrange(256)])
        b = None if r.random() < 0.1 else r.choice(texts) + str(r.randrange(40))
        c = None if r.random() < 0.1 else r.choice(texts)
        d = None if r.random() < 0.05 else r.randrange(-20, 400)
        f.write('INSERT INTO t VALUES(%d,%s,%s,%s,%s);\n' % (i, lit(a), lit(b), lit(c), lit(d)))
    for k in range(0, 300, 2):
        f.write('INSERT INTO g VALUES(%d,%s,%s);\n' % (k, lit('n%d' % (k % 37)), lit(r.randrange(1000) / 4)))
    f.write('COMMIT;\n')
PY
	sochdb-sql -d "$D" "$S"
	sqlite3 "$Q" <"$S"
}

# The query's rows are sqlite3's, with a 64K limit (spilling) and with
# the default one.
same_rows() { # QUERY
	local want
	want=$(sqlite3 -csv "$Q" "$1")
	for lim in 64K 256M; do
		run -0 sochdb-sql -d "$D" --memory-limit $lim --format csv --no-header -c "$1"
		[ "$output" = "$want" ] || { echo "query ($lim): $1"; diff <(echo "$want") <(echo "$output") | head -20; return 1; }
	done
}

@test "ORDER BY past the memory limit gives sqlite3's order (NULLs, mixed types, collations, DESC, ties)" {
	for q in \
		"SELECT id, quote(a) FROM t ORDER BY a, id" \
		"SELECT id, quote(a) FROM t ORDER BY a DESC, id DESC" \
		"SELECT id, b FROM t ORDER BY b COLLATE NOCASE, id" \
		"SELECT id, b FROM t ORDER BY b COLLATE RTRIM DESC, id" \
		"SELECT id, c FROM t ORDER BY c, id DESC" \
		"SELECT id, quote(a), d FROM t ORDER BY d NULLS LAST, a NULLS FIRST, id" \
		"SELECT id, d FROM t ORDER BY d DESC NULLS FIRST, id" \
		"SELECT id, quote(a) FROM t ORDER BY a" \
		"SELECT id, c FROM t ORDER BY c DESC" \
		"SELECT id, d, b FROM t ORDER BY d % 7, b" \
		"SELECT t.id, g.name FROM t JOIN g ON g.k = t.d ORDER BY g.name, t.id DESC" \
		"SELECT id FROM t WHERE d > 100 UNION ALL SELECT -id FROM t WHERE d < 50 ORDER BY 1"; do
		same_rows "$q"
	done
}

@test "ORDER BY spills rows bigger than its buffers" {
	sochdb-sql -d "$D" -c "CREATE TABLE big(id INTEGER PRIMARY KEY, x TEXT)" \
		-c "INSERT INTO big SELECT id, substr(replace(hex(zeroblob(200000)), '0', char(97 + id % 26)), 1, 100000 + id * 997) FROM t WHERE id <= 40"
	sqlite3 "$Q" "CREATE TABLE big(id INTEGER PRIMARY KEY, x TEXT)" \
		"INSERT INTO big SELECT id, substr(replace(hex(zeroblob(200000)), '0', char(97 + id % 26)), 1, 100000 + id * 997) FROM t WHERE id <= 40"
	same_rows "SELECT id, length(x), substr(x, 1, 3), hex(substr(x, -2)) FROM big ORDER BY substr(x, 1, 1) DESC, length(x)"
}

@test "GROUP BY past the memory limit gives sqlite3's groups (aggregates, HAVING, DISTINCT, collations)" {
	for q in \
		"SELECT quote(a), count(*), sum(d), total(d), min(b), max(c), count(DISTINCT c) FROM t GROUP BY a" \
		"SELECT b, count(*), group_concat(id), avg(d) FROM t GROUP BY b HAVING count(*) > 2" \
		"SELECT upper(c), count(*), min(id), max(id) FROM t GROUP BY c" \
		"SELECT upper(b), count(*) FROM t GROUP BY b COLLATE NOCASE, d % 3 ORDER BY 2 DESC, 1" \
		"SELECT d, quote(a), count(*), group_concat(DISTINCT c) FROM t GROUP BY d, a" \
		"SELECT id % 1000 AS m, count(*), sum(d) FILTER (WHERE d > 10) FROM t GROUP BY m HAVING sum(d) > 0" \
		"SELECT g.name, count(t.id), sum(t.d), min(g.w) FROM g LEFT JOIN t ON t.d = g.k GROUP BY g.name, g.k % 5" \
		"SELECT t.d, g.name, count(*) FROM t JOIN g ON g.k = t.d GROUP BY t.d, g.name ORDER BY 3, 1" \
		"SELECT count(*) FROM (SELECT DISTINCT d, a FROM t GROUP BY id)"; do
		same_rows "$q"
	done
}

@test "UNION, INTERSECT and EXCEPT past the memory limit give sqlite3's rows (sorted, collations, UNION ALL)" {
	for q in \
		"SELECT quote(a) FROM t UNION SELECT quote(b) FROM t" \
		"SELECT a FROM t INTERSECT SELECT d FROM t" \
		"SELECT b FROM t EXCEPT SELECT c FROM t" \
		"SELECT c FROM t EXCEPT SELECT b FROM t ORDER BY 1 DESC" \
		"SELECT d, upper(c) FROM t UNION SELECT id % 50, upper(b) FROM t ORDER BY 2, 1" \
		"SELECT d FROM t UNION ALL SELECT id FROM t UNION SELECT -id FROM t" \
		"SELECT d FROM t UNION SELECT id FROM t UNION ALL SELECT -id FROM t WHERE id < 100" \
		"SELECT quote(a), d FROM t EXCEPT SELECT quote(a), d FROM t WHERE id % 3 = 0 ORDER BY 2 DESC, 1 LIMIT 20 OFFSET 5" \
		"SELECT upper(c) FROM t INTERSECT SELECT upper(b) FROM t UNION SELECT 'zz'"; do
		same_rows "$q"
	done
	run -3 --separate-stderr env SDB_IO_FAULT=write:1:ENOSPC sochdb-sql -d "$D" --memory-limit 64K -c "SELECT b FROM t UNION SELECT c FROM t"
	[[ $stderr == "sochdb-sql: line 1, column 1: cannot write 'sort spill file': No space left on device" ]]
}

@test "SELECT DISTINCT past the memory limit gives sqlite3's rows in sqlite3's order" {
	for q in \
		"SELECT DISTINCT quote(a) FROM t" \
		"SELECT DISTINCT d, c FROM t" \
		"SELECT DISTINCT id % 5000, d FROM t" \
		"SELECT DISTINCT b COLLATE NOCASE FROM t" \
		"SELECT DISTINCT id % 3000 FROM t LIMIT 10 OFFSET 2900" \
		"SELECT DISTINCT d % 50, upper(c) FROM t ORDER BY 2, 1" \
		"SELECT count(*) FROM (SELECT DISTINCT b, d FROM t)"; do
		same_rows "$q"
	done
}

@test "a full disk during a spill: one line, exit 3, nothing lost; top-k and small sorts never spill" {
	run -3 --separate-stderr env SDB_IO_FAULT=write:1:ENOSPC sochdb-sql -d "$D" --memory-limit 64K -c "SELECT * FROM t ORDER BY b"
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == "sochdb-sql: line 1, column 1: cannot write 'sort spill file': No space left on device" ]]
	run -3 --separate-stderr env SDB_IO_FAULT=write:1:ENOSPC sochdb-sql -d "$D" --memory-limit 64K -c "SELECT id, count(*) FROM t GROUP BY id"
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == *"No space left on device" ]]
	# the same at the default limit: all in memory, nothing written
	run -0 env SDB_IO_FAULT=write:1:ENOSPC sochdb-sql -d "$D" -c "SELECT count(*) FROM (SELECT * FROM t ORDER BY b)"
	[ "$output" = "$(printf 'count(*)\n12000')" ]
	# ORDER BY ... LIMIT keeps its top k in memory
	run -0 env SDB_IO_FAULT=write:1:ENOSPC sochdb-sql -d "$D" --memory-limit 64K --no-header -c "SELECT id FROM t ORDER BY b DESC, id LIMIT 3 OFFSET 100"
	[ "$output" = "$(sqlite3 "$Q" "SELECT id FROM t ORDER BY b DESC, id LIMIT 3 OFFSET 100")" ]
	run -0 sochdb-sql -d "$D" --no-header -c "SELECT count(*), sum(d) FROM t"
	[ "$output" = "$(sqlite3 -tabs "$Q" "SELECT count(*), sum(d) FROM t")" ]
}

@test "spill files have no name: nothing left in the database directory or TMPDIR" {
	before=$(ls -A "$D")
	mkdir "$BATS_TEST_TMPDIR/tmp"
	run -0 env TMPDIR="$BATS_TEST_TMPDIR/tmp" sochdb-sql -d "$D" --memory-limit 64K --no-header -c "SELECT count(*) FROM (SELECT * FROM t ORDER BY c, b)"
	[ "$output" = 12000 ]
	[ "$(ls -A "$D")" = "$before" ]
	# no database yet: the spill goes to TMPDIR
	run -0 env TMPDIR="$BATS_TEST_TMPDIR/tmp" sochdb-sql -d "$BATS_TEST_TMPDIR/none" --memory-limit 64K --no-header \
		-c "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) SELECT i FROM n ORDER BY i % 10, i DESC LIMIT -1 OFFSET 19998"
	[ "$output" = "$(printf '19\n9')" ]
	[ -z "$(ls -A "$BATS_TEST_TMPDIR/tmp")" ]
	[ ! -e "$BATS_TEST_TMPDIR/none" ]
}
