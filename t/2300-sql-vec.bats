#!/usr/bin/env bats
# 2300-sql-vec: vectors in SQL. VECTOR(D) columns (BLOB affinity, typeof
# 'blob', JSON array text converted, dimension and finiteness checked on
# INSERT and UPDATE, nothing of a failed statement kept), the vector
# literal forms, and every vec_* function against numpy computed here
# (float32 inputs; squared L2, 1 - dot, 1 - cosine), with each bad-input
# error.

load test_helper

PY=/usr/bin/python3

setup() {
	[ -x "$BUILD/bin/sochdb-sql" ] || skip "sochdb-sql is not built"
	$PY -c 'import numpy' 2>/dev/null || skip "python3-numpy missing (scripts/install-deps.sh test)"
	D=$BATS_TEST_TMPDIR/db
	unset SOCHDB_DIR
}

# check SQL MESSAGE: SQL fails with exit 3 and exactly this one-line error.
check() {
	run -3 --separate-stderr sochdb-sql -d "$D" -c "$1"
	[ "$stderr" = "sochdb-sql: line 1, column 1: $2" ] || fail "$1: $stderr"
}

@test "VECTOR(D): JSON text and blobs stored as D float32, typeof blob, BLOB affinity" {
	run -0 sochdb-sql -d "$D" -c "CREATE TABLE t(id INTEGER PRIMARY KEY, e VECTOR(3))" \
		-c "INSERT INTO t(e) VALUES('[1, 2, 3]'), (vector('[0.5,-0.25,1e-3]')), (x'0000803f0000004000004040'), (NULL)" \
		-c "SELECT id, typeof(e), length(e), hex(e) FROM t ORDER BY id"
	assert_output "id	typeof(e)	length(e)	hex(e)
1	blob	12	0000803F0000004000004040
2	blob	12	0000003F000080BE6F12833A
3	blob	12	0000803F0000004000004040
4	null	\\N	"
	run -0 sochdb-sql -d "$D" --no-header -c "PRAGMA table_info(t)"
	[[ "$output" == *"	e	VECTOR(3)	"* ]] || fail "declared type: $output"
	# the row's vector reads back as written, and equal blobs compare equal
	run -0 sochdb-sql -d "$D" --no-header -c "SELECT count(*) FROM t WHERE e = vector('[1,2,3]')"
	assert_output 2
}

@test "VECTOR(D): wrong dimension, NaN, infinity, a number, bad text are one-line errors and nothing is kept" {
	sochdb-sql -d "$D" -c "CREATE TABLE t(id INTEGER PRIMARY KEY, e VECTOR(3))" -c "INSERT INTO t VALUES(1, '[1,2,3]')"
	check "INSERT INTO t(e) VALUES('[1,2,3]'), ('[1,2]')" "t.e is VECTOR(3): got 2 dimensions"
	check "INSERT INTO t(e) VALUES(x'0000803f0000803f0000803f0000803f')" "t.e is VECTOR(3): got 4 dimensions"
	check "INSERT INTO t(e) VALUES(x'00')" "t.e is VECTOR(3): got a blob of 1 bytes, not float32 values"
	check "INSERT INTO t(e) VALUES(x'0000c07f0000803f0000803f')" "t.e: vector element 1 is NaN"
	check "INSERT INTO t(e) VALUES(x'0000803f0000807f0000803f')" "t.e: vector element 2 is infinite"
	check "INSERT INTO t(e) VALUES('[1,2,1e40]')" "t.e: vector element 3 (1e40) is out of float32 range"
	check "INSERT INTO t(e) VALUES('[1,2,x]')" "t.e: malformed vector literal at offset 5: expected a number"
	check "INSERT INTO t(e) VALUES('[1,2,3')" "t.e: malformed vector literal: expected ',' or ']' at its end"
	check "INSERT INTO t(e) VALUES(5)" "t.e is VECTOR(3): got an integer, not a vector"
	check "INSERT INTO t(e) VALUES(2.5)" "t.e is VECTOR(3): got a real, not a vector"
	check "UPDATE t SET e = '[1]' WHERE id = 1" "t.e is VECTOR(3): got 1 dimensions"
	check "CREATE TABLE u(e VECTOR(0))" "column e: VECTOR needs a dimension from 1 to 65536, as VECTOR(384)"
	check "CREATE TABLE u(e VECTOR)" "column e: VECTOR needs a dimension from 1 to 65536, as VECTOR(384)"
	check "CREATE TABLE u(e VECTOR(65537))" "column e: VECTOR needs a dimension from 1 to 65536, as VECTOR(384)"
	run -0 sochdb-sql -d "$D" --no-header -c "SELECT count(*), vec_to_json(max(e)) FROM t"
	assert_output "1	[1,2,3]"
	# UPDATE with a good vector works and is checked the same way
	run -0 sochdb-sql -d "$D" --no-header -c "UPDATE t SET e = '[4, 5, 6]'" -c "SELECT vec_to_json(e) FROM t"
	assert_output "[4,5,6]"
}

@test "vec_distance_l2 (squared), _ip (1 - dot), _cosine (1 - cos), vec_normalize, vec_dims agree with numpy" {
	$PY - "$BATS_TEST_TMPDIR" <<'EOF'
import numpy as np, sys
d = sys.argv[1]
r = np.random.default_rng(2300)
with open(d + "/q.sql", "w") as f, open(d + "/want.txt", "w") as w:
    for dim in (1, 3, 16, 31, 128, 769):
        for _ in range(5):
            a = r.standard_normal(dim).astype(np.float32)
            b = r.standard_normal(dim).astype(np.float32)
            ta = "[" + ",".join(repr(float(x)) for x in a) + "]"
            tb = "[" + ",".join(repr(float(x)) for x in b) + "]"
            a64, b64 = a.astype(np.float64), b.astype(np.float64)
            l2 = ((a64 - b64) ** 2).sum()
            ip = 1 - (a64 * b64).sum()
            cos = 1 - (a64 * b64).sum() / np.sqrt((a64 * a64).sum() * (b64 * b64).sum())
            n = a64 / np.sqrt((a64 * a64).sum())
            f.write(f"SELECT vec_distance_l2('{ta}', '{tb}'), vec_distance_ip('{ta}', vector('{tb}')), "
                    f"vec_distance_cosine(vector('{ta}'), '{tb}'), vec_dims('{ta}'), vec_to_json(vec_normalize('{ta}'));\n")
            w.write(f"{l2!r} {ip!r} {cos!r} {dim} " + ",".join(repr(float(x)) for x in n) + "\n")
EOF
	run -0 sochdb-sql -d "$D" --no-header --format tsv "$BATS_TEST_TMPDIR/q.sql"
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/got.txt"
	run -0 $PY - "$BATS_TEST_TMPDIR" <<'EOF'
import sys, json
d = sys.argv[1]
got = open(d + "/got.txt").read().splitlines()
want = open(d + "/want.txt").read().splitlines()
assert len(got) == len(want), (len(got), len(want))
for g, w in zip(got, want):
    g = g.split("\t"); w = w.split(" ")
    for i in range(3):
        x, y = float(g[i]), float(w[i])
        assert abs(x - y) <= 1e-4 * max(1.0, abs(y)), (i, x, y)
    assert int(g[3]) == int(w[3])
    nv = json.loads(g[4]); wv = [float(v) for v in w[4].split(",")]
    assert len(nv) == len(wv)
    assert max(abs(p - q) for p, q in zip(nv, wv)) < 1e-6, "normalize"
print("ok", len(got))
EOF
	assert_output "ok 30"
}

@test "vec_to_json prints the shortest text that reads back as the same float32; vector() of it is the same blob" {
	run -0 sochdb-sql -d "$D" --no-header -c "SELECT vec_to_json('[0.1, -0, 1e-7, 3.4028234e38, 16777217, 2.5]')"
	assert_output "[0.1,-0,1e-07,3.4028235e+38,16777216,2.5]"
	$PY - "$BATS_TEST_TMPDIR/v.sql" <<'EOF'
import numpy as np, sys
r = np.random.default_rng(7)
v = (r.standard_normal(200) * 10.0 ** r.integers(-30, 30, 200)).astype(np.float32)
open(sys.argv[1], "w").write("SELECT vector(vec_to_json(x'%s')) = x'%s';\n" % (v.tobytes().hex(), v.tobytes().hex()))
EOF
	run -0 sochdb-sql -d "$D" --no-header "$BATS_TEST_TMPDIR/v.sql"
	assert_output 1
}

@test "NULL in gives NULL out; a zero vector is at cosine distance 1 and normalizes to itself" {
	run -0 sochdb-sql -d "$D" --no-header -c "SELECT vector(NULL) IS NULL, vec_dims(NULL) IS NULL, vec_distance_l2(NULL, '[1]') IS NULL, vec_distance_cosine('[1]', NULL) IS NULL, vec_to_json(NULL) IS NULL, vec_normalize(NULL) IS NULL"
	assert_output "1	1	1	1	1	1"
	run -0 sochdb-sql -d "$D" --no-header -c "SELECT vec_distance_cosine('[0,0]', '[1,2]'), vec_to_json(vec_normalize('[0,0]')), vec_distance_l2('[0,0]', '[3,4]'), vec_distance_ip('[1,0]', '[1,0]')"
	assert_output "1.0	[0,0]	25.0	0.0"
}

@test "vec_* bad input: one-line errors naming the function and argument" {
	check "SELECT vec_distance_l2('[1,2]', '[1,2,3]')" "vec_distance_l2: vectors of different dimensions (2 and 3)"
	check "SELECT vec_distance_cosine('[1]', x'000000')" "vec_distance_cosine: argument 2 is a blob of 3 bytes, not float32 values"
	check "SELECT vec_distance_ip(x'0000c07f', '[1]')" "vec_distance_ip: argument 1 element 1 is NaN"
	check "SELECT vec_dims(x'0000807f')" "vec_dims: argument 1 element 1 is infinite"
	check "SELECT vec_dims(3)" "vec_dims: argument 1 is an integer, not a vector"
	check "SELECT vec_normalize(0.5)" "vec_normalize: argument 1 is a real, not a vector"
	check "SELECT vector('[]')" "vector: argument 1: vector has no elements"
	check "SELECT vector('1, 2')" "vector: argument 1: malformed vector literal at offset 0: expected '['"
	check "SELECT vector('[1, \"2\"]')" "vector: argument 1: malformed vector literal at offset 4: expected a number"
	check "SELECT vector('[1 2]')" "vector: argument 1: malformed vector literal at offset 3: expected ',' or ']'"
	check "SELECT vector('[1] x')" "vector: argument 1: malformed vector literal at offset 4: expected nothing after ']'"
	check "SELECT vector('[NaN]')" "vector: argument 1: malformed vector literal at offset 1: expected a number"
	check "SELECT vector('[Infinity]')" "vector: argument 1: malformed vector literal at offset 1: expected a number"
	check "SELECT vec_to_json('[1e39]')" "vec_to_json: argument 1: vector element 1 (1e39) is out of float32 range"
	check "SELECT vec_dims(x'')" "vec_dims: argument 1 is a blob of 0 bytes, not float32 values"
	check "SELECT vec_distance_l2('[1]')" "wrong number of arguments to function vec_distance_l2()"
	run -0 sochdb-sql -d "$D" --no-header -c "SELECT vec_dims(zeroblob(262144))"
	assert_output 65536
	run -3 --separate-stderr sochdb-sql -d "$D" -c "SELECT vec_dims(zeroblob(262148))"
	[ "$stderr" = "sochdb-sql: line 1, column 1: vec_dims: argument 1 has more than 65536 elements" ] || fail "$stderr"
}

@test ".dump writes vectors as blob literals: sqlite3 reads them, and sochdb-sql reads the dump back" {
	command -v sqlite3 >/dev/null || skip "sqlite3 not installed (scripts/install-deps.sh test)"
	sochdb-sql -d "$D" -c "CREATE TABLE t(id INTEGER PRIMARY KEY, e VECTOR(2))" -c "INSERT INTO t VALUES(1, '[0.5, -1]'), (2, NULL)"
	run -0 sochdb-sql -d "$D" -c .dump
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/dump.sql"
	sqlite3 "$BATS_TEST_TMPDIR/ref.db" <"$BATS_TEST_TMPDIR/dump.sql"
	run -0 sqlite3 "$BATS_TEST_TMPDIR/ref.db" "SELECT id, hex(e) FROM t ORDER BY id"
	assert_output "1|0000003F000080BF
2|"
	run -0 sochdb-sql -d "$BATS_TEST_TMPDIR/db2" --no-header "$BATS_TEST_TMPDIR/dump.sql" -c "SELECT id, vec_to_json(e) FROM t ORDER BY id"
	assert_output "1	[0.5,-1]
2	\\N"
}
