#!/usr/bin/env bats
# 2364-sql-outer-join: RIGHT and FULL [OUTER] JOIN (SQLite 3.39+
# semantics: unmatched right rows after the join with the left side NULL;
# USING/NATURAL columns the right one or coalesce(left, right)), parenthesized joins on
# either side of a join (a LEFT JOIN (b JOIN c ON ...) ON ..., null rows
# of the whole group), nested outer joins, WHERE over the NULL side, with
# GROUP BY, ORDER BY and spilling, and SQLite's errors (ON clause
# references tables to its right). Expected rows are sqlite3's on the
# same data.

load test_helper

setup() {
	sqlite_ref
	S="CREATE TABLE a(id, x); CREATE TABLE b(id, y TEXT COLLATE NOCASE); CREATE TABLE c(id INTEGER PRIMARY KEY, z);
INSERT INTO a VALUES(1,'a1'),(2,'a2'),(NULL,'an'),(4,'a4'),(4,'a4bis'),(2.0,'a2r');
INSERT INTO b VALUES(2,'b2'),(3,'B3'),(NULL,'bn'),(4,'b4'),(6,'b6');
INSERT INTO c VALUES(3,'c3'),(4,'c4'),(5,'c5'),(1,'c1');
CREATE TABLE n(k INTEGER PRIMARY KEY, v);
INSERT INTO n SELECT i * 2, i % 97 FROM (WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 3000) SELECT i FROM r);"
	sochdb-sql -d "$D" -c "$S"
	sqlite3 "$Q" "$S"
}

same_rows() { # QUERY [--memory-limit N]: sqlite3's rows, order ignored unless ORDER BY
	local want got
	want=$(sqlite3 -csv "$Q" "$1" 2>&1)
	run -0 sochdb-sql -d "$D" --format csv --no-header "${@:2}" -c "$1"
	got=$output
	if [[ $1 != *"ORDER BY"* ]]; then
		want=$(sort <<<"$want")
		got=$(sort <<<"$got")
	fi
	[ "$got" = "$want" ] || { echo "query: $1"; diff <(echo "$want") <(echo "$got"); return 1; }
}

@test "RIGHT and FULL JOIN with ON give sqlite3's rows" {
	for q in \
		"SELECT * FROM a RIGHT JOIN b ON a.id = b.id" \
		"SELECT * FROM a RIGHT OUTER JOIN b ON a.id = b.id AND b.y > 'b2'" \
		"SELECT * FROM a FULL JOIN b ON a.id = b.id" \
		"SELECT * FROM a FULL OUTER JOIN b ON a.id > b.id" \
		"SELECT * FROM a RIGHT JOIN b ON 0" \
		"SELECT * FROM a FULL JOIN b ON 0" \
		"SELECT * FROM a FULL JOIN b ON a.id = b.id FULL JOIN c ON c.id = b.id" \
		"SELECT * FROM a RIGHT JOIN b ON a.id = b.id RIGHT JOIN c ON c.id = a.id" \
		"SELECT * FROM a LEFT JOIN b ON a.id = b.id RIGHT JOIN c ON b.id = c.id" \
		"SELECT * FROM a CROSS JOIN b RIGHT JOIN c ON c.id = b.id" \
		"SELECT * FROM a FULL JOIN (SELECT * FROM b WHERE id > 2) AS s ON a.id = s.id" \
		"SELECT * FROM a RIGHT JOIN c ON a.id = c.id WHERE c.id > 1" \
		"SELECT * FROM a RIGHT JOIN b ON a.id = b.id WHERE a.x IS NULL OR a.x > 'a2'" \
		"SELECT a.*, b.* FROM a FULL JOIN b ON a.id = b.id WHERE a.id IS NULL OR b.id IS NULL" \
		"SELECT count(*), max(x), min(y) FROM a FULL JOIN b ON a.id = b.id" \
		"SELECT b.y, count(a.id) FROM a RIGHT JOIN b ON a.id = b.id GROUP BY b.y ORDER BY 1" \
		"SELECT coalesce(a.x, '-'), b.y FROM a FULL JOIN b ON a.id = b.id ORDER BY 1, 2" \
		"SELECT * FROM a RIGHT JOIN b ON a.id = b.id AND EXISTS (SELECT 1 FROM c WHERE c.id = b.id)"; do
		same_rows "$q"
	done
}

@test "USING and NATURAL with RIGHT and FULL: the column is the right one (RIGHT) or coalesce(left, right) (FULL)" {
	for q in \
		"SELECT * FROM a RIGHT JOIN b USING (id)" \
		"SELECT id, a.id, b.id FROM a RIGHT JOIN b USING (id)" \
		"SELECT * FROM a FULL JOIN b USING (id)" \
		"SELECT id FROM a FULL JOIN b USING (id) FULL JOIN c USING (id) ORDER BY id" \
		"SELECT * FROM a FULL JOIN b USING (id) FULL JOIN c USING (id)" \
		"SELECT * FROM a NATURAL RIGHT JOIN b" \
		"SELECT * FROM a NATURAL FULL JOIN c" \
		"SELECT id, count(*) FROM a FULL JOIN b USING (id) GROUP BY id" \
		"SELECT * FROM a FULL JOIN b USING (id) WHERE id > 1"; do
		same_rows "$q"
	done
}

@test "parenthesized joins on either side, with null rows of the whole group" {
	for q in \
		"SELECT * FROM a JOIN (b JOIN c ON b.id = c.id) ON a.id = b.id" \
		"SELECT * FROM a LEFT JOIN (b JOIN c ON b.id = c.id) ON a.id = b.id" \
		"SELECT * FROM a LEFT JOIN (b LEFT JOIN c ON b.id = c.id) ON a.id + 1 = b.id" \
		"SELECT * FROM a LEFT JOIN (b LEFT JOIN c ON b.id = c.id) ON a.id = c.id" \
		"SELECT * FROM a LEFT JOIN (b LEFT JOIN c ON b.id = c.id) ON a.id + 1 = b.id WHERE c.z IS NULL" \
		"SELECT * FROM a LEFT JOIN (b JOIN a AS d USING (id)) USING (id)" \
		"SELECT * FROM (a JOIN b ON a.id = b.id) JOIN c ON c.id = a.id" \
		"SELECT * FROM (a LEFT JOIN b ON a.id = b.id) RIGHT JOIN c ON c.id = a.id" \
		"SELECT * FROM (a JOIN b USING (id)) FULL JOIN c USING (id)" \
		"SELECT * FROM a, (b LEFT JOIN c USING (id))" \
		"SELECT a.x, count(c.z) FROM a LEFT JOIN (b JOIN c ON b.id = c.id) ON a.id = b.id GROUP BY a.x"; do
		same_rows "$q"
	done
}

@test "outer joins through a spilling sort and grouping" {
	same_rows "SELECT n.k, n.v, c.z FROM c RIGHT JOIN n ON c.id * 2 = n.k ORDER BY n.v, n.k DESC" --memory-limit 64K
	same_rows "SELECT n.v, count(c.id), group_concat(n.k) FROM c FULL JOIN n ON c.id = n.v GROUP BY n.v" --memory-limit 64K
	same_rows "SELECT n.k, b.y FROM b FULL JOIN n ON b.id = n.v ORDER BY n.k, b.y" --memory-limit 64K
}

@test "errors as SQLite's: ON clause references tables to its right" {
	run -3 --separate-stderr sochdb-sql -d "$D" -c "SELECT * FROM a RIGHT JOIN b ON b.id = c.id JOIN c ON 1"
	[ "$stderr" = "sochdb-sql: line 1, column 1: ON clause references tables to its right" ]
	run -3 --separate-stderr sochdb-sql -d "$D" -c "SELECT * FROM a JOIN b USING (nope)"
	[ "$stderr" = "sochdb-sql: line 1, column 1: cannot join using column nope - column not present in both tables" ]
	run -3 --separate-stderr sochdb-sql -d "$D" -c "SELECT * FROM a JOIN (b RIGHT JOIN c ON b.id = c.id) ON a.id = b.id"
	[[ $stderr == *"RIGHT or FULL JOIN inside parentheses"*"not supported" ]]
}
