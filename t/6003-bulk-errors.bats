#!/usr/bin/env bats
# 6003-bulk-errors: bad input gives one clear line on stderr, exit 3 (2 for
# bad flags), nothing on stdout, and never a partial index file.

load test_helper
load helpers/bulk

PY=/usr/bin/python3

setup() {
	D=$BATS_TEST_TMPDIR
	cd "$D"
	$PY -c "
import numpy as np
rng = np.random.default_rng(3)
x = rng.normal(size=(40, 4)).astype(np.float32)
np.save('x.npy', x)
np.save('int.npy', np.arange(12, dtype=np.int32).reshape(3, 4))
np.save('c64.npy', np.zeros((2, 2), dtype=np.complex64))
np.save('cube.npy', np.zeros((2, 2, 2), dtype=np.float32))
y = x.copy(); y[7, 2] = np.nan; np.save('nan.npy', y)
y = x.copy(); y[9, 0] = -np.inf; np.save('inf.npy', y)
np.save('empty.npy', np.zeros((0, 4), dtype=np.float32))
np.save('q5.npy', np.zeros((1, 5), dtype=np.float32))
b = open('x.npy', 'rb').read()
open('trunc.npy', 'wb').write(b[:50])
open('trunc-data.npy', 'wb').write(b[:300])
g = bytearray(b); g[20:26] = b'XXXXXX'; open('garbled.npy', 'wb').write(g)
"
	: >empty.f32
	sochdb-bulk build-index -i x.npy -o x.idx -t 1 -q
}

@test "garbled, truncated and unsupported npy files" {
	expect_fail 3 "sochdb-bulk: 'trunc.npy': truncated npy header (118 header bytes announced, 40 present)" \
		sochdb-bulk build-index -i trunc.npy -o o.idx
	expect_fail 3 "sochdb-bulk: 'trunc-data.npy': truncated npy data (640 bytes expected, 172 present)" \
		sochdb-bulk build-index -i trunc-data.npy -o o.idx
	expect_fail 3 "sochdb-bulk: 'garbled.npy': malformed npy header at byte 20: expected a quoted string" \
		sochdb-bulk build-index -i garbled.npy -o o.idx
	expect_fail 3 "sochdb-bulk: 'int.npy': unsupported dtype '<i4' (expected float32, float16 or float64)" \
		sochdb-bulk build-index -i int.npy -o o.idx
	expect_fail 3 "sochdb-bulk: 'c64.npy': unsupported dtype '<c8' (expected float32, float16 or float64)" \
		sochdb-bulk build-index -i c64.npy -o o.idx
	expect_fail 3 "sochdb-bulk: 'cube.npy': npy array has more than 2 dimensions" \
		sochdb-bulk build-index -i cube.npy -o o.idx
}

@test "NaN or infinity names the row" {
	expect_fail 3 "sochdb-bulk: 'nan.npy': row 7, column 2 is NaN" \
		sochdb-bulk build-index -i nan.npy -o o.idx
	expect_fail 3 "sochdb-bulk: 'inf.npy': row 9, column 0 is infinite" \
		sochdb-bulk build-index -i inf.npy -o o.idx
	expect_fail 3 "sochdb-bulk: '--vector': row 0, column 3 is NaN" \
		sochdb-bulk query --index x.idx --vector 1,2,3,nan
}

@test "empty inputs" {
	expect_fail 3 "sochdb-bulk: 'empty.npy' holds no vectors" \
		sochdb-bulk build-index -i empty.npy -o o.idx
	expect_fail 3 "sochdb-bulk: 'empty.f32' holds no vectors" \
		sochdb-bulk build-index -i empty.f32 -d 4 -o o.idx
	: >empty.npy
	expect_fail 3 "sochdb-bulk: 'empty.npy' holds no vectors" \
		sochdb-bulk build-index -i empty.npy -o o.idx
}

@test "missing files" {
	expect_fail 3 "sochdb-bulk: cannot open 'missing.npy': No such file or directory" \
		sochdb-bulk build-index -i missing.npy -o o.idx
	expect_fail 3 "sochdb-bulk: cannot open 'missing.idx': No such file or directory" \
		sochdb-bulk query --index missing.idx --vector 1,2,3,4
	expect_fail 3 "sochdb-bulk: cannot open 'missing.idx': No such file or directory" \
		sochdb-bulk info missing.idx
	expect_fail 3 "sochdb-bulk: cannot open 'no.u64': No such file or directory" \
		sochdb-bulk build-index -i x.npy -o o.idx --ids no.u64
	expect_fail 3 "sochdb-bulk: cannot create 'nodir/o.idx': No such file or directory" \
		sochdb-bulk build-index -i x.npy -o nodir/o.idx
}

@test "query dimension differs from the index, k larger than the index" {
	expect_fail 3 "sochdb-bulk: query has dimension 5, the index has dimension 4" \
		sochdb-bulk query --index x.idx -q q5.npy
	expect_fail 3 "sochdb-bulk: query has dimension 3, the index has dimension 4" \
		sochdb-bulk query --index x.idx --vector 1,2,3
	expect_fail 3 "sochdb-bulk: k (41) is larger than the index ('x.idx' holds 40 vectors)" \
		sochdb-bulk query --index x.idx --vector 1,2,3,4 -k 41
}

@test "bad flags exit 2" {
	expect_fail 2 "sochdb-bulk: invalid value '1' for --max-connections (expected 2..255)
Try 'sochdb-bulk build-index -h' for more information." \
		sochdb-bulk build-index -i x.npy -o o.idx -m 1
	expect_fail 2 "sochdb-bulk: invalid metric 'dot' (expected l2, cosine or ip)
Try 'sochdb-bulk build-index -h' for more information." \
		sochdb-bulk build-index -i x.npy -o o.idx --metric dot
	expect_fail 2 "sochdb-bulk: raw float32 input 'empty.f32' needs --dimension" \
		sochdb-bulk build-index -i empty.f32 -o o.idx
	run -2 --separate-stderr sochdb-bulk build-index -i x.npy
	[ "${stderr%%$'\n'*}" = "sochdb-bulk: missing --output" ]
	run -2 --separate-stderr sochdb-bulk query --index x.idx
	[ "${stderr%%$'\n'*}" = "sochdb-bulk: give exactly one of --query FILE and --vector X,Y,..." ]
	run -2 --separate-stderr sochdb-bulk query --index x.idx --vector 1,x,3,4
	[ "${stderr%%$'\n'*}" = "sochdb-bulk: invalid --vector: bad number at character 3" ]
	run -2 --separate-stderr sochdb-bulk query --index x.idx --vector 1,2 --format xml
	[ "${stderr%%$'\n'*}" = "sochdb-bulk: invalid value 'xml' for --format (expected csv, json or toon)" ]
	run -2 --separate-stderr sochdb-bulk build-index -i x.npy -o o.idx --ordering zorder
	[ "${stderr%%$'\n'*}" = "sochdb-bulk: invalid ordering 'zorder' (expected none, random_projection, kmeans or block)" ]
	run -2 --separate-stderr sochdb-bulk build-index -i x.npy -o o.idx -t 0
	[ "${stderr%%$'\n'*}" = "sochdb-bulk: invalid value '0' for --threads (expected 1..4096)" ]
}

@test "ids file of the wrong length" {
	head -c 312 /dev/zero >short.u64
	expect_fail 3 "sochdb-bulk: 'short.u64' holds 312 bytes, expected 40 u64 ids (320 bytes) for 40 vectors" \
		sochdb-bulk build-index -i x.npy -o o.idx --ids short.u64
}

@test "a damaged index: section checksum, header checksum, truncation, not an index" {
	cp x.idx bad.idx
	# flip one byte inside the vectors section (offset 4096 + 100)
	printf '\xff' | dd of=bad.idx bs=1 seek=4196 conv=notrunc status=none
	expect_fail 3 "sochdb-bulk: 'bad.idx' is damaged: checksum mismatch in section 'vectors'" \
		sochdb-bulk info --index bad.idx
	expect_fail 3 "sochdb-bulk: 'bad.idx' is damaged: checksum mismatch in section 'vectors'" \
		sochdb-bulk query --index bad.idx --vector 1,2,3,4 --verify
	run -0 sochdb-bulk info --index bad.idx --no-verify
	assert_line "checksums: unchecked"
	cp x.idx bad2.idx
	printf '\x07' | dd of=bad2.idx bs=1 seek=24 conv=notrunc status=none
	expect_fail 3 "sochdb-bulk: 'bad2.idx' is damaged: header checksum mismatch" \
		sochdb-bulk query --index bad2.idx --vector 1,2,3,4
	# the SQ8 search copy (the file's last bytes) has its own checksum,
	# and a file cut inside it is refused before any query
	cp x.idx bad3.idx
	sz=$(stat -c %s bad3.idx)
	printf '\x5a' | dd of=bad3.idx bs=1 seek=$((sz - 3)) conv=notrunc status=none
	expect_fail 3 "sochdb-bulk: 'bad3.idx' is damaged: checksum mismatch in section 'vectors_sq8'" \
		sochdb-bulk info --index bad3.idx
	head -c $((sz - 16)) x.idx >cut.idx
	expect_fail 3 "sochdb-bulk: 'cut.idx' is damaged: section 'vectors_sq8' out of bounds (file truncated?)" \
		sochdb-bulk query --index cut.idx --vector 1,2,3,4
	head -c 5000 x.idx >short.idx
	expect_fail 3 "sochdb-bulk: 'short.idx' is damaged: section 'ids' out of bounds (file truncated?)" \
		sochdb-bulk query --index short.idx --vector 1,2,3,4
	expect_fail 3 "sochdb-bulk: 'x.npy' is not a sochdb-bulk index (too short)" \
		sochdb-bulk info x.npy
	head -c 8192 /dev/zero >zero.idx
	expect_fail 3 "sochdb-bulk: 'zero.idx' is not a sochdb-bulk index (bad magic)" \
		sochdb-bulk info zero.idx
}

@test "a full disk leaves no partial index and no temporary file" {
	$PY -c "
import numpy as np
np.save('big.npy', np.random.default_rng(1).normal(size=(3000, 16)).astype(np.float32))"
	# ulimit -f makes write(2) fail with EFBIG once the file passes 64 KiB
	run -3 --separate-stderr bash -c 'ulimit -f 64; trap "" XFSZ; exec sochdb-bulk build-index -i big.npy -o o.idx -q'
	[[ "$stderr" == "sochdb-bulk: cannot write 'o.idx': File too large" ]] || fail "$stderr"
	[ ! -e o.idx ]
	[ -z "$(ls | grep '\.tmp\.')" ] || fail "temporary file left: $(ls)"
	# an existing index is left untouched
	cp x.idx o.idx
	run -3 --separate-stderr bash -c 'ulimit -f 64; trap "" XFSZ; exec sochdb-bulk build-index -i big.npy -o o.idx -q'
	run -0 cmp x.idx o.idx
	rm o.idx
	if [ -w /dev/full ]; then
		run -3 --separate-stderr bash -c 'exec sochdb-bulk query --index x.idx --vector 1,2,3,4 >/dev/full'
		[[ "$stderr" == "sochdb-bulk: write failure on standard output: No space left on device" ]] || fail "$stderr"
	fi
}

@test "option spellings: -k2, -k 2, --k=2, --k 2 and options after arguments are the same" {
	run -0 sochdb-bulk query --index x.idx --vector 1,2,3,4 -k 2
	want=$output
	for spelling in "-k2" "--k=2" "--k 2"; do
		run -0 sochdb-bulk query $spelling --vector 1,2,3,4 --index=x.idx
		[ "$output" = "$want" ] || fail "$spelling: $output"
	done
	run -0 sochdb-bulk info x.idx --format json
	run -0 sochdb-bulk info --format json -- x.idx
	run -0 sochdb-bulk help query
	[[ "$output" == "usage: sochdb-bulk query"* ]]
	# quiet is long only before the command; build-index keeps -q
	run -0 --separate-stderr sochdb-bulk --quiet build-index -i x.npy -o q.idx -t 1
	[ -z "$stderr" ]
	[ -z "$output" ]
	rm q.idx
}
