#!/usr/bin/env bats
# 2361-sql-bulk-index: an autocommit CREATE INDEX over a big table (50,000
# entries or more) writes its entries through the store's bulk ingest
# (tables installed with the catalog row in one manifest switch, no WAL
# records): the index answers as sqlite3 does, the WAL does not grow by
# the entries, a UNIQUE violation leaves no index and no entries, inside
# BEGIN ... ROLLBACK nothing stays, and the database verifies.

load test_helper

setup() {
	sqlite_ref load.sql
	/usr/bin/python3 - "$S" <<'PY'
import random, sys
r = random.Random(2361)
with open(sys.argv[1], 'w') as f:
    f.write('CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, b TEXT, u INTEGER);\nBEGIN;\n')
    for i in range(1, 60001):
        f.write("INSERT INTO t VALUES(%d,%d,'k%d',%d);\n" % (i, r.randint(0, 5000), r.randint(0, 99), i))
    f.write("INSERT INTO t VALUES(60001,7,'dup',5);\nCOMMIT;\n")
PY
	sochdb-sql -d "$D" "$S"
	sqlite3 "$Q" <"$S"
}

same_rows() {
	local want
	want=$(sqlite3 -csv "$Q" "$1")
	run -0 sochdb-sql -d "$D" --format csv --no-header -c "$1"
	[ "$output" = "$want" ] || { echo "query: $1"; diff <(echo "$want") <(echo "$output"); return 1; }
}

wal_bytes() { cat "$D"/wal-*.log | wc -c; }

@test "CREATE INDEX on 60,000 rows: bulk-written entries answer as sqlite3's" {
	before=$(wal_bytes)
	run -0 sochdb-sql -d "$D" -c 'CREATE INDEX ta ON t(a, b)'
	sqlite3 "$Q" 'CREATE INDEX ta ON t(a, b)'
	after=$(wal_bytes)
	# the 60,000 entries (about 1.5 MB) are not in the WAL
	[ $((after - before)) -lt 100000 ] || { echo "WAL grew by $((after - before))"; return 1; }
	same_rows "SELECT count(*), sum(id) FROM t WHERE a = 77"
	same_rows "SELECT a, b, id FROM t WHERE a BETWEEN 100 AND 110 ORDER BY a, b, id"
	same_rows "SELECT count(*) FROM t WHERE a > 4990"
	run -0 sochdb-sql -d "$D" --format tsv --no-header -c 'EXPLAIN QUERY PLAN SELECT count(*) FROM t WHERE a = 77'
	[[ $output == *"COVERING INDEX ta (a=?)"* ]]
	# later writes keep the index in step
	run -0 sochdb-sql -d "$D" -c "INSERT INTO t VALUES(70000, 77, 'new', 70000)" -c 'DELETE FROM t WHERE id = 5'
	sqlite3 "$Q" "INSERT INTO t VALUES(70000, 77, 'new', 70000)" 'DELETE FROM t WHERE id = 5'
	same_rows "SELECT count(*), sum(id) FROM t WHERE a = 77"
	same_rows "SELECT id FROM t WHERE a = 77 AND b = 'new'"
	run -0 sochdb-wal -d "$D" verify
}

@test "a UNIQUE violation and a ROLLBACK leave no index and no entries" {
	run -3 sochdb-sql -d "$D" -c 'CREATE UNIQUE INDEX tu ON t(u)'
	[[ $output == *"UNIQUE constraint failed: t.u"* ]]
	run -0 sochdb-sql -d "$D" --no-header -c "SELECT count(*) FROM sqlite_schema WHERE name = 'tu'"
	[ "$output" = 0 ]
	run -0 sochdb-sql -d "$D" -c 'BEGIN' -c 'CREATE INDEX tb ON t(b)' -c 'ROLLBACK'
	run -0 sochdb-sql -d "$D" --no-header -c "SELECT count(*) FROM sqlite_schema WHERE type = 'index'"
	[ "$output" = 0 ]
	run -0 sochdb-sql -d "$D" -c 'CREATE UNIQUE INDEX tid ON t(id, u)'
	sqlite3 "$Q" 'CREATE UNIQUE INDEX tid ON t(id, u)'
	same_rows "SELECT u FROM t WHERE id = 60001 AND u = 5"
	run -0 sochdb-wal -d "$D" verify
}
