#!/usr/bin/env bats
# 6001-bulk-build: build-index quality and determinism on generated
# clustered data: recall against brute force, every metric, 1 vs 2
# threads, --seed, orderings, external ids, summaries.

load test_helper

PY=/usr/bin/python3

setup_file() {
	D=$BATS_FILE_TMPDIR
	# 10,000 x 32 clustered (l2 and cosine truth), normalised for ip
	$PY "$BATS_TEST_DIRNAME/../scripts/vecgen.py" "$D/l2" --n 10000 --dim 32 --queries 200 --k 10 --seed 5
	$PY "$BATS_TEST_DIRNAME/../scripts/vecgen.py" "$D/cos" --n 10000 --dim 32 --queries 200 --k 10 --seed 6 --metric cosine
	$PY "$BATS_TEST_DIRNAME/../scripts/vecgen.py" "$D/ip" --n 10000 --dim 32 --queries 200 --k 10 --seed 7 --metric ip --normalize
}

# recall_of LINE -> prints R from "recall@K R  qps ..."
recall_of() {
	awk '/^recall@/ { print $2 }' <<<"$1"
}

@test "l2: recall@10 >= 0.95 at ef 64 against brute force" {
	D=$BATS_FILE_TMPDIR
	run -0 --separate-stderr sochdb-bulk build-index -i "$D/l2.base.npy" -o "$D/l2.idx"
	[ -z "$output" ]
	[[ "$stderr" =~ ^built\ \'.*l2.idx\':\ 10000\ vectors,\ dimension\ 32,\ [0-9.]+\ s,\ [0-9]+\ vectors/s,\ [0-9]+\ bytes$ ]] || fail "summary: $stderr"
	run -0 --separate-stderr sochdb-bulk query --index "$D/l2.idx" -q "$D/l2.query.npy" -k 10 --ef 64 --truth "$D/l2.truth.npy" --no-output
	[ -z "$output" ]
	[[ "$stderr" =~ ^recall@10\ [01]\.[0-9]{4}\ \ qps\ [0-9]+\ \ \(200\ queries,\ ef\ 64,\ [0-9]+\ threads\)$ ]] || fail "recall line: $stderr"
	r=$(recall_of "$stderr")
	awk -v r="$r" 'BEGIN { exit !(r >= 0.95) }' || fail "recall $r < 0.95"
}

@test "exact search agrees with the numpy ground truth" {
	D=$BATS_FILE_TMPDIR
	run -0 sochdb-bulk build-index -i "$D/l2.base.npy" -o "$D/l2.idx" -q
	run -0 --separate-stderr sochdb-bulk query --index "$D/l2.idx" -q "$D/l2.query.npy" -k 10 --exact --truth "$D/l2.truth.npy" --no-output
	[[ "$stderr" == "recall@10 1.0000  qps "*"  (200 queries, ef 0, "*" threads)" ]] || fail "$stderr"
}

@test "cosine and ip: recall@10 >= 0.95 at ef 64" {
	D=$BATS_FILE_TMPDIR
	for m in cos ip; do
		metric=$m; [ $m = cos ] && metric=cosine
		run -0 sochdb-bulk build-index -i "$D/$m.base.npy" -o "$D/$m.idx" --metric $metric -q
		run -0 --separate-stderr sochdb-bulk query --index "$D/$m.idx" -q "$D/$m.query.npy" --ef 64 --truth "$D/$m.truth.npy" --no-output
		r=$(recall_of "$stderr")
		awk -v r="$r" 'BEGIN { exit !(r >= 0.95) }' || fail "$metric recall $r < 0.95"
		run -0 sochdb-bulk info --index "$D/$m.idx"
		assert_line "metric: $metric"
	done
}

@test "cosine distances are 1 - cosine similarity, ip distances 1 - dot" {
	D=$BATS_TEST_TMPDIR
	$PY -c "
import numpy as np
np.save('$D/v.npy', np.array([[3,4],[1,0],[0,2]], dtype=np.float32))"
	run -0 sochdb-bulk build-index -i "$D/v.npy" -o "$D/c.idx" --metric cosine -q
	run -0 sochdb-bulk query --index "$D/c.idx" --vector 1,0 -k 3 --format csv
	assert_output "query,rank,id,distance
0,1,1,0
0,2,0,0.39999998
0,3,2,1"
	run -0 sochdb-bulk build-index -i "$D/v.npy" -o "$D/i.idx" --metric ip -q
	run -0 sochdb-bulk query --index "$D/i.idx" --vector 1,0 -k 3 --format csv
	assert_output "query,rank,id,distance
0,1,0,-2
0,2,1,0
0,3,2,1"
	run -0 sochdb-bulk build-index -i "$D/v.npy" -o "$D/l.idx" -q
	run -0 sochdb-bulk query --index "$D/l.idx" --vector 1,0 -k 3 --format csv
	assert_output "query,rank,id,distance
0,1,1,0
0,2,2,5
0,3,0,20"
}

@test "threads 1 and 2 give graphs of equal quality" {
	D=$BATS_FILE_TMPDIR
	run -0 sochdb-bulk build-index -i "$D/l2.base.npy" -o "$D/t1.idx" --threads 1 -q
	run -0 sochdb-bulk build-index -i "$D/l2.base.npy" -o "$D/t2.idx" --threads 2 -q
	for ef in 16 64; do
		run -0 --separate-stderr sochdb-bulk query --index "$D/t1.idx" -q "$D/l2.query.npy" --ef $ef --truth "$D/l2.truth.npy" --no-output
		r1=$(recall_of "$stderr")
		run -0 --separate-stderr sochdb-bulk query --index "$D/t2.idx" -q "$D/l2.query.npy" --ef $ef --truth "$D/l2.truth.npy" --no-output
		r2=$(recall_of "$stderr")
		awk -v a="$r1" -v b="$r2" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 0.01) }' ||
			fail "ef $ef: recall $r1 (1 thread) vs $r2 (2 threads)"
	done
	run -0 sochdb-bulk info --index "$D/t2.idx"
	assert_line "threads: 2"
}

@test "--seed: one thread gives a bit-identical index, another seed differs" {
	D=$BATS_FILE_TMPDIR
	run -0 sochdb-bulk build-index -i "$D/l2.base.npy" -o "$D/a.idx" -t 1 --seed 7 -q
	run -0 sochdb-bulk build-index -i "$D/l2.base.npy" -o "$D/b.idx" -t 1 --seed 7 -q
	run -0 cmp "$D/a.idx" "$D/b.idx"
	OMP_NUM_THREADS=1 run -0 sochdb-bulk build-index -i "$D/l2.base.npy" -o "$D/c.idx" --seed 7 -q
	run -0 cmp "$D/a.idx" "$D/c.idx"
	run -0 sochdb-bulk build-index -i "$D/l2.base.npy" -o "$D/d.idx" -t 1 --seed 8 -q
	run -1 cmp -s "$D/a.idx" "$D/d.idx"
	run -0 sochdb-bulk info --index "$D/d.idx"
	assert_line "seed: 8"
}

@test "every ordering keeps external ids and recall" {
	D=$BATS_FILE_TMPDIR
	for o in none random_projection kmeans block; do
		run -0 sochdb-bulk build-index -i "$D/l2.base.npy" -o "$D/o-$o.idx" --ordering $o -t 1 -q
		run -0 --separate-stderr sochdb-bulk query --index "$D/o-$o.idx" -q "$D/l2.query.npy" --ef 64 --truth "$D/l2.truth.npy" --no-output
		r=$(recall_of "$stderr")
		awk -v r="$r" 'BEGIN { exit !(r >= 0.95) }' || fail "ordering $o: recall $r"
		run -0 sochdb-bulk info --index "$D/o-$o.idx"
		assert_line "ordering: $o"
		# row 1234 of the input is found as id 1234 at distance 0
		v=$($PY -c "import numpy as np; print(','.join(repr(float(x)) for x in np.load('$D/l2.base.npy')[1234]))")
		run -0 sochdb-bulk query --index "$D/o-$o.idx" --vector "$v" -k 1 --format csv
		assert_output "query,rank,id,distance
0,1,1234,0"
	done
	run -1 cmp -s "$D/o-none.idx" "$D/o-block.idx"
}

@test "--insert-order local (default) and input: recall within 0.005 of each other at every ef, deterministic at 1 thread" {
	D=$BATS_FILE_TMPDIR
	for set in l2 ip; do
		run -0 --separate-stderr sochdb-bulk build-index -i "$D/$set.base.npy" -o "$D/$set-iloc.idx" --metric $set -t 1 --json -q
		[[ "$output" == *'"insert_order":"local"'* ]] || fail "$output"
		run -0 sochdb-bulk build-index -i "$D/$set.base.npy" -o "$D/$set-iloc2.idx" --metric $set -t 1 --insert-order local -q
		cmp "$D/$set-iloc.idx" "$D/$set-iloc2.idx"
		run -0 --separate-stderr sochdb-bulk build-index -i "$D/$set.base.npy" -o "$D/$set-iin.idx" --metric $set -t 1 --insert-order input --json -q
		[[ "$output" == *'"insert_order":"input"'* ]] || fail "$output"
		! cmp -s "$D/$set-iloc.idx" "$D/$set-iin.idx"
		for ef in 16 32 64 128; do
			run -0 --separate-stderr sochdb-bulk query --index "$D/$set-iloc.idx" -q "$D/$set.query.npy" --ef $ef --truth "$D/$set.truth.npy" --no-output -t 1
			a=$(recall_of "$stderr")
			run -0 --separate-stderr sochdb-bulk query --index "$D/$set-iin.idx" -q "$D/$set.query.npy" --ef $ef --truth "$D/$set.truth.npy" --no-output -t 1
			b=$(recall_of "$stderr")
			awk -v a="$a" -v b="$b" 'BEGIN { exit !(a >= b - 0.005) }' || fail "$set ef $ef: local $a vs input $b"
		done
	done
	run -2 sochdb-bulk build-index -i "$D/l2.base.npy" -o "$D/x.idx" --insert-order sorted
	assert_output --partial "invalid insert order 'sorted' (expected local or input)"
	[ ! -e "$D/x.idx" ]
}

@test "--ids: results carry the external ids" {
	D=$BATS_FILE_TMPDIR
	$PY -c "
import numpy as np
np.save('$BATS_TEST_TMPDIR/x.npy', np.load('$D/l2.base.npy')[:500])
(np.arange(500, dtype='<u8') * 10 + 7 + (1 << 40)).tofile('$BATS_TEST_TMPDIR/ids.u64')"
	run -0 sochdb-bulk build-index -i "$BATS_TEST_TMPDIR/x.npy" -o "$BATS_TEST_TMPDIR/x.idx" --ids "$BATS_TEST_TMPDIR/ids.u64" -q
	v=$($PY -c "import numpy as np; print(','.join(repr(float(x)) for x in np.load('$D/l2.base.npy')[42]))")
	run -0 sochdb-bulk query --index "$BATS_TEST_TMPDIR/x.idx" --vector "$v" -k 1 --format csv
	assert_output "query,rank,id,distance
0,1,$(( (1 << 40) + 427 )),0"
	run -0 sochdb-bulk info --index "$BATS_TEST_TMPDIR/x.idx"
	assert_line "external_ids: true"
}

@test "--json summary on stdout, --telemetry and --progress on stderr" {
	D=$BATS_FILE_TMPDIR
	run -0 --separate-stderr sochdb-bulk build-index -i "$D/l2.base.npy" -o "$BATS_TEST_TMPDIR/j.idx" --json --telemetry --progress -m 8 -e 50 --batch-size 2000
	run -0 $PY -c "
import json, sys
d = json.loads(sys.argv[1])
assert d['vectors'] == 10000 and d['dimension'] == 32 and d['M'] == 8, d
assert d['ef_construction'] == 50 and d['metric'] == 'l2' and d['index_bytes'] > 0, d
assert d['vectors_per_second'] > 0 and d['peak_rss_bytes'] > 0, d
print(d['index_bytes'])" "$output"
	[ "$output" -eq "$(stat -c %s "$BATS_TEST_TMPDIR/j.idx")" ]
	[[ "$stderr" == *"building 100% ["*"10000/10000"*"vec/s"*"ETA"* ]] || fail "no progress: $stderr"
	[[ "$stderr" == *"telemetry: load "*" s, build "*"page faults "*"peak RSS "*" MiB; kernels "* ]] || fail "no telemetry: $stderr"
	run -0 sochdb-bulk info --index "$BATS_TEST_TMPDIR/j.idx" --format json
	run -0 $PY -c "
import json, sys
d = json.loads(sys.argv[1])
assert d['M'] == 8 and d['M0'] == 16 and d['ef_construction'] == 50 and d['batch_size'] == 2000, d
assert d['vectors'] == 10000 and d['checksums'] == 'ok' and d['levels'] >= 1, d" "$output"
}

@test "--prefault and --direct-read build the same index" {
	D=$BATS_FILE_TMPDIR
	run -0 sochdb-bulk build-index -i "$D/l2.base.npy" -o "$BATS_TEST_TMPDIR/p0.idx" -t 1 -q
	run -0 sochdb-bulk build-index -i "$D/l2.base.npy" -o "$BATS_TEST_TMPDIR/p1.idx" -t 1 -q --prefault
	run -0 sochdb-bulk build-index -i "$D/l2.base.npy" -o "$BATS_TEST_TMPDIR/p2.idx" -t 1 -q --direct-read
	run -0 cmp "$BATS_TEST_TMPDIR/p0.idx" "$BATS_TEST_TMPDIR/p1.idx"
	run -0 cmp "$BATS_TEST_TMPDIR/p0.idx" "$BATS_TEST_TMPDIR/p2.idx"
}

@test "--build-precision bf16: bfloat16 distances while building keep recall" {
	D=$BATS_FILE_TMPDIR
	for m in l2 ip; do
		metric=$m
		run -0 sochdb-bulk build-index -i "$D/$m.base.npy" -o "$D/bf-$m.idx" --metric $metric --build-precision bf16 -t 1 -q
		run -0 sochdb-bulk build-index -i "$D/$m.base.npy" -o "$D/bf2-$m.idx" --metric $metric --build-precision bf16 -t 1 -q
		run -0 cmp "$D/bf-$m.idx" "$D/bf2-$m.idx"
		run -0 --separate-stderr sochdb-bulk query --index "$D/bf-$m.idx" -q "$D/$m.query.npy" --ef 64 --truth "$D/$m.truth.npy" --no-output
		r=$(recall_of "$stderr")
		awk -v r="$r" 'BEGIN { exit !(r >= 0.95) }' || fail "$metric bf16 recall $r < 0.95"
		run -0 sochdb-bulk info --index "$D/bf-$m.idx"
		assert_line "build_precision: bf16"
		# the stored vectors stay float32: a base row finds itself at distance 0 (l2)
	done
	run -0 sochdb-bulk build-index -i "$D/l2.base.npy" -o "$BATS_TEST_TMPDIR/f.idx" -q
	run -0 sochdb-bulk info --index "$BATS_TEST_TMPDIR/f.idx"
	assert_line "build_precision: f32"
	v=$($PY -c "import numpy as np; print(','.join(repr(float(x)) for x in np.load('$D/l2.base.npy')[77]))")
	run -0 sochdb-bulk query --index "$D/bf-l2.idx" --vector "$v" -k 1 --format csv
	assert_output "query,rank,id,distance
0,1,77,0"
	# a reordered bf16 index keeps its bf16 rows in step with the ids
	run -0 sochdb-bulk build-index -i "$D/l2.base.npy" -o "$D/bf-blk.idx" --build-precision bf16 --ordering kmeans -q
	run -0 sochdb-bulk query --index "$D/bf-blk.idx" --vector "$v" -k 1 --format csv
	assert_output "query,rank,id,distance
0,1,77,0"
	run -0 --separate-stderr sochdb-bulk query --index "$D/bf-blk.idx" -q "$D/l2.query.npy" --ef 64 --truth "$D/l2.truth.npy" --no-output --verify
	r=$(recall_of "$stderr")
	awk -v r="$r" 'BEGIN { exit !(r >= 0.95) }' || fail "bf16 + kmeans recall $r < 0.95"
	# auto keeps float32 below 256 dimensions
	run -0 --separate-stderr sochdb-bulk build-index -i "$D/ip.base.npy" -o "$BATS_TEST_TMPDIR/a.idx" --metric ip --json -q
	[[ "$output" == *'"build_precision":"f32"'* ]] || fail "$output"
	run -2 --separate-stderr sochdb-bulk build-index -i "$D/ip.base.npy" -o "$BATS_TEST_TMPDIR/a.idx" --build-precision fp8
	[ "${stderr%%$'\n'*}" = "sochdb-bulk: invalid build precision 'fp8' (expected auto, f32, bf16 or sq8)" ]
}

@test "--search-precision: an sq8 search copy by default, bf16 or f32 on request; same recall, exact distances" {
	D=$BATS_FILE_TMPDIR
	T=$BATS_TEST_TMPDIR
	for m in l2 ip cos; do
		metric=$m
		[ $m = cos ] && metric=cosine
		run -0 sochdb-bulk build-index -i "$D/$m.base.npy" -o "$T/s-$m.idx" --metric $metric -t 1 -q
		run -0 sochdb-bulk build-index -i "$D/$m.base.npy" -o "$T/b-$m.idx" --metric $metric -t 1 -q --search-precision bf16
		run -0 sochdb-bulk build-index -i "$D/$m.base.npy" -o "$T/f-$m.idx" --metric $metric -t 1 -q --search-precision f32
		run -0 sochdb-bulk build-index -i "$D/$m.base.npy" -o "$T/q-$m.idx" --metric $metric -t 1 -q --search-precision sq8 --json
		[[ "$output" == *'"search_precision":"sq8"'* ]] || fail "$output"
		run -0 cmp "$T/s-$m.idx" "$T/q-$m.idx"
		run -0 sochdb-bulk info --index "$T/s-$m.idx"
		assert_line "build_precision: f32"
		assert_line "search_precision: sq8"
		run -0 sochdb-bulk info --index "$T/b-$m.idx"
		assert_line "search_precision: bf16"
		run -0 sochdb-bulk info --index "$T/f-$m.idx"
		assert_line "search_precision: f32"
		# the same graph (one thread), plus n rows of 32 bf16 values, or
		# 8 rows of quantiser floats and n rows of 32 code bytes
		s=$(stat -c %s "$T/s-$m.idx") b=$(stat -c %s "$T/b-$m.idx") f=$(stat -c %s "$T/f-$m.idx")
		[ $((b - f)) -ge $((10000 * 32 * 2)) ] && [ $((b - f)) -lt $((10000 * 32 * 2 + 4096)) ] || fail "sizes $b $f"
		[ $((s - f)) -ge $((10008 * 32)) ] && [ $((s - f)) -lt $((10008 * 32 + 4096)) ] || fail "sizes $s $f"
		for ef in 16 64; do
			run -0 --separate-stderr sochdb-bulk query --index "$T/f-$m.idx" -q "$D/$m.query.npy" --ef $ef --truth "$D/$m.truth.npy" --no-output
			rf=$(recall_of "$stderr")
			for p in s b; do
				run -0 --separate-stderr sochdb-bulk query --index "$T/$p-$m.idx" -q "$D/$m.query.npy" --ef $ef --truth "$D/$m.truth.npy" --no-output
				r=$(recall_of "$stderr")
				awk -v a="$r" -v b="$rf" 'BEGIN { exit !(a >= b - 0.005) }' || fail "$m ef $ef: $p walk $r, f32 $rf"
			done
		done
		# the distances printed are float32 ones: the same in all three
		run -0 sochdb-bulk query --index "$T/f-$m.idx" -q "$D/$m.query.npy" -k 3 --ef 128 --format csv
		echo "$output" >"$T/f.csv"
		for p in s b; do
			run -0 sochdb-bulk query --index "$T/$p-$m.idx" -q "$D/$m.query.npy" -k 3 --ef 128 --format csv
			echo "$output" >"$T/$p.csv"
			run -0 cmp "$T/$p.csv" "$T/f.csv"
		done
	done
	v=$($PY -c "import numpy as np; print(','.join(repr(float(x)) for x in np.load('$D/l2.base.npy')[77]))")
	run -0 sochdb-bulk query --index "$T/s-l2.idx" --vector "$v" -k 1 --format csv
	assert_output "query,rank,id,distance
0,1,77,0"
	run -0 --separate-stderr sochdb-bulk query --index "$T/s-l2.idx" -q "$D/l2.query.npy" --truth "$D/l2.truth.npy" --no-output --verify
	# a bf16 build's own rows are not written when the search walks sq8
	run -0 sochdb-bulk build-index -i "$D/l2.base.npy" -o "$T/bs.idx" --build-precision bf16 -t 1 -q
	run -0 sochdb-bulk info --index "$T/bs.idx"
	assert_line "build_precision: bf16"
	assert_line "search_precision: sq8"
	run -0 sochdb-bulk build-index -i "$D/l2.base.npy" -o "$T/bb.idx" --build-precision bf16 -t 1 -q --search-precision f32
	run -0 sochdb-bulk info --index "$T/bb.idx"
	assert_line "search_precision: bf16"
	run -2 --separate-stderr sochdb-bulk build-index -i "$D/l2.base.npy" -o "$T/x.idx" --search-precision fp8
	[ "${stderr%%$'\n'*}" = "sochdb-bulk: invalid search precision 'fp8' (expected sq8, bf16 or f32)" ]
	[ ! -e "$T/x.idx" ]
}

@test "query --repeat N: the same results, the median QPS of N passes" {
	D=$BATS_FILE_TMPDIR
	run -0 sochdb-bulk build-index -i "$D/l2.base.npy" -o "$D/l2.idx" -q
	run -0 --separate-stderr sochdb-bulk query --index "$D/l2.idx" -q "$D/l2.query.npy" --truth "$D/l2.truth.npy" --format csv
	one=$output r1=$(recall_of "$stderr")
	run -0 --separate-stderr sochdb-bulk query --index "$D/l2.idx" -q "$D/l2.query.npy" --truth "$D/l2.truth.npy" --format csv --repeat 4
	[ "$output" = "$one" ] || fail "--repeat changed the results"
	[[ "$stderr" =~ ^recall@10\ $r1\ \ qps\ [0-9]+\ \ \(200\ queries, ]] || fail "$stderr"
	run -2 --separate-stderr sochdb-bulk query --index "$D/l2.idx" -q "$D/l2.query.npy" --repeat 0
	[ "${stderr%%$'\n'*}" = "sochdb-bulk: invalid value '0' for --repeat (expected 1..1000)" ] || fail "$stderr"
}

@test "2 threads: every node stays reachable (search with ef = n finds all)" {
	D=$BATS_TEST_TMPDIR
	# regression: a node inserted while its neighbour was still being
	# inserted could lose its only in-link and become unreachable
	$PY "$BATS_TEST_DIRNAME/../scripts/vecgen.py" "$D/s" --n 1000 --dim 64 --queries 200 --k 10 --seed 9 --metric ip --normalize
	for seed in 1 2 3; do
		run -0 sochdb-bulk build-index -i "$D/s.base.npy" -o "$D/s.idx" --metric ip -t 2 --seed $seed -q
		run -0 --separate-stderr sochdb-bulk query --index "$D/s.idx" -q "$D/s.query.npy" --ef 1000 --truth "$D/s.truth.npy" --no-output
		[[ "$stderr" == "recall@10 1.0000 "* ]] || fail "seed $seed: $stderr"
	done
}
