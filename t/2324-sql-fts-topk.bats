#!/usr/bin/env bats
# 2324-sql-fts-topk: ORDER BY rank LIMIT k over FTS5 tables is answered by
# the pruned top-k path (block-max bounds over the posting blocks) with the
# rows, order and scores of the exhaustive path (PRAGMA fts_prune = off):
# seeded corpora built for ties (a tiny vocabulary, few row lengths, copies
# of rows), churned by updates and deletes, queried by AND, OR and single
# terms with every LIMIT/OFFSET, ORDER BY rank / bm25(t) / rank, rowid,
# and bm25(), highlight(), snippet() in the results.

load test_helper

setup() {
	D=$BATS_TEST_TMPDIR/db
	unset SOCHDB_DIR
}

# gen SEED DOCS: the corpus script on stdout, the queries in $BATS_TEST_TMPDIR/q.sql
gen() {
	/usr/bin/python3 - "$1" "$2" "$BATS_TEST_TMPDIR/q.sql" <<'PY'
import random, sys
seed, n, qf = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rnd = random.Random(seed)
vocab = ["ant", "bee", "cat", "dog", "eel", "fox", "gnu", "hen"]
w = [8, 6, 5, 3, 2, 1, 1, 0.5]
def text(lo, hi):
    return " ".join(rnd.choices(vocab, w)[0] for _ in range(rnd.choice([lo, lo + 1, hi])))
out = ["CREATE VIRTUAL TABLE f USING fts5(a, b);", "BEGIN;"]
prev = None
for i in range(1, n + 1):
    if prev and rnd.random() < 0.3:
        a, b = prev              # a copy: the same score as its original
    else:
        a, b = text(1, 3), text(2, 6)
    prev = (a, b)
    rid = i * 3 if rnd.random() < 0.9 else n * 5 - i   # some out of order
    out.append("INSERT INTO f(rowid, a, b) VALUES(%d, '%s', '%s');" % (rid, a, b))
out.append("COMMIT;")
for i in range(n // 20):
    r = rnd.randint(1, n) * 3
    if rnd.random() < 0.5:
        out.append("DELETE FROM f WHERE rowid = %d;" % r)
    else:
        out.append("UPDATE f SET b = '%s' WHERE rowid = %d;" % (text(2, 6), r))
print("\n".join(out))
qs = []
for i in range(150):
    k = rnd.randint(1, 4)
    ws = [rnd.choice(vocab) for _ in range(k)]
    m = (" OR " if rnd.random() < 0.5 else " AND " if rnd.random() < 0.3 else " ").join(ws)
    order = rnd.choice(["rank", "rank", "bm25(f)", "rank, rowid"])
    lim = rnd.choice([1, 2, 5, 10, 10, 50, 1000])
    off = " OFFSET %d" % rnd.randint(1, 7) if rnd.random() < 0.25 else ""
    sel = "rowid, printf('%.17g', rank), printf('%.17g', bm25(f))"
    if i % 4 == 0:
        sel += ", highlight(f, 1, '[', ']'), snippet(f, -1, '<', '>', '~', 4)"
    if i % 6 == 0:
        sel += ", printf('%.17g', bm25(f, 2.0, 0.5))"
    qs.append("SELECT %s FROM f WHERE f MATCH '%s' ORDER BY %s LIMIT %d%s;" % (sel, m, order, lim, off))
open(qf, "w").write("\n".join(qs) + "\n")
PY
}

# The queries with pruning on (the default) and off: the same bytes.
same_pruned() {
	run -0 sochdb-sql -d "$D" --no-header < "$BATS_TEST_TMPDIR/q.sql"
	local on=$output
	[ -n "$on" ]
	run -0 sochdb-sql -d "$D" --no-header -c "PRAGMA fts_prune = off" -c ".read $BATS_TEST_TMPDIR/q.sql"
	assert_equal "$output" "$on"
}

@test "PRAGMA fts_prune: on by default, off and on again; EXPLAIN QUERY PLAN names the pruned path" {
	run -0 sochdb-sql -d "$D" -c "CREATE VIRTUAL TABLE f USING fts5(a)"
	run -0 sochdb-sql -d "$D" --no-header -c "PRAGMA fts_prune" -c "PRAGMA fts_prune = off" \
		-c "PRAGMA fts_prune" -c "PRAGMA fts_prune = 1" -c "PRAGMA fts_prune"
	assert_output "1
0
1"
	run -0 sochdb-sql -d "$D" --no-header -c "EXPLAIN QUERY PLAN SELECT rowid FROM f WHERE f MATCH 'x' ORDER BY rank LIMIT 10"
	assert_output --partial "SCAN f VIRTUAL TABLE INDEX 0:M (top-k by rank, pruned)"
	# not a top-k shape: another condition, no LIMIT, another order
	for q in "SELECT rowid FROM f WHERE f MATCH 'x' AND rowid > 3 ORDER BY rank LIMIT 10" \
		"SELECT rowid FROM f WHERE f MATCH 'x' ORDER BY rank" \
		"SELECT rowid FROM f WHERE f MATCH 'x' ORDER BY rank DESC LIMIT 3" \
		"SELECT rowid FROM f WHERE f MATCH 'x' ORDER BY bm25(f, 2.0) LIMIT 3" \
		"SELECT rowid FROM f WHERE f MATCH 'x' ORDER BY rowid LIMIT 3"; do
		run -0 sochdb-sql -d "$D" --no-header -c "EXPLAIN QUERY PLAN $q"
		refute_output --partial "pruned"
	done
	run -3 sochdb-sql -d "$D" -c "PRAGMA fts_prune = maybe"
	assert_output --partial "fts_prune takes on or off"
}

@test "pruned top-k equals the exhaustive path on corpora full of ties (3 seeds)" {
	for seed in 1 2 3; do
		rm -rf "$D"
		gen "$seed" 3000 > "$BATS_TEST_TMPDIR/c.sql"
		run -0 sochdb-sql -d "$D" < "$BATS_TEST_TMPDIR/c.sql"
		same_pruned
	done
}

@test "pruned top-k sees a transaction's own rows and agrees with sqlite3's FTS5" {
	gen 7 1500 > "$BATS_TEST_TMPDIR/c.sql"
	run -0 sochdb-sql -d "$D" < "$BATS_TEST_TMPDIR/c.sql"
	same_pruned
	# inside BEGIN, before the commit
	run -0 sochdb-sql -d "$D" --no-header -c "BEGIN" -c "INSERT INTO f(rowid, a, b) VALUES(99999, 'hen hen', 'hen')" \
		-c "SELECT rowid FROM f WHERE f MATCH 'hen' ORDER BY rank LIMIT 1" -c "ROLLBACK"
	assert_output "99999"
	# FTS5 on the same corpus: the same top 10 (ties: the smaller rowid)
	local want
	want=$( (cat "$BATS_TEST_TMPDIR/c.sql"; echo "SELECT rowid, printf('%.10g', rank) FROM f WHERE f MATCH 'cat OR hen OR fox' ORDER BY rank, rowid LIMIT 10;
SELECT rowid, printf('%.10g', rank) FROM f WHERE f MATCH 'ant bee' ORDER BY rank, rowid LIMIT 10;") |
		sqlite3 -batch -separator "$(printf '\t')" :memory:)
	run -0 sochdb-sql -d "$D" --no-header -c "SELECT rowid, printf('%.10g', rank) FROM f WHERE f MATCH 'cat OR hen OR fox' ORDER BY rank, rowid LIMIT 10;
SELECT rowid, printf('%.10g', rank) FROM f WHERE f MATCH 'ant bee' ORDER BY rank, rowid LIMIT 10;"
	assert_output "$want"
}
