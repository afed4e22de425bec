#!/usr/bin/env bats
# 6005-bulk-simd: every kernel tier the CPU offers (scalar, sse, avx2,
# avx512; SOCHDB_SIMD caps the run-time choice) computes the same
# distances and builds graphs of the same quality.

load test_helper

PY=/usr/bin/python3

@test "unit tests pass with every SIMD tier" {
	for s in scalar sse avx2 avx512; do
		SOCHDB_SIMD=$s run -0 "$BUILD/t/unit/test_vec"
	done
}

@test "every SIMD tier finds the same neighbours" {
	D=$BATS_TEST_TMPDIR
	$PY "$TOP/scripts/vecgen.py" "$D/v" --n 3000 --dim 40 --queries 50 --k 10 --seed 3
	for s in scalar sse avx2 avx512; do
		SOCHDB_SIMD=$s run -0 --separate-stderr sochdb-bulk build-index -i "$D/v.base.npy" -o "$D/$s.idx" -t 1 --telemetry
		flag=$s; [ $s = avx512 ] && flag=avx512f
		if [ $s = scalar ] || [ $s = sse ] || grep -qw "$flag" /proc/cpuinfo; then
			[[ "$stderr" == *"kernels $s;"* ]] || fail "SOCHDB_SIMD=$s: $stderr"
		fi
		SOCHDB_SIMD=$s run -0 --separate-stderr sochdb-bulk query --index "$D/$s.idx" -q "$D/v.query.npy" --ef 64 --truth "$D/v.truth.npy" --no-output
		r=$(awk '/^recall@/ { print $2 }' <<<"$stderr")
		awk -v r="$r" 'BEGIN { exit !(r >= 0.95) }' || fail "$s: recall $r"
		SOCHDB_SIMD=$s run -0 sochdb-bulk query --index "$D/$s.idx" -q "$D/v.query.npy" -k 1 --exact --format csv
		# ids agree across tiers; distances may differ in the last bits
		cut -d, -f1-3 <<<"$output" >"$D/$s.ids"
	done
	run -0 cmp "$D/scalar.ids" "$D/sse.ids"
	run -0 cmp "$D/scalar.ids" "$D/avx2.ids"
	run -0 cmp "$D/scalar.ids" "$D/avx512.ids"
}
