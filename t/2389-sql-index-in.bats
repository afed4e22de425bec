#!/usr/bin/env bats
# 2389-sql-index-in: an IN list of constants on an indexed column (alone,
# or after equalities on the index's leading columns) is answered by one
# index lookup per distinct value, as SQLite's planner does, and gives
# sqlite3's rows: affinities (text '3' on an INTEGER column, 3.0 = 3),
# repeats in the list (1, 1.0, '1'; 'a' and 'A' under NOCASE), NULLs,
# DESC and NOCASE indexes, parameters, joins, ORDER BY through a sort.

load test_helper

setup() {
	sqlite_ref
}

# same_rows SQL...: each query's csv rows from sochdb-sql and sqlite3
same_rows() {
	local q want got
	for q in "$@"; do
		want=$(sqlite3 -csv "$Q" "$q" 2>&1) || true
		got=$(sochdb-sql -d "$D" --readonly --format csv --no-header -c "$q" 2>&1) || true
		[ "$got" = "$want" ] || fail "$q: $(diff <(echo "$want") <(echo "$got") | head -10)"
	done
}

make_data() {
	/usr/bin/python3 - "$S" <<'EOF'
import random, sys
r = random.Random(2389)
out = open(sys.argv[1], "w")
out.write("CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, b TEXT, c, d REAL, e TEXT COLLATE NOCASE);\n")
out.write("BEGIN;\n")
words = ["a", "A", "b", "B", "x1", "3", "10", "", "abc", "ABC"]
def val(kind):
    p = r.random()
    if p < 0.08:
        return "NULL"
    if kind == "int":
        return str(r.randint(-3, 12)) if p < 0.8 else repr(r.choice(["3", "7", "x"]))
    if kind == "real":
        return str(r.choice([1, 2, 2.5, 3.0, -1.5, 7]))
    if kind == "any":
        return r.choice([str(r.randint(0, 5)), "%d.0" % r.randint(0, 5), "'%d'" % r.randint(0, 5), "x'01'"])
    return "'%s'" % r.choice(words)
for i in range(1, 3001):
    out.write("INSERT INTO t VALUES(%d, %s, %s, %s, %s, %s);\n" %
              (i, val("int"), val("text"), val("any"), val("real"), val("text")))
out.write("COMMIT;\n")
out.write("CREATE INDEX ta ON t(a);\nCREATE INDEX tb ON t(b DESC);\nCREATE INDEX tc ON t(c);\n")
out.write("CREATE INDEX td ON t(d);\nCREATE INDEX te ON t(e);\nCREATE INDEX tab ON t(a, b);\n")
out.write("CREATE TABLE u(k INTEGER PRIMARY KEY, a INTEGER);\n")
for i in range(1, 40):
    out.write("INSERT INTO u VALUES(%d, %d);\n" % (i, i % 9))
EOF
	sochdb-sql -d "$D" "$S" >/dev/null
	sqlite3 "$Q" <"$S"
}

# same_plan SQL...: the plan's detail line, in sqlite3's words
same_plan() {
	local q want got
	for q in "$@"; do
		want=$(sqlite3 "$Q" "EXPLAIN QUERY PLAN $q" | sed -n 's/^`--//p')
		got=$(sochdb-sql -d "$D" --readonly --no-header -c "EXPLAIN QUERY PLAN $q" | cut -f4)
		[ "$got" = "$want" ] || fail "$q: sqlite3 '$want', sochdb '$got'"
	done
}

@test "EXPLAIN QUERY PLAN: an IN list on an index column searches the index, as SQLite's does" {
	make_data
	same_plan "SELECT * FROM t WHERE e IN ('a', 'b')" \
		"SELECT id FROM t WHERE a = 3 AND b IN ('a', 'x1')" \
		"SELECT * FROM t WHERE a = 3 AND b IN ('a', 'x1')" \
		"SELECT * FROM t WHERE d IN (1, 2.5)" \
		"SELECT * FROM t WHERE id IN (1, 2) AND a IN (3, 4)"
	run -0 sochdb-sql -d "$D" --no-header -c "EXPLAIN QUERY PLAN SELECT * FROM t WHERE e IN ('a', 'b')"
	assert_output $'2\t0\t0\tSEARCH t USING INDEX te (e=?)'
	# NOT IN is no lookup
	run -0 sochdb-sql -d "$D" --no-header -c "EXPLAIN QUERY PLAN SELECT * FROM t WHERE e NOT IN ('a')"
	assert_output $'2\t0\t0\tSCAN t'
}

@test "IN lookups give sqlite3's rows: affinities, repeats, NULLs, DESC and NOCASE indexes" {
	make_data
	same_rows \
		"SELECT id, a FROM t WHERE a IN (3, 7, -1) ORDER BY id" \
		"SELECT id, a FROM t WHERE a IN ('3', 3, 3.0, '7', 'x') ORDER BY id" \
		"SELECT count(*), sum(a) FROM t WHERE a IN (1, 1, 1.0, '1', NULL, 2)" \
		"SELECT count(*) FROM t WHERE a IN (NULL)" \
		"SELECT id, b FROM t WHERE b IN ('a', 'B', '3', 3, '') ORDER BY id" \
		"SELECT id, c FROM t WHERE c IN (1, '1', 2.0, x'01') ORDER BY id" \
		"SELECT id, d FROM t WHERE d IN (2, 2.5, '3', 7.0) ORDER BY id" \
		"SELECT id, e FROM t WHERE e IN ('a', 'ABC', 'b', 'B') ORDER BY id" \
		"SELECT count(*) FROM t WHERE e IN ('a', 'A')" \
		"SELECT id FROM t WHERE a = 3 AND b IN ('a', 'x1', 'A') ORDER BY id" \
		"SELECT id FROM t WHERE a IN (2, 4) AND b IN ('a', 'b') AND d > 1 ORDER BY id" \
		"SELECT a, count(*) FROM t WHERE a IN (5, 3, 9) GROUP BY a ORDER BY a" \
		"SELECT a, id FROM t WHERE a IN (5, 3, 9) ORDER BY a DESC, id LIMIT 7" \
		"SELECT b, id FROM t WHERE b IN ('x1', 'a', 'abc') ORDER BY b, id DESC LIMIT 9" \
		"SELECT u.k, count(t.id) FROM u LEFT JOIN t ON t.a = u.a AND t.b IN ('a', 'b') GROUP BY u.k ORDER BY u.k" \
		"SELECT count(*) FROM t WHERE a IN (1, 2) OR b IN ('a')" \
		"SELECT count(*) FROM t WHERE a IN (abs(-3), 2 + 2, CAST('5' AS INTEGER))"
	# parameters
	want=$(sqlite3 -csv "$Q" "SELECT count(*) FROM t WHERE a IN (4, 6)")
	run -0 sochdb-sql -d "$D" --readonly --format csv --no-header --param 4 --param 6 -c "SELECT count(*) FROM t WHERE a IN (?1, ?2)"
	assert_output "$want"
}

@test "IN lookups see the transaction's own writes, and a statement that changes the rows" {
	make_data
	script="BEGIN;
INSERT INTO t(id, a, b) VALUES(5001, 3, 'new'), (5002, 11, 'new');
UPDATE t SET a = 11 WHERE id IN (SELECT id FROM t WHERE a = 3 LIMIT 5);
SELECT count(*), sum(id) FROM t WHERE a IN (3, 11);
DELETE FROM t WHERE a IN (11, -3) AND b IN ('new', 'a');
SELECT count(*), sum(id) FROM t WHERE a IN (3, 11, -3);
COMMIT;
SELECT count(*), sum(id) FROM t WHERE a IN (3, 11, -3);"
	want=$(printf '%s\n' "$script" | sqlite3 -csv "$Q")
	run -0 sochdb-sql -d "$D" --format csv --no-header -c "$script"
	assert_output "$want"
	[ "${#lines[@]}" = 3 ]
}
