#!/usr/bin/env bats
# 3003-graph-temporal: --as-of, --known-at, temporal's three modes,
# history and purge; random timelines against a brute-force filter of the
# versions dump lists (t/helpers/graph_temporal.py).

load test_helper

setup() {
	setup_db
	G=sochdb-graph
	cd "$BATS_TEST_TMPDIR"
}

@test "random timelines: every read equals the brute-force filter of the versions" {
	n=$(scaled 150)
	for seed in 21 22; do
		rm -rf "$SOCHDB_DIR"
		echo "# seed $seed, $n operations" >&3
		run -0 "$TOP/t/helpers/graph_temporal.py" $seed "$n"
		assert_output --partial "mismatches 0"
	done
}

@test "who led the project then, and what did we know then" {
	$G add-edge kg alice leads projx --valid-from 2024-01-01 --now 2024-01-02
	$G end-edge kg alice leads projx --at 2024-02-15 --now 2024-02-20
	$G add-edge kg bob leads projx --valid-from 2024-02-15 --now 2024-02-20
	run -0 $G neighbors kg projx --direction in --as-of 2024-03-01 --format json
	[[ "$output" == '{"nodes":[{"id":"bob",'* ]]
	[ "$(grep -o '"from":' <<<"$output" | wc -l)" = 1 ]
	# on 2024-02-01 we still believed alice led it, open-ended
	run -0 $G neighbors kg projx --direction in --as-of 2024-03-01 --known-at 2024-02-01 --format tsv
	assert_output --partial $'edge\talice\tleads\tprojx\t1704067200000\t0\t'
	refute_output --partial bob
	run -0 $G neighbors kg projx --direction in --as-of 2024-02-01 --format tsv
	assert_output --partial $'edge\talice\tleads\tprojx\t1704067200000\t1707955200000\t'
}

@test "temporal: current, at, range; --edge-type, --direction; usage errors" {
	$G add-edge kg a t b --valid-from 0 --valid-until 100 --now 1
	$G add-edge kg a t c --valid-from 100 --now 1
	$G add-edge kg a u d --valid-from 50 --valid-until 150 --now 1
	$G add-edge kg e t a --valid-from 0 --now 1
	run -0 $G temporal kg a --format tsv
	[ "$(grep -c '^edge' <<<"$output")" = 1 ]
	assert_output --partial $'edge\ta\tt\tc'
	run -0 $G temporal kg a --mode at --at 99 --format tsv
	[ "$(grep -c '^edge' <<<"$output")" = 2 ]
	run -0 $G temporal kg a --mode at --at 99 --edge-type u --format tsv
	[ "$(grep -c '^edge' <<<"$output")" = 1 ]
	run -0 $G temporal kg a --mode range --from 90 --to 110 --format tsv
	[ "$(grep -c '^edge' <<<"$output")" = 3 ]
	run -0 $G temporal kg a --mode range --from 150 --to 160 --format tsv
	[ "$(grep -c '^edge' <<<"$output")" = 1 ]
	run -0 $G temporal kg a --mode range --from 0 --to 1 --direction in --format tsv
	assert_output --partial $'edge\te\tt\ta'
	run -0 $G temporal kg a --mode at --at 99 --format json
	json=$output
	run -0 $G temporal kg a --mode at --at 99
	run -0 sochdb-toon encode --fold-rows <<<"$json"
	toon=$output
	run -0 $G temporal kg a --mode at --at 99
	[ "$output" = "$toon" ]
	run -1 $G temporal kg nobody
	run -2 --separate-stderr $G temporal kg a --mode at
	[[ "$stderr" == "sochdb-graph: --mode at needs --at TIME"* ]]
	run -2 --separate-stderr $G temporal kg a --mode range --from 5
	[[ "$stderr" == "sochdb-graph: --mode range needs --from TIME and --to TIME"* ]]
	run -2 $G temporal kg a --mode range --from 5 --to 5
	run -2 $G temporal kg a --at 5
	run -2 $G temporal kg a --mode sometimes
}

@test "history lists every version; purge removes the expired ones for good" {
	$G add-edge kg a t b --valid-from 0 --now 10 --prop v=1
	$G add-edge kg a t b --valid-from 0 --now 20 --prop v=2
	$G end-edge kg a t b --at 500 --now 30
	run -0 $G history kg a t b --format tsv
	assert_output $'edge\ta\tt\tb\t0\t0\t10\t20\t{"v":1}
edge\ta\tt\tb\t0\t0\t20\t30\t{"v":2}
edge\ta\tt\tb\t0\t500\t30\t0\t{"v":2}'
	run -0 $G history kg a t b --format json
	json=$output
	run -0 $G history kg a t b
	toon=$output
	run -0 sochdb-toon encode --fold-rows <<<"$json"
	[ "$output" = "$toon" ]
	run -1 $G history kg a t zz
	run -1 $G history kg zz
	run -2 $G history kg a t
	run -0 $G purge kg --before 25
	run -0 $G history kg a t b --format tsv
	[ "${#lines[@]}" = 2 ]
	run -1 $G get-edge kg a t b --as-of 100 --known-at 15
	run -0 $G purge kg --before 1000
	run -0 $G history kg a t b --format tsv
	assert_output $'edge\ta\tt\tb\t0\t500\t30\t0\t{"v":2}'
	run -2 --separate-stderr $G purge kg
	[[ "$stderr" == "sochdb-graph: purge needs --before TIME"* ]]
}

@test "an --as-of lookup walks no further than the version that holds (10,000 closed versions)" {
	# 10,000 consecutive closed versions of one relation, as dump records
	/usr/bin/python3 - >v.jsonl <<'PY'
for i in range(10000):
    print('{"from":"hub","type":"t","to":"x","valid_from":%d,"valid_until":%d,"recorded_at":1,"expired_at":0,"props":{"i":%d}}' % (i * 10, i * 10 + 10, i))
PY
	run -0 $G load kg v.jsonl
	run -0 $G get-edge kg hub t x --as-of 55555 --format tsv
	assert_output $'edge\thub\tt\tx\t55550\t55560\t1\t0\t{"i":5555}'
	run -0 $G get-edge kg hub t x --as-of 0 --format tsv
	assert_output $'edge\thub\tt\tx\t0\t10\t1\t0\t{"i":0}'
	run -1 $G get-edge kg hub t x --as-of 100000
	run -0 sochdb-wal checkpoint
	run -0 $G neighbors kg x --direction in --as-of 99995 --format tsv
	assert_output --partial $'edge\thub\tt\tx\t99990\t100000\t1\t0\t{"i":9999}'
}
