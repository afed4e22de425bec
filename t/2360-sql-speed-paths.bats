#!/usr/bin/env bats
# 2360-sql-speed-paths: the access paths of issue 10's performance work
# give sqlite3's answers: index range scans (BETWEEN, <, <=, >, >= after
# equalities, mixed types, NULLs, empty ranges, reverse order), covering
# reads from index keys alone (count(*), indexed columns, NOCASE columns
# that must come from the row), top-k ORDER BY ... LIMIT ... OFFSET; and
# EXPLAIN QUERY PLAN names the same index use as sqlite3 (SEARCH ... USING
# [COVERING] INDEX ... (a=? AND b>? AND b<?)). Expected output is computed
# by sqlite3 in the test on the same seeded data.

load test_helper

setup() {
	sqlite_ref schema.sql
	PYTHONPATH="$BATS_TEST_DIRNAME/helpers" /usr/bin/python3 - "$S" <<'PY'
import random, sys
from sqllit import lit
r = random.Random(2360)
vals = [None, 1, 2, 3, 5, 5, 7, 2.5, -4, 'a', 'B', 'b', 'abc', '5', 'zz']
with open(sys.argv[1], 'w') as f:
    f.write('CREATE TABLE t(id INTEGER PRIMARY KEY, a, b TEXT, c REAL, d INTEGER);\n')
    f.write('CREATE INDEX ta ON t(a);\nCREATE INDEX tab ON t(a, b);\n')
    f.write('CREATE INDEX tbn ON t(b COLLATE NOCASE, c);\nCREATE INDEX td ON t(d);\n')
    f.write('BEGIN;\n')
    for i in range(1, 3001):
        f.write('INSERT INTO t VALUES(%d,%s,%s,%s,%s);\n' % (i, lit(r.choice(vals)),
                lit(r.choice(['a', 'A', 'b', 'B', 'abc', 'Abc', None, 'x'])),
                lit(r.choice([None, 1.5, 2.0, 3, -1.25])), lit(r.choice([None, r.randint(-50, 50)]))))
    f.write('COMMIT;\n')
PY
	sochdb-sql -d "$D" "$S"
	sqlite3 "$Q" <"$S"
}

# Each query's rows are sqlite3's (sorted when the query has no ORDER BY).
same_rows() { # QUERY [sorted]
	local want got
	want=$(sqlite3 -csv "$Q" "$1")
	run -0 sochdb-sql -d "$D" --format csv --no-header -c "$1"
	got=$output
	if [ "${2:-}" = sorted ]; then
		want=$(printf '%s\n' "$want" | sort)
		got=$(printf '%s\n' "$got" | sort)
	fi
	[ "$got" = "$want" ] || { echo "query: $1"; diff <(echo "$want") <(echo "$got"); return 1; }
}

@test "index range scans give sqlite3's rows" {
	for q in \
		"SELECT id FROM t WHERE a BETWEEN 2 AND 5" \
		"SELECT id, a FROM t WHERE a > 3" \
		"SELECT id, a FROM t WHERE a >= 2.5" \
		"SELECT id, a FROM t WHERE a < 3" \
		"SELECT id, a FROM t WHERE a <= 'a'" \
		"SELECT id, a FROM t WHERE a > 'a'" \
		"SELECT id FROM t WHERE a BETWEEN 7 AND 2" \
		"SELECT id FROM t WHERE a > NULL" \
		"SELECT id, a, b FROM t WHERE a = 5 AND b > 'a'" \
		"SELECT id, a, b FROM t WHERE a = 5 AND b BETWEEN 'a' AND 'b'" \
		"SELECT id, b FROM t WHERE b > 'a' COLLATE NOCASE" \
		"SELECT id, d FROM t WHERE d > -10 AND d < 10" \
		"SELECT id, d FROM t WHERE d >= 49" \
		"SELECT id, d FROM t WHERE d < '7'" \
		"SELECT id, d FROM t WHERE d BETWEEN 1.5 AND 3.5"; do
		same_rows "$q" sorted
	done
	same_rows "SELECT a, id FROM t WHERE a > 2 ORDER BY a, id"
	same_rows "SELECT a FROM t WHERE a BETWEEN 2 AND 7 ORDER BY a DESC"
	same_rows "SELECT d FROM t WHERE d < 0 ORDER BY d DESC"
}

@test "covering reads and counts through an index give sqlite3's values" {
	for q in \
		"SELECT count(*) FROM t WHERE a = 5" \
		"SELECT count(*) FROM t WHERE d BETWEEN -5 AND 5" \
		"SELECT a, typeof(a), id FROM t WHERE a = 5" \
		"SELECT a, b, typeof(b) FROM t WHERE a = 'b'" \
		"SELECT b, c, typeof(c) FROM t WHERE b = 'abc' COLLATE NOCASE" \
		"SELECT sum(d), count(d), min(d), max(d) FROM t WHERE d > 0" \
		"SELECT rowid, d FROM t WHERE d = 7" \
		"SELECT a FROM t ORDER BY a, id LIMIT 20"; do
		same_rows "$q" sorted
	done
}

# count(*) whose conjuncts the rowid or index lookup answers is counted
# from the keys (block by block when one table holds them); equalities the
# lookup answers are not checked again: the same counts as sqlite3 with
# deletes in the memtable, after a checkpoint, after a range delete
# (DROP INDEX) and inside a transaction with its own writes.
counts_agree() {
	for q in \
		"SELECT count(*) FROM t" \
		"SELECT count(*) FROM t WHERE a = 5" \
		"SELECT count(*) FROM t WHERE a = '5'" \
		"SELECT count(*) FROM t WHERE a = 2.5" \
		"SELECT count(*) FROM t WHERE a = 5 AND b = 'a'" \
		"SELECT count(*) FROM t WHERE b = 'abc' COLLATE NOCASE" \
		"SELECT count(*) FROM t WHERE id BETWEEN 100 AND 200" \
		"SELECT count(*) FROM t WHERE d = 7" \
		"SELECT count(*), a FROM t WHERE a = 'zz'" \
		"SELECT a, count(*) FROM t WHERE a = 3 GROUP BY a"; do
		same_rows "$q"
	done
}

@test "counts from keys agree with sqlite3 after deletes, a checkpoint, a range delete and in a transaction" {
	counts_agree
	del="DELETE FROM t WHERE id % 7 = 0 OR a = 'b'"
	run -0 sochdb-sql -d "$D" -c "$del"
	sqlite3 "$Q" "$del"
	counts_agree
	run -0 sochdb-wal -d "$D" checkpoint
	counts_agree
	ddl="DROP INDEX ta; CREATE INDEX ta ON t(a)"
	run -0 sochdb-sql -d "$D" -c "$ddl"
	sqlite3 "$Q" "$ddl"
	counts_agree
	txn="BEGIN; INSERT INTO t(a, b) VALUES(5, 'a'), (5, 'x'), ('zz', 'b'); DELETE FROM t WHERE id < 50;
SELECT count(*) FROM t WHERE a = 5; SELECT count(*) FROM t; SELECT count(*) FROM t WHERE id BETWEEN 1 AND 100;
SELECT count(*) FROM t WHERE a = 'zz'; ROLLBACK; SELECT count(*) FROM t WHERE a = 5;"
	want=$(sqlite3 -csv "$Q" "$txn")
	run -0 sochdb-sql -d "$D" --format csv --no-header -c "$txn"
	[ "$output" = "$want" ] || { diff <(echo "$want") <(echo "$output"); return 1; }
}

@test "ORDER BY ... LIMIT ... OFFSET (top-k) gives sqlite3's rows" {
	same_rows "SELECT id, c, d FROM t ORDER BY d DESC, id LIMIT 10 OFFSET 100"
	same_rows "SELECT id, c FROM t ORDER BY c, id DESC LIMIT 7"
	same_rows "SELECT id, b FROM t ORDER BY b COLLATE NOCASE, id LIMIT 5 OFFSET 2990"
	same_rows "SELECT id FROM t ORDER BY d NULLS LAST, id LIMIT 3 OFFSET 1500"
}

@test "EXPLAIN QUERY PLAN names the index use as sqlite3 does" {
	for q in \
		"SELECT count(*) FROM t WHERE a = 5" \
		"SELECT id FROM t WHERE d BETWEEN 1 AND 5" \
		"SELECT * FROM t WHERE d > 5" \
		"SELECT id, a, b FROM t WHERE a = 5 AND b > 'a'"; do
		want=$(sqlite3 "$Q" "EXPLAIN QUERY PLAN $q" | sed -n 's/^`--//p')
		run -0 sochdb-sql -d "$D" --format tsv --no-header -c "EXPLAIN QUERY PLAN $q"
		[ "$(cut -f4 <<<"$output")" = "$want" ] || { echo "$q: $output / sqlite3: $want"; return 1; }
	done
}
