#!/usr/bin/env bats
# 6002-bulk-formats: every input format (npy written by numpy itself in
# versions 1-3, float16/float64/Fortran/big-endian conversions, fvecs,
# raw float32), query files, and the round trips of convert.

load test_helper

PY=/usr/bin/python3

setup() {
	D=$BATS_TEST_TMPDIR
	$PY -c "
import numpy as np
rng = np.random.default_rng(11)
x = rng.normal(size=(300, 12)).astype(np.float32)
np.save('$D/x.npy', x)
x.tofile('$D/x.f32')
with open('$D/x.fvecs', 'wb') as f:
    for r in x:
        np.array([12], dtype='<i4').tofile(f); r.tofile(f)
"
}

# builds FILE [opts] with one thread into $D/NAME.idx
build() {
	local name=$1; shift
	run -0 sochdb-bulk build-index -o "$D/$name.idx" -t 1 -q "$@"
}

@test "npy written by numpy (versions 1.0, 2.0, 3.0) builds the same index" {
	$PY -c "
import numpy as np
x = np.load('$D/x.npy')
for v in ((2, 0), (3, 0)):
    with open('$D/x-v%d.npy' % v[0], 'wb') as f:
        np.lib.format.write_array(f, x, version=v)
"
	build a -i "$D/x.npy"
	build b -i "$D/x-v2.npy"
	build c -i "$D/x-v3.npy"
	run -0 cmp "$D/a.idx" "$D/b.idx"
	run -0 cmp "$D/a.idx" "$D/c.idx"
}

@test "fvecs and raw float32 (--dimension) give the same index as npy" {
	build a -i "$D/x.npy"
	build f -i "$D/x.fvecs"
	build r -i "$D/x.f32" --dimension 12
	build s -i "$D/x.f32" -d 12 --format raw_f32
	run -0 cmp "$D/a.idx" "$D/f.idx"
	run -0 cmp "$D/a.idx" "$D/r.idx"
	run -0 cmp "$D/a.idx" "$D/s.idx"
	cp "$D/x.fvecs" "$D/noext"
	build n -i "$D/noext"
	run -0 cmp "$D/a.idx" "$D/n.idx"
}

@test "Fortran order and big-endian float32 are converted" {
	$PY -c "
import numpy as np
x = np.load('$D/x.npy')
np.save('$D/fort.npy', np.asfortranarray(x))
np.save('$D/be.npy', x.astype('>f4'))
"
	build a -i "$D/x.npy"
	build f -i "$D/fort.npy"
	build b -i "$D/be.npy"
	run -0 cmp "$D/a.idx" "$D/f.idx"
	run -0 cmp "$D/a.idx" "$D/b.idx"
}

@test "float64 and float16 npy are converted to float32" {
	$PY -c "
import numpy as np
x = np.load('$D/x.npy')
np.save('$D/d.npy', x.astype(np.float64))
h = x.astype(np.float16)
np.save('$D/h.npy', h)
np.save('$D/h32.npy', h.astype(np.float32))
"
	build a -i "$D/x.npy"
	build d -i "$D/d.npy"
	run -0 cmp "$D/a.idx" "$D/d.idx"
	build h -i "$D/h.npy"
	build h32 -i "$D/h32.npy"
	run -0 cmp "$D/h.idx" "$D/h32.idx"
}

@test "convert round trips npy -> fvecs -> raw -> npy keep every value" {
	run -0 sochdb-bulk convert -i "$D/x.npy" -o "$D/c.fvecs"
	run -0 cmp "$D/c.fvecs" "$D/x.fvecs"
	run -0 sochdb-bulk convert -i "$D/c.fvecs" -o "$D/c.f32"
	run -0 cmp "$D/c.f32" "$D/x.f32"
	run -0 sochdb-bulk convert -i "$D/c.f32" -d 12 -o "$D/c.out" --to-format npy
	run -0 $PY -c "
import numpy as np
a = np.load('$D/x.npy'); b = np.load('$D/c.out')
assert b.dtype == np.float32 and b.shape == (300, 12) and np.array_equal(a, b)"
	run -0 sochdb-bulk convert -i "$D/x.npy" -o "$D/c2.npy"
	run -0 $PY -c "
import numpy as np
assert np.array_equal(np.load('$D/x.npy'), np.load('$D/c2.npy'))"
	run -0 sochdb-bulk convert -i "$D/x.fvecs" -o "$D/c3.bin" --to-format fvecs
	run -0 cmp "$D/c3.bin" "$D/x.fvecs"
}

@test "convert: an output format it cannot guess is a usage error" {
	run -2 --separate-stderr sochdb-bulk convert -i "$D/x.npy" -o "$D/out.dat"
	[[ "$stderr" == "sochdb-bulk: cannot tell the output format from '$D/out.dat': give --to-format"* ]]
	[ ! -e "$D/out.dat" ]
}

@test "query files: npy, fvecs, raw, a 1-D npy, in every output format" {
	build a -i "$D/x.npy"
	$PY -c "
import numpy as np
x = np.load('$D/x.npy')
np.save('$D/q.npy', x[:3]); np.save('$D/q1.npy', x[5])
x[:3].tofile('$D/q.f32')"
	run -0 sochdb-bulk query --index "$D/a.idx" -q "$D/q.npy" -k 2 --format csv
	[ "${lines[0]}" = "query,rank,id,distance" ]
	[ "${lines[1]}" = "0,1,0,0" ]
	[ "${lines[3]}" = "1,1,1,0" ]
	[ "${lines[5]}" = "2,1,2,0" ]
	[ "${#lines[@]}" -eq 7 ]
	csv=$output
	run -0 sochdb-bulk query --index "$D/a.idx" -q "$D/q.f32" -k 2 --format csv
	[ "$output" = "$csv" ]
	run -0 sochdb-bulk query --index "$D/a.idx" -q "$D/q.f32" --query-format raw_f32 -d 12 -k 2 --format csv
	[ "$output" = "$csv" ]
	run -0 sochdb-bulk query --index "$D/a.idx" -q "$D/q1.npy" -k 1 --format csv
	assert_output "query,rank,id,distance
0,1,5,0"
	run -0 --separate-stderr sochdb-bulk query --index "$D/a.idx" -q "$D/q.npy" -k 2
	[ "${lines[0]}" = "[6]{query,rank,id,distance}:" ]
	[ "${lines[1]}" = "  0,1,0,0" ]
	[ -z "$stderr" ]
	run -0 sochdb-bulk query --index "$D/a.idx" -q "$D/q.npy" -k 2 --format json
	run -0 $PY -c "
import json, sys
rows = json.loads(sys.argv[1])
assert len(rows) == 6 and list(rows[0]) == ['query', 'rank', 'id', 'distance'], rows
assert rows[0] == {'query': 0, 'rank': 1, 'id': 0, 'distance': 0}, rows
assert all(r['distance'] >= 0 for r in rows) and rows[1]['rank'] == 2" "$output"
}

@test "--truth accepts ivecs as well as npy" {
	build a -i "$D/x.npy"
	$PY -c "
import numpy as np
x = np.load('$D/x.npy'); q = x[:20] + 0.01
np.save('$D/q.npy', q)
d = ((q[:, None, :] - x[None, :, :]) ** 2).sum(-1)
t = np.argsort(d, axis=1)[:, :10].astype('<i4')
np.save('$D/t.npy', t.astype(np.int64))
with open('$D/t.ivecs', 'wb') as f:
    for r in t:
        np.array([10], dtype='<i4').tofile(f); r.tofile(f)"
	run -0 --separate-stderr sochdb-bulk query --index "$D/a.idx" -q "$D/q.npy" --truth "$D/t.ivecs" --exact --no-output
	[[ "$stderr" == "recall@10 1.0000  qps "* ]] || fail "$stderr"
	run -0 --separate-stderr sochdb-bulk query --index "$D/a.idx" -q "$D/q.npy" --truth "$D/t.npy" --no-output -t 1
	[[ "$stderr" =~ ^recall@10\ (0\.9|1\.0)[0-9]{3}\ \ qps\ [0-9]+\ \ \(20\ queries,\ ef\ 64,\ 1\ threads\)$ ]] || fail "$stderr"
}

@test "info describes the index in toon" {
	build a -i "$D/x.npy" -m 4 -e 20 --seed 9
	run -0 --separate-stderr sochdb-bulk info "$D/a.idx"
	[ "${lines[0]}" = "index: \"$D/a.idx\"" ] || [ "${lines[0]}" = "index: $D/a.idx" ]
	assert_line "format_version: 1"
	assert_line "vectors: 300"
	assert_line "dimension: 12"
	assert_line "metric: l2"
	assert_line "M: 4"
	assert_line "M0: 8"
	assert_line "ef_construction: 20"
	assert_line "seed: 9"
	assert_line "threads: 1"
	assert_line "external_ids: false"
	assert_line "bytes: $(stat -c %s "$D/a.idx")"
	assert_line "checksums: ok"
	assert_line --regexp '^levels: [0-9]+$'
	assert_line --regexp '^entry_point: [0-9]+$'
	assert_line --regexp '^mean_degree_layer0: [0-9.]+$'
}

@test "info quotes the index path as TOON quotes a value (lib/fmt)" {
	build a -i "$D/x.npy" -m 4 -e 20 --seed 9
	cp "$D/a.idx" "$D/b:c.idx"
	run -0 --separate-stderr sochdb-bulk info "$D/b:c.idx"
	[ "${lines[0]}" = "index: \"$D/b:c.idx\"" ]
	run -0 --separate-stderr sochdb-bulk info --format json "$D/b:c.idx"
	[[ "$output" == "{\"index\":\"$D/b:c.idx\",\"format_version\":1,"*',"external_ids":false,'*',"checksums":"ok"}' ]]
	run -0 --separate-stderr sochdb-toon decode <<<"$(sochdb-bulk info "$D/b:c.idx")"
	[[ "$output" == "{\"index\":\"$D/b:c.idx\",\"format_version\":1,"* ]]
}
