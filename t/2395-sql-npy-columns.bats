#!/usr/bin/env bats
# 2395-sql-npy-columns: .import --npy FILE TABLE COLUMN --column NAME MFILE
# (metadata as 1-D numpy arrays loaded with the vectors, in the same pass):
# every dtype against numpy's own values, NaN as NULL, the rows the
# UPDATE recipe makes, --ids, every error (nothing imported), the batch
# load of sochdb-sql(1) run as the page writes it, and kill -9 in the
# middle of the import: all of it or nothing after reopen.

load test_helper

setup_file() {
	have_numpy_sql || return 0
	F=$BATS_FILE_TMPDIR
	$PY - "$F" <<'EOF'
import numpy as np, sys
d = sys.argv[1]
r = np.random.default_rng(2395)
n = 6
np.save(d + "/v.npy", r.standard_normal((n, 4)).astype(np.float32))
cols = {
    "b1": np.array([True, False, True, True, False, True]),
    "i1": np.array([-128, 127, 0, -1, 5, 9], np.int8),
    "i2": np.array([-32768, 32767, 0, -1, 5, 9], np.int16).reshape(n, 1),
    "i4": np.array([-2**31, 2**31 - 1, 0, -1, 5, 9], np.int32),
    "i8": np.array([-2**63, 2**63 - 1, 0, -1, 5, 9], np.int64),
    "u1": np.array([0, 255, 1, 2, 3, 4], np.uint8),
    "u2": np.array([0, 65535, 1, 2, 3, 4], np.uint16),
    "u4": np.array([0, 2**32 - 1, 1, 2, 3, 4], np.uint32),
    "u8": np.array([0, 2**63 - 1, 1, 2, 3, 4], np.uint64),
    "be": np.array([-70000, 70000, 1, -2, 3, -4], ">i4"),
    "f4": np.array([0.5, np.nan, -1.25, 3e38, -0.0, 7], np.float32),
    "f8": np.array([0.1, np.nan, -1.25, 1e300, 2.5e-300, 7], np.float64),
}
for k, v in cols.items():
    np.save(d + "/%s.npy" % k, v)
# the expected rows: id, then each column as SQL prints it (tsv, NULL empty)
def show(x):
    if isinstance(x, (np.floating, float)):
        if x != x:
            return ""
        return repr(float(x))
    return str(int(x))
with open(d + "/want.tsv", "w") as f:
    for i in range(n):
        f.write("\t".join([str(i)] + [show(v.reshape(-1)[i]) for v in cols.values()]) + "\n")
with open(d + "/names", "w") as f:
    f.write(" ".join(cols) + "\n")
# refused inputs
np.save(d + "/big.npy", np.array([0, 1, 2**63, 3, 4, 5], np.uint64))
np.save(d + "/str.npy", np.array(["a", "b", "c", "d", "e", "f"]))
np.save(d + "/c8.npy", np.zeros(n, np.complex64))
np.save(d + "/f2.npy", np.zeros(n, np.float16))
np.save(d + "/two.npy", np.zeros((n, 2), np.int32))
np.save(d + "/five.npy", np.zeros(n - 1, np.int32))
open(d + "/raw.bin", "wb").write(b"\0" * 48)
# the benchmark's shape, small: vectors, a hash bucket of the id, ids
m = 3000
x = r.standard_normal((m, 16)).astype(np.float32)
np.save(d + "/emb.npy", x)
np.save(d + "/bucket.npy", ((np.arange(m, dtype=np.uint64) * 2654435761 % 2**32) % 1000).astype(np.int32))
np.save(d + "/ids.npy", np.arange(m, dtype=np.int64) * 5 + 3)
EOF
}

setup() { numpy_setup; }

sql() { sochdb-sql -d "$D" --format tsv --no-header "$@"; }

# refused MFILE MESSAGE: `.import --npy v.npy t emb --column a MFILE`
# exits 3 with that one line
refused() {
	run -3 --separate-stderr sochdb-sql -d "$D" -c ".import --npy $F/v.npy t emb --column a $F/$1"
	[ "$stderr" = "sochdb-sql: line 1, column 1: $2" ] || fail "$1: $stderr"
}

@test "--column: a new table gets INTEGER/REAL columns; every dtype's values as numpy holds them, NaN as NULL" {
	local args=() sel=id n
	for n in $(cat "$F/names"); do
		args+=(--column "$n" "$F/$n.npy")
	done
	run -0 --separate-stderr sochdb-sql -d "$D" -c ".import --npy $F/v.npy t emb ${args[*]}"
	[ -z "$output" ] && [ -z "$stderr" ] || fail "$output $stderr"
	run -0 sql -c ".schema t"
	assert_output "CREATE TABLE t(id INTEGER PRIMARY KEY, emb VECTOR(4), b1 INTEGER, i1 INTEGER, i2 INTEGER, i4 INTEGER, i8 INTEGER, u1 INTEGER, u2 INTEGER, u4 INTEGER, u8 INTEGER, be INTEGER, f4 REAL, f8 REAL);"
	run -0 sql -c "SELECT typeof(b1), typeof(i8), typeof(u8), typeof(f4), typeof(f8) FROM t WHERE id = 1"
	assert_output "integer	integer	integer	null	null"
	# the exact values: REALs through printf('%!.17g') read back by python
	for n in $(cat "$F/names"); do
		case $n in f*) sel="$sel, CASE WHEN $n IS NULL THEN '' ELSE printf('%!.17g', $n) END" ;; *) sel="$sel, $n" ;; esac
	done
	sql -c "SELECT $sel FROM t ORDER BY id" >"$BATS_TEST_TMPDIR/got.tsv"
	run -0 $PY - "$BATS_TEST_TMPDIR/got.tsv" "$F/want.tsv" <<'EOF'
import sys
got = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
want = [l.rstrip("\n").split("\t") for l in open(sys.argv[2])]
assert len(got) == len(want), (len(got), len(want))
for g, w in zip(got, want):
    assert len(g) == len(w), (g, w)
    for a, b in zip(g, w):
        if a == b:
            continue
        assert a != "" and b != "" and float(a) == float(b), (g, w)
print("ok")
EOF
	assert_output ok
	# the vectors are the file's exact floats, as without --column
	run -0 sql -c "SELECT hex(emb) FROM t WHERE id = 4"
	assert_output "$($PY -c "import numpy as np; print(np.load('$F/v.npy')[4].tobytes().hex().upper())")"
}

@test "--column with --ids into an existing table: the same rows as .import --npy then the UPDATE of each row" {
	local A=$BATS_TEST_TMPDIR/a
	run -0 sochdb-sql -d "$A" -c "CREATE TABLE items(id INTEGER PRIMARY KEY, emb VECTOR(16), bucket INTEGER, note TEXT)" \
		-c ".import --npy $F/emb.npy items emb --ids $F/ids.npy" \
		-c "UPDATE items SET bucket = (id - 3) / 5 * 2654435761 % 4294967296 % 1000"
	run -0 sochdb-sql -d "$D" -c "CREATE TABLE items(id INTEGER PRIMARY KEY, emb VECTOR(16), bucket INTEGER, note TEXT)" \
		-c ".import --npy $F/emb.npy items emb --column bucket $F/bucket.npy --ids $F/ids.npy"
	run -0 sql -c "SELECT count(*), count(bucket), min(id), max(id), sum(bucket), count(note) FROM items"
	assert_output "3000	3000	3	14998	$($PY -c "import numpy as np; print(int(np.load('$F/bucket.npy').sum()))")	0"
	[ "$(sochdb-sql -d "$A" .dump)" = "$(sochdb-sql -d "$D" .dump)" ] || fail "the two loads differ"
	# the option may come anywhere after --npy, twice, with the ids between
	run -0 sochdb-sql -d "$D" -c "CREATE TABLE w(id INTEGER PRIMARY KEY, emb VECTOR(16), b INTEGER, c INTEGER)" \
		-c ".import --npy --column b $F/bucket.npy $F/emb.npy w --ids $F/ids.npy emb --column c $F/bucket.npy"
	run -0 sql -c "SELECT count(*) FROM w WHERE b = c AND b IS NOT NULL" -c "SELECT b FROM w WHERE id = 8"
	assert_output "3000
761"
}

@test "--column errors: a uint64 too large, another dtype or shape, a count other than n, no .npy, no such column: one line, exit 3, nothing imported" {
	sql -c "CREATE TABLE t(id INTEGER PRIMARY KEY, emb VECTOR(4), a INTEGER)" -c "INSERT INTO t VALUES(100, NULL, 1)"
	refused big.npy "$F/v.npy: row 2: column a: 9223372036854775808 is above the largest integer (nothing imported)"
	refused str.npy "'$F/str.npy' (column a): dtype '<U1' is not bool, int8..int64, uint8..uint64, float32 or float64"
	refused c8.npy "'$F/c8.npy' (column a): dtype '<c8' is not bool, int8..int64, uint8..uint64, float32 or float64"
	refused f2.npy "'$F/f2.npy' (column a): dtype '<f2' is not bool, int8..int64, uint8..uint64, float32 or float64"
	refused two.npy "'$F/two.npy' (column a) must be a 1-D array (got 2 dimensions)"
	refused five.npy "'$F/five.npy' (column a) holds 5 values, expected 6 (one per vector)"
	refused raw.bin "'$F/raw.bin' (column a) is not a .npy file"
	refused none.npy "cannot open '$F/none.npy': No such file or directory"
	run -3 --separate-stderr sochdb-sql -d "$D" -c ".import --npy $F/v.npy t emb --column zz $F/i4.npy"
	[[ "$stderr" == "sochdb-sql: line 1, column 1: $F/v.npy: "*"table t has no column named zz (nothing imported)" ]] || fail "$stderr"
	# a constraint a value breaks: the row number, nothing of it stays
	sql -c "CREATE TABLE u(id INTEGER PRIMARY KEY, emb VECTOR(4), a INTEGER CHECK (a >= 0))"
	run -3 --separate-stderr sochdb-sql -d "$D" -c ".import --npy $F/v.npy u emb --column a $F/i4.npy"
	[ "$stderr" = "sochdb-sql: line 1, column 1: $F/v.npy: row 0: CHECK constraint failed: a >= 0 (nothing imported)" ] || fail "$stderr"
	# usage: --column without its two words, or without --npy
	run -3 --separate-stderr sochdb-sql -d "$D" -c ".import --npy $F/v.npy t emb --column a"
	[ "$stderr" = "sochdb-sql: line 1, column 1: usage: .import --npy FILE TABLE COLUMN [--ids FILE] [--column NAME FILE]..." ] || fail "$stderr"
	run -3 --separate-stderr sochdb-sql -d "$D" -c ".import --column a $F/i4.npy $F/v.npy t"
	[ "$stderr" = "sochdb-sql: line 1, column 1: usage: .import --npy FILE TABLE COLUMN [--ids FILE] [--column NAME FILE]..." ] || fail "$stderr"
	run -0 sql -c "SELECT count(*), sum(a) FROM t" -c "SELECT count(*) FROM u"
	assert_output "1	1
0"
}

@test "the batch load of sochdb-sql(1), run as the page writes it: the HNSW index answers k-NN, the metadata index a filtered one" {
	# the commands of the page's "Batch loads" example, unescaped
	sed -n '/^\\fBBatch loads\.\\fR/,/^\.fi/p' "$TOP/man/sochdb-sql.1" | sed -n '/^\.nf/,/^\.fi/p' | sed '1d;$d' |
		sed -e 's/\\-/-/g' -e 's/\\e/\\/g' -e 's/VECTOR(128)/VECTOR(16)/' >"$BATS_TEST_TMPDIR/load.sh"
	grep -q -- '--column bucket bucket.npy' "$BATS_TEST_TMPDIR/load.sh" || fail "no batch load in the page: $(cat "$BATS_TEST_TMPDIR/load.sh")"
	cd "$BATS_TEST_TMPDIR"
	cp "$F/emb.npy" "$F/bucket.npy" .
	run -0 bash -e load.sh
	D=$BATS_TEST_TMPDIR/db
	run -0 sql -c "SELECT count(*), count(bucket) FROM items" \
		-c "SELECT name FROM sqlite_schema WHERE type = 'index' ORDER BY name"
	assert_output "3000	3000
items_bucket
items_emb"
	q=$($PY -c "import numpy as np; print('[' + ','.join(repr(float(t)) for t in np.load('emb.npy')[17]) + ']')")
	run -0 sql -c "EXPLAIN QUERY PLAN SELECT id FROM items ORDER BY vec_distance_l2(emb, '$q') LIMIT 5"
	assert_output --partial "SEARCH items USING HNSW INDEX items_emb"
	run -0 sql -c "EXPLAIN QUERY PLAN SELECT id FROM items WHERE bucket < 10 ORDER BY vec_distance_l2(emb, '$q') LIMIT 5"
	assert_output --partial "USING INDEX items_bucket"
	# the nearest of row 17's own vector among rows of its bucket is row 17;
	# the filter's rows against numpy's brute force
	b17=$(sql -c "SELECT bucket FROM items WHERE id = 17")
	run -0 sql -c "SELECT id FROM items WHERE bucket = $b17 ORDER BY vec_distance_l2(emb, '$q') LIMIT 3"
	want=$($PY -c "
import numpy as np
x = np.load('emb.npy').astype(np.float64); b = np.load('bucket.npy')
rows = np.nonzero(b == b[17])[0]
d = ((x[rows] - x[17]) ** 2).sum(1)
print('\n'.join(str(int(rows[i])) for i in np.argsort(d, kind='stable')[:3]))")
	assert_output "$want"
}

@test "kill -9 during .import --npy --column (committed through the WAL and straight into a table): every row with its metadata, or none" {
	local cycles win t0 c fb
	cycles=$(scaled 6)
	for fb in 65536 1073741824; do
		# 65536: past the flush threshold, the direct commit into a table
		export SOCHDB_FLUSH_BYTES=$fb
		for c in $(seq 1 "$cycles"); do
			sql -c "DROP TABLE IF EXISTS items" -c "CREATE TABLE items(id INTEGER PRIMARY KEY, emb VECTOR(16), bucket INTEGER)"
			if [ "$c" -eq 1 ]; then
				t0=$(date +%s%N)
				sochdb-sql -d "$D" -c ".import --npy $F/emb.npy items emb --column bucket $F/bucket.npy"
				win=$((($(date +%s%N) - t0) / 1000000 + 1))
			else
				kill_after "$win" sochdb-sql -d "$D" -c ".import --npy $F/emb.npy items emb --column bucket $F/bucket.npy"
			fi
			run -0 sql -c "SELECT count(*), count(bucket), coalesce(sum(bucket), 0) FROM items"
			[ "$output" = "0	0	0" ] || [ "$output" = "3000	3000	$($PY -c "import numpy as np; print(int(np.load('$F/bucket.npy').sum()))")" ] ||
				fail "flush $fb, cycle $c: $output"
		done
	done
	run -0 sochdb-wal -d "$D" verify
}
