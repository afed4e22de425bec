#!/usr/bin/env bats
# 2366-sql-hash-join: joins answered by hashing the inner table (SCAN t
# USING HASH) give sqlite3's rows: keys on the rowid, on INTEGER columns
# (dense and sparse values, duplicates, NULLs), on REAL/TEXT/BLOB values
# mixed with integers, under NOCASE; LEFT JOIN null rows; GROUP BY and
# aggregates over the join. With a tiny --memory-limit the hash is given
# up for a lookup per outer row (the rowid, an index on the column, or a
# scan checking the key) with the same rows. Expected output is computed
# by sqlite3 in the test on the same seeded data.

load test_helper

setup() {
	sqlite_ref
	PYTHONPATH="$BATS_TEST_DIRNAME/helpers" /usr/bin/python3 - "$S" <<'PY'
import random, sys
from sqllit import lit, NAMES
r = random.Random(2365)
with open(sys.argv[1], 'w') as f:
    f.write('CREATE TABLE o(id INTEGER PRIMARY KEY, uid INTEGER, sp INTEGER, m, name TEXT, amt REAL);\n')
    f.write('CREATE TABLE u(id INTEGER PRIMARY KEY, grp INTEGER, sp INTEGER, m, nm TEXT COLLATE NOCASE, city TEXT);\n')
    f.write('CREATE TABLE ix(id INTEGER PRIMARY KEY, grp INTEGER, tag TEXT);\n')
    f.write('CREATE INDEX ix_grp ON ix(grp);\n')
    f.write('BEGIN;\n')
    for i in range(1, 3001):
        k = r.randrange(10)
        m = None if k == 0 else r.randrange(-50, 50) if k < 4 else r.randrange(-50, 50) + 0.5 if k < 6 \
            else float(r.randrange(-50, 50)) if k < 7 else r.choice(NAMES) if k < 9 else bytes([r.randrange(4)])
        f.write('INSERT INTO o VALUES(%d,%s,%s,%s,%s,%s);\n' % (
            i, lit(None if r.random() < 0.05 else r.randrange(-5, 2100)),
            lit(r.randrange(0, 10**12, 10**9)), lit(m),
            lit(None if r.random() < 0.1 else r.choice(NAMES)), lit(r.randrange(10000) / 100)))
    for i in range(1, 2001):
        k = r.randrange(10)
        m = None if k == 0 else r.randrange(-50, 50) if k < 5 else r.randrange(-50, 50) + 0.5 if k < 7 \
            else r.choice(NAMES) if k < 9 else bytes([r.randrange(4)])
        f.write('INSERT INTO u VALUES(%d,%s,%s,%s,%s,%s);\n' % (
            i, lit(None if r.random() < 0.05 else r.randrange(0, 400)),
            lit(r.randrange(0, 10**12, 10**9)), lit(m), lit(r.choice(NAMES)),
            lit('city%02d' % r.randrange(30))))
    for i in range(1, 1501):
        f.write('INSERT INTO ix VALUES(%d,%s,%s);\n' % (i, lit(r.randrange(-5, 2100)), lit('t%d' % (i % 7))))
    f.write('COMMIT;\n')
PY
	sochdb-sql -d "$D" "$S"
	sqlite3 "$Q" <"$S"
}

QUERIES=(
	"SELECT u.city, count(*), round(sum(o.amt), 2), min(o.amt), max(u.grp) FROM o JOIN u ON u.id = o.uid GROUP BY u.city ORDER BY u.city"
	"SELECT o.id, u.id, u.city FROM o JOIN u ON u.id = o.uid WHERE o.id % 7 = 1 ORDER BY o.id"
	"SELECT o.id, u.id, u.grp FROM o JOIN u ON u.grp = o.uid ORDER BY o.id, u.id"
	"SELECT o.id, u.id FROM o JOIN u ON u.sp = o.sp ORDER BY o.id, u.id"
	"SELECT o.id, u.id, typeof(u.m) FROM o JOIN u ON u.m = o.m ORDER BY o.id, u.id"
	"SELECT o.id, u.id, u.nm FROM o JOIN u ON u.nm = o.name WHERE o.id < 400 ORDER BY o.id, u.id"
	"SELECT o.id, u.id, u.city FROM o LEFT JOIN u ON u.id = o.uid ORDER BY o.id"
	"SELECT o.id, count(u.id), group_concat(u.id) FROM o LEFT JOIN u ON u.grp = o.uid GROUP BY o.id ORDER BY o.id"
	"SELECT ix.tag, count(*), sum(o.amt > 50) FROM o JOIN ix ON ix.grp = o.uid GROUP BY ix.tag ORDER BY 1"
	"SELECT o.id, ix.id FROM o JOIN ix ON ix.grp = o.uid AND ix.tag <> 't3' ORDER BY o.id, ix.id"
	"SELECT count(*), sum(u.grp) FROM o JOIN u ON u.id = o.uid + 0.0"
	"SELECT count(*) FROM o JOIN u ON u.grp = CAST(o.uid AS TEXT)"
)

# Every query's rows are sqlite3's, with a tiny limit (the hash given up)
# and with the default one.
@test "hash joins give sqlite3's rows, in memory and past a tiny --memory-limit" {
	for q in "${QUERIES[@]}"; do
		want=$(sqlite3 -csv "$Q" "$q")
		[ -n "$want" ] || fail "no rows from sqlite3: $q"
		for lim in 16K 256M; do
			run -0 sochdb-sql -d "$D" --memory-limit $lim --format csv --no-header -c "$q"
			[ "$output" = "$want" ] || fail "--memory-limit $lim: $q
$(diff <(echo "$want") <(echo "$output") | head -20)"
		done
	done
}

# The queries above do go through the hash: the plan says so.
@test "the joins of the test are hash joins" {
	run -0 sochdb-sql -d "$D" -c "EXPLAIN QUERY PLAN SELECT u.city FROM o JOIN u ON u.id = o.uid"
	assert_output --partial "SCAN u USING HASH (id=?)"
	run -0 sochdb-sql -d "$D" -c "EXPLAIN QUERY PLAN SELECT u.id FROM o JOIN u ON u.m = o.m"
	assert_output --partial "SCAN u USING HASH (m=?)"
	run -0 sochdb-sql -d "$D" -c "EXPLAIN QUERY PLAN SELECT u.id FROM o JOIN u ON u.nm = o.name"
	assert_output --partial "SCAN u USING HASH (nm=?)"
	run -0 sochdb-sql -d "$D" -c "EXPLAIN QUERY PLAN SELECT ix.id FROM o JOIN ix ON ix.grp = o.uid"
	assert_output --partial "USING HASH (grp=?)"
}

# A join whose hash would be far bigger than the limit stays within it.
@test "a hash join past --memory-limit does not grow with the inner table" {
	[ -x /usr/bin/time ] || skip "/usr/bin/time missing"
	sochdb-sql -d "$D" -c "CREATE TABLE big(id INTEGER PRIMARY KEY, pad TEXT)" \
		-c "INSERT INTO big WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 30000) SELECT i, printf('%0400d', i) FROM c"
	q="SELECT count(*), sum(length(big.pad)) FROM o JOIN big ON big.id = o.uid"
	run -0 sochdb-sql -d "$D" -c "EXPLAIN QUERY PLAN $q"
	assert_output --partial "USING HASH"
	run -0 /usr/bin/time -f %M -o "$BATS_TEST_TMPDIR/rss" sochdb-sql -d "$D" --memory-limit 1M --format csv --no-header -c "$q"
	want=$(sqlite3 -csv "$Q" "SELECT count(*), sum(400) FROM o WHERE uid BETWEEN 1 AND 30000")
	assert_output "$want"
	small=$(cat "$BATS_TEST_TMPDIR/rss")
	run -0 /usr/bin/time -f %M -o "$BATS_TEST_TMPDIR/rss" sochdb-sql -d "$D" --format csv --no-header -c "$q"
	assert_output "$want"
	full=$(cat "$BATS_TEST_TMPDIR/rss")
	# the in-memory hash holds ~12 MB of pads; past a 1M limit none of it
	[ "$small" -lt $((full - 6000)) ] || fail "peak RSS ${small} KiB with --memory-limit 1M, ${full} KiB without"
}

# Hashes of 200k rows (their arrays moved to blocks of their own): keys
# dense and in order, dense with gaps, sparse, and repeated.
@test "big hash joins give sqlite3's rows (dense, gapped, sparse and repeated keys)" {
	gen="WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 200000)"
	for db in sochdb sqlite; do
		sql="CREATE TABLE h(id INTEGER PRIMARY KEY, gap INTEGER, sp INTEGER, rep INTEGER, v TEXT);
INSERT INTO h $gen SELECT i, i * 3 / 2, i * 7919, i % 1000, 'v' || (i % 13) FROM c;
CREATE TABLE p(k INTEGER);
INSERT INTO p $gen SELECT (i * 37) % 260000 - 100 FROM c WHERE i <= 3000;"
		if [ $db = sochdb ]; then sochdb-sql -d "$D" -c "$sql"; else sqlite3 "$Q" "$sql"; fi
	done
	for q in "SELECT count(*), sum(h.id), max(h.v) FROM p JOIN h ON h.id = p.k" \
		"SELECT count(*), sum(h.id), min(h.v) FROM p JOIN h ON h.gap = p.k" \
		"SELECT count(*), sum(h.id) FROM p JOIN h ON h.sp = p.k * 7919" \
		"SELECT count(*), sum(h.id), sum(length(h.v)) FROM p JOIN h ON h.rep = p.k" \
		"SELECT h.v, count(*) FROM p LEFT JOIN h ON h.id = p.k GROUP BY h.v ORDER BY 1"; do
		want=$(sqlite3 -csv "$Q" "$q")
		run -0 sochdb-sql -d "$D" --format csv --no-header -c "$q"
		[ "$output" = "$want" ] || fail "$q: $output, sqlite3: $want"
	done
}
