#!/usr/bin/env bats
# 6007-bulk-inputs: B10 and B12 — convert to stdout, a --truth file that is
# not truth, SOCHDB_SIMD typos, --ids as uint64/int64 .npy, and one clear
# line for float64 out of float32 range, negative or mixed fvecs
# dimensions and a raw file without a telling name.

load test_helper
load helpers/bulk

PY=/usr/bin/python3

setup() {
	D=$BATS_TEST_TMPDIR
	cd "$D"
	$PY -c "
import numpy as np
x = np.random.default_rng(4).normal(size=(20, 4)).astype(np.float32)
np.save('x.npy', x)
with open('x.fvecs', 'wb') as f:
    for r in x:
        f.write(np.int32(4).tobytes() + r.tobytes())
x.tofile('x.f32')
x.tofile('rawq')
np.save('ids-u64.npy', np.arange(20, dtype=np.uint64) * 1000 + 7)
np.save('ids-i64.npy', np.arange(20, dtype=np.int64) * 3)
np.save('ids-be.npy', (np.arange(20) + 5).astype('>u8'))
np.save('ids-neg.npy', np.arange(20, dtype=np.int64) - 2)
np.save('ids-f8.npy', np.arange(20, dtype=np.float64))
np.save('ids-2d.npy', np.zeros((20, 2), dtype=np.uint64))
np.save('ids-short.npy', np.arange(19, dtype=np.uint64))
y = x.astype(np.float64); y[5, 2] = -3e40; np.save('big.npy', y)
with open('neg.fvecs', 'wb') as f:
    f.write(np.int32(-4).tobytes() + x[0].tobytes())
with open('mixed.fvecs', 'wb') as f:
    for i, r in enumerate(x[:4]):
        d = 3 if i == 2 else 4
        f.write(np.int32(d).tobytes() + r[:d].tobytes())
with open('negrow.fvecs', 'wb') as f:
    for i, r in enumerate(x[:3]):
        f.write(np.int32(-4 if i == 1 else 4).tobytes() + r.tobytes())
"
	sochdb-bulk build-index -i x.npy -o x.idx -t 1 -q
}

@test "convert -o - writes stdout in every format, never a file named '-'" {
	sochdb-bulk convert -i x.npy -o - --to-format fvecs >out.fvecs
	cmp out.fvecs x.fvecs
	sochdb-bulk convert -i x.fvecs -o - --to-format raw_f32 >out.f32
	cmp out.f32 x.f32
	sochdb-bulk convert -i x.f32 -d 4 -o - --to-format npy >out.npy
	run -0 $PY -c "import numpy as np; assert (np.load('out.npy') == np.load('x.npy')).all()"
	[ ! -e ./- ] || fail "a file named '-' was written"
	# without --to-format the format of '-' cannot be guessed
	run -2 --separate-stderr sochdb-bulk convert -i x.npy -o -
	[ "${stderr_lines[0]}" = "sochdb-bulk: cannot tell the output format from '-': give --to-format" ] || fail "$stderr"
}

@test "--truth: a float file is refused (exit 3), not scored as recall 0" {
	expect_fail 3 "sochdb-bulk: 'x.fvecs': row 0, column 0: $($PY -c "import numpy as np; print(np.load('x.npy')[0,0:1].view(np.int32)[0])") is not an id of the index (a float file?)" \
		sochdb-bulk query --index x.idx -q x.npy -k 4 --truth x.fvecs --no-output
	expect_fail 3 "sochdb-bulk: 'x.npy': truth must be a 2-D C-order int32/int64/uint64 array (got '<f4')" \
		sochdb-bulk query --index x.idx -q x.npy -k 4 --truth x.npy --no-output
	# true neighbours in external ids are accepted
	run -0 sochdb-bulk build-index -i x.npy -o e.idx --ids ids-u64.npy -q
	run -0 sochdb-bulk query --index e.idx -q x.npy -k 3 --exact --format csv
	$PY -c "
import numpy as np
rows = [l.split(',') for l in open('/dev/stdin').read().split()[1:]]
t = np.array([int(r[2]) for r in rows], dtype=np.uint64).reshape(20, 3)
np.save('t.npy', t)" <<<"$output"
	run -0 --separate-stderr sochdb-bulk query --index e.idx -q x.npy -k 3 --exact --truth t.npy --no-output
	[[ "$stderr" == "recall@3 1.0000  qps "* ]] || fail "$stderr"
	# and row numbers of an index without --ids that are out of range are not
	$PY -c "import numpy as np; np.save('t20.npy', np.full((20, 3), 20, dtype=np.int64))"
	expect_fail 3 "sochdb-bulk: 't20.npy': row 0, column 0: 20 is not an id of the index (a float file?)" \
		sochdb-bulk query --index x.idx -q x.npy -k 3 --truth t20.npy --no-output
}

@test "SOCHDB_SIMD: an unknown value is a usage error (exit 2); empty means unset" {
	SOCHDB_SIMD=bogus expect_fail 2 "sochdb-bulk: invalid SOCHDB_SIMD 'bogus' (expected scalar, sse, avx2 or avx512)" \
		sochdb-bulk build-index -i x.npy -o o.idx
	[ ! -e o.idx ]
	SOCHDB_SIMD=AVX2 expect_fail 2 "sochdb-bulk: invalid SOCHDB_SIMD 'AVX2' (expected scalar, sse, avx2 or avx512)" \
		sochdb-bulk query --index x.idx --vector 0,0,0,0
	SOCHDB_SIMD= run -0 sochdb-bulk query --index x.idx --vector 0,0,0,0 -k 1 --format csv
	SOCHDB_SIMD=scalar run -0 --separate-stderr sochdb-bulk build-index -i x.npy -o s.idx --telemetry
	[[ "$stderr" == *"kernels scalar;"* ]] || fail "$stderr"
}

@test "--ids takes a uint64 or int64 .npy (either byte order) as well as raw u64" {
	run -0 sochdb-bulk build-index -i x.npy -o u.idx --ids ids-u64.npy -q
	run -0 sochdb-bulk query --index u.idx -q x.npy -k 1 --format csv --exact
	assert_line "0,1,7,0"
	assert_line "19,1,19007,0"
	run -0 sochdb-bulk info --index u.idx
	assert_line "external_ids: true"
	run -0 sochdb-bulk build-index -i x.npy -o i.idx --ids ids-i64.npy -q
	run -0 sochdb-bulk query --index i.idx -q x.npy -k 1 --format csv --exact
	assert_line "19,1,57,0"
	run -0 sochdb-bulk build-index -i x.npy -o b.idx --ids ids-be.npy -q
	run -0 sochdb-bulk query --index b.idx -q x.npy -k 1 --format csv --exact
	assert_line "0,1,5,0"
}

@test "--ids: negative ids, other dtypes, shapes and counts are refused clearly" {
	expect_fail 3 "sochdb-bulk: 'ids-neg.npy': id -2 at row 0 is negative" \
		sochdb-bulk build-index -i x.npy -o o.idx --ids ids-neg.npy
	expect_fail 3 "sochdb-bulk: 'ids-f8.npy': ids must be uint64 or int64 (got dtype '<f8')" \
		sochdb-bulk build-index -i x.npy -o o.idx --ids ids-f8.npy
	expect_fail 3 "sochdb-bulk: 'ids-2d.npy': ids must be a 1-D array (got 2 dimensions)" \
		sochdb-bulk build-index -i x.npy -o o.idx --ids ids-2d.npy
	expect_fail 3 "sochdb-bulk: 'ids-short.npy' holds 19 ids, expected 20 (one per vector)" \
		sochdb-bulk build-index -i x.npy -o o.idx --ids ids-short.npy
	[ ! -e o.idx ]
}

@test "float64 out of float32 range: one line naming the row, column and value" {
	expect_fail 3 "sochdb-bulk: 'big.npy': row 5, column 2: float64 value -3e+40 is out of float32 range" \
		sochdb-bulk build-index -i big.npy -o o.idx
	expect_fail 3 "sochdb-bulk: 'big.npy': row 5, column 2: float64 value -3e+40 is out of float32 range" \
		sochdb-bulk convert -i big.npy -o o.fvecs
	[ ! -e o.idx ] && [ ! -e o.fvecs ]
}

@test "fvecs: negative and mixed dimensions are named as such" {
	expect_fail 3 "sochdb-bulk: 'neg.fvecs': fvecs row 0 has a negative dimension (-4)" \
		sochdb-bulk build-index -i neg.fvecs -o o.idx
	expect_fail 3 "sochdb-bulk: 'negrow.fvecs': fvecs row 1 (byte 20) has a negative dimension (-4)" \
		sochdb-bulk build-index -i negrow.fvecs -o o.idx
	expect_fail 3 "sochdb-bulk: 'mixed.fvecs': fvecs row 2 (byte 40) has dimension 3, row 0 has 4 (mixed dimensions)" \
		sochdb-bulk convert -i mixed.fvecs -o o.npy
}

@test "a raw file without a telling name: read as raw for a query, a clear hint otherwise" {
	# query: the index's dimension tells raw rows from fvecs
	run -0 sochdb-bulk query --index x.idx -q rawq -k 1 --format csv --exact
	assert_line "0,1,0,0"
	assert_line "19,1,19,0"
	cp x.fvecs fq
	run -0 sochdb-bulk query --index x.idx -q fq -k 1 --format csv --exact
	assert_line "19,1,19,0"
	# fvecs of another dimension stays fvecs (and is refused), never raw
	$PY -c "
import numpy as np
x = np.load('x.npy')
with open('f3', 'wb') as f:
    for r in x:
        f.write(np.int32(3).tobytes() + r[:3].tobytes())"
	expect_fail 3 "sochdb-bulk: query has dimension 3, the index has dimension 4" \
		sochdb-bulk query --index x.idx -q f3 -k 1
	# build-index knows no dimension: the message says how it was read
	first=$($PY -c "import numpy as np; print(np.load('x.npy')[0,0:1].view(np.int32)[0])")
	if [ "$first" -lt 0 ]; then
		msg="fvecs row 0 has a negative dimension ($first)"
	else
		msg="bad fvecs dimension $first at byte 0"
	fi
	expect_fail 3 "sochdb-bulk: 'rawq': $msg (no npy magic, so read as fvecs; raw float32 needs --dimension)" \
		sochdb-bulk build-index -i rawq -o o.idx
	run -0 sochdb-bulk build-index -i rawq -d 4 -o o.idx -q
}
