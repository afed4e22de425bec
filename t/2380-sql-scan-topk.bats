#!/usr/bin/env bats
# 2380-sql-scan-topk: the fast paths of a table scan and of ORDER BY ...
# LIMIT give sqlite3's rows. A forward scan serves the rows of a block in
# place (sdb_txn_iter_run) until the transaction writes: scans inside a
# transaction that writes the same table between (and, for INSERT ...
# SELECT, during) its statements. Top-k evaluates only the result columns
# its sort keys read before the k-th row's check: keys of every type,
# ties, DESC, NULLS LAST, collations, expressions and subqueries in the
# other columns, compounds, DISTINCT, GROUP BY.

load test_helper

setup() {
	sqlite_ref
	PYTHONPATH="$BATS_TEST_DIRNAME/helpers" /usr/bin/python3 - "$S" <<'PY'
import random, sys
from sqllit import lit, NAMES
r = random.Random(2380)
names = NAMES + ['']
with open(sys.argv[1], 'w') as f:
    f.write('CREATE TABLE t(id INTEGER PRIMARY KEY, k, name TEXT, score REAL, n INTEGER, pad TEXT);\n')
    f.write('BEGIN;\n')
    for i in range(1, 6001):
        c = r.randrange(10)
        k = None if c == 0 else r.randrange(-30, 30) if c < 4 else r.randrange(-30, 30) + 0.5 if c < 6 \
            else float(r.randrange(-30, 30)) if c < 7 else r.choice(names) if c < 9 else bytes([r.randrange(3)])
        f.write('INSERT INTO t VALUES(%d,%s,%s,%s,%s,%s);\n' % (
            i, lit(k), lit(None if r.random() < 0.05 else r.choice(names)),
            lit(None if r.random() < 0.05 else r.randrange(1000) / 10),
            lit(r.randrange(-100, 100)), lit('p' * r.randrange(60))))
    f.write('COMMIT;\n')
PY
	sochdb-sql -d "$D" "$S"
	sqlite3 "$Q" <"$S"
}

# same SQL: the script's output from both engines (csv, no header)
same() {
	local want
	want=$(sqlite3 -csv "$Q" "$1" 2>&1)
	run -0 sochdb-sql -d "$D" --format csv --no-header -c "$1"
	[ "$output" = "$want" ] || fail "$1
$(diff <(echo "$want") <(echo "$output") | head -20)"
}

@test "scans inside a transaction see its own writes between and during statements" {
	script="BEGIN;
SELECT count(*), sum(n), max(id) FROM t WHERE n > 0;
UPDATE t SET n = n + 1000 WHERE id % 3 = 0;
SELECT count(*), sum(n), max(id) FROM t WHERE n > 0;
INSERT INTO t(id, k, name, n) SELECT id + 100000, k, name, -n FROM t WHERE id % 5 = 0;
SELECT count(*), sum(n), max(id) FROM t;
DELETE FROM t WHERE id % 7 = 0 AND id < 50000;
SELECT count(*), sum(n), min(id), max(id) FROM t WHERE n < 500;
INSERT INTO t(id, name, n) SELECT max(id) + 1, 'x', count(*) FROM t;
SELECT id, name, n FROM t ORDER BY id DESC LIMIT 3;
COMMIT;
SELECT count(*), sum(n), sum(length(pad)) FROM t;"
	same "$script"
}

QUERIES=(
	"SELECT id, name, score FROM t ORDER BY score DESC, id LIMIT 10 OFFSET 100"
	"SELECT id, upper(name), k FROM t ORDER BY k, id LIMIT 25 OFFSET 3000"
	"SELECT id, k, typeof(k) FROM t ORDER BY k DESC, id DESC LIMIT 40 OFFSET 10"
	"SELECT name, id, length(pad) FROM t ORDER BY name COLLATE NOCASE, id LIMIT 30 OFFSET 200"
	"SELECT id, score, (SELECT count(*) FROM t AS u WHERE u.n = t.n) FROM t ORDER BY score NULLS LAST, id LIMIT 20 OFFSET 5900"
	"SELECT id, CASE WHEN n > 0 THEN name ELSE pad END, n FROM t ORDER BY n, id LIMIT 15 OFFSET 500"
	"SELECT id * 2, name || '!', score FROM t ORDER BY n * 3 - id % 7, id LIMIT 12 OFFSET 33"
	"SELECT n, name FROM t ORDER BY n DESC LIMIT 50"
	"SELECT id, name FROM t WHERE score > 50 ORDER BY score, name, id LIMIT 9 OFFSET 1"
	"SELECT id, k FROM t WHERE n < 0 UNION ALL SELECT id, name FROM t WHERE n > 90 ORDER BY 2, 1 LIMIT 20 OFFSET 40"
	"SELECT DISTINCT n, name FROM t ORDER BY n, name LIMIT 20 OFFSET 100"
	"SELECT n, count(*), max(score) FROM t GROUP BY n ORDER BY count(*) DESC, n LIMIT 10 OFFSET 2"
	"SELECT id, row_number() OVER (ORDER BY score), name FROM t ORDER BY score DESC, id LIMIT 5 OFFSET 7"
	"SELECT id, name, score FROM t ORDER BY score DESC, id LIMIT 0"
	"SELECT id, score FROM t ORDER BY score, id LIMIT 10 OFFSET 5995"
)

@test "ORDER BY ... LIMIT ... OFFSET (top-k, columns evaluated late) gives sqlite3's rows" {
	for q in "${QUERIES[@]}"; do
		same "$q"
	done
}
