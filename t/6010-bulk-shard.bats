#!/usr/bin/env bats
# 6010-bulk-shard: build-index --shard I/N run as separate processes in
# parallel (xargs -P 4 standing in for a Slurm array or a Kubernetes
# Indexed Job), query over the shards merged exactly, info of a shard,
# every bad --shard form, sets of shards that cannot be searched together.
# Truth: brute force in numpy (scripts/vecgen.py) and the tool's --exact.

load test_helper
load helpers/bulk

PY=/usr/bin/python3

setup_file() {
	D=$BATS_FILE_TMPDIR
	n=$(awk -v s="$STRESS_SCALE" 'BEGIN { n = int(20000 * s); print (n < 4000) ? 4000 : n }')
	$PY "$BATS_TEST_DIRNAME/../scripts/vecgen.py" "$D/v" --n $n --dim 32 --queries 300 --k 10 --seed 13
	echo $n >"$D/n"
	# four shards in parallel, one process each, and one big index
	seq 0 3 | xargs -P 4 -I{} sochdb-bulk build-index -i "$D/v.base.npy" -o "$D/s{}.idx" \
		--shard {}/4 -t 1 -q
	sochdb-bulk build-index -i "$D/v.base.npy" -o "$D/all.idx" -t 2 -q
}

recall_of() {
	awk '/^recall@/ { print $2 }' <<<"$1"
}

shards() {
	echo "$BATS_FILE_TMPDIR"/s0.idx "$BATS_FILE_TMPDIR"/s1.idx "$BATS_FILE_TMPDIR"/s2.idx \
		"$BATS_FILE_TMPDIR"/s3.idx
}

@test "merged recall@10 of 4 parallel shards is within 0.01 of one index at the same ef" {
	D=$BATS_FILE_TMPDIR
	for ef in 10 16 32; do
		run -0 --separate-stderr sochdb-bulk query --index "$D/all.idx" -q "$D/v.query.npy" \
			--ef $ef --truth "$D/v.truth.npy" --no-output
		one=$(recall_of "$stderr")
		args=()
		for s in $(shards); do args+=(--index "$s"); done
		run -0 --separate-stderr sochdb-bulk query "${args[@]}" -q "$D/v.query.npy" \
			--ef $ef --truth "$D/v.truth.npy" --no-output
		[[ "$stderr" =~ ^recall@10\ [01]\.[0-9]{4}\ \ qps\ [0-9]+\ \ \(300\ queries,\ ef\ $ef, ]] || fail "$stderr"
		merged=$(recall_of "$stderr")
		echo "ef $ef: one index $one, 4 shards merged $merged" >&3
		awk -v a="$merged" -v b="$one" 'BEGIN { exit !(a >= b - 0.01) }' ||
			fail "ef $ef: merged recall $merged < single $one - 0.01"
		awk -v a="$merged" 'BEGIN { exit !(a >= 0.9) }' || fail "ef $ef: merged recall $merged"
	done
}

@test "exact search over the shards is the brute-force answer, ids global, ties by id" {
	D=$BATS_FILE_TMPDIR
	# --index repeated, and more index files after one --index
	run -0 --separate-stderr sochdb-bulk query --index $(shards) -q "$D/v.query.npy" --exact \
		--truth "$D/v.truth.npy" --no-output
	[[ "$stderr" == "recall@10 1.0000  qps "* ]] || fail "$stderr"
	# the merged rows are numpy's brute force: ids and distances, nearest first
	sochdb-bulk query --index $(shards) -q "$D/v.query.npy" --ef 64 -k 5 --format csv >"$D/m.csv"
	run -0 $PY - "$D" <<'EOF'
import csv, sys
import numpy as np
d = sys.argv[1]
b = np.load(d + "/v.base.npy"); q = np.load(d + "/v.query.npy")
rows = list(csv.DictReader(open(d + "/m.csv")))
assert len(rows) == 5 * len(q), len(rows)
bad = 0
for r in rows:
    i, rank, id_ = int(r["query"]), int(r["rank"]), int(r["id"])
    dist = float(np.sum((b[id_].astype(np.float64) - q[i]) ** 2))
    if abs(dist - float(r["distance"])) > 1e-3 * max(1.0, dist):
        bad += 1
prev = {}
for r in rows:
    k = int(r["query"]); v = (float(r["distance"]), int(r["id"]))
    if k in prev and v < prev[k]:
        bad += 1
    prev[k] = v
truth = np.load(d + "/v.truth.npy")[:, :5]
got = np.array([int(r["id"]) for r in rows]).reshape(len(q), 5)
hit = np.mean([len(set(got[i]) & set(truth[i])) / 5 for i in range(len(q))])
print(bad, hit)
assert bad == 0 and hit >= 0.95
EOF
	[ "$status" -eq 0 ] || fail "$output"
	# ties: the same shard contents under two inputs (no overlap check
	# across inputs) give each distance twice, the smaller id first
	$PY -c "
import numpy as np
x = np.zeros((8, 2), dtype=np.float32); x[:, 0] = np.arange(8) % 4
np.save('$D/tie.npy', x)"
	sochdb-bulk build-index -i "$D/tie.npy" -o "$D/t0.idx" --shard 0/2 -q
	sochdb-bulk build-index -i "$D/tie.npy" -o "$D/t1.idx" --shard 1/2 -q
	run -0 sochdb-bulk query --index "$D/t1.idx" --index "$D/t0.idx" --vector 0,0 -k 8 --format csv
	assert_output "query,rank,id,distance
0,1,0,0
0,2,4,0
0,3,1,1
0,4,5,1
0,5,2,4
0,6,6,4
0,7,3,9
0,8,7,9"
}

@test "info of each shard says the rows it covers; together they cover the input once" {
	D=$BATS_FILE_TMPDIR
	n=$(cat "$D/n")
	at=0
	for si in 0 1 2 3; do
		out=$(sochdb-bulk info --index "$D/s$si.idx" --format json) || fail "info s$si.idx"
		read -r shard rows first last vectors < <($PY -c "
import json, sys
j = json.loads(sys.argv[1])
print(j['shard'], j['input_rows'], j['first_row'], j['last_row'], j['vectors'])" "$out")
		[ "$shard" = "$si/4" ] || fail "shard $shard of s$si.idx"
		[ "$rows" = "$n" ] || fail "input_rows $rows"
		[ "$first" = "$((si * n / 4))" ] || fail "first_row $first"
		[ "$last" = "$(((si + 1) * n / 4 - 1))" ] || fail "last_row $last"
		[ "$vectors" = "$((last - first + 1))" ] || fail "vectors $vectors"
		[ "$first" = "$at" ] || fail "gap before shard $si"
		at=$((last + 1))
	done
	[ "$at" = "$n" ]
	run -0 sochdb-bulk info --index "$D/all.idx"
	assert_line "shard: 0/1"
	assert_line "first_row: 0"
	assert_line "last_row: $((n - 1))"
	# an uneven split: 7 rows in 3 shards hold 2, 2, 3 (floor(I*7/3))
	$PY -c "import numpy as np; np.save('$D/seven.npy', np.arange(14, dtype=np.float32).reshape(7, 2))"
	for si in 0 1 2; do
		sochdb-bulk build-index -i "$D/seven.npy" -o "$D/7.$si.idx" --shard $si/3 -q
	done
	exp=("0 1" "2 3" "4 6")
	for si in 0 1 2; do
		run -0 sochdb-bulk info --index "$D/7.$si.idx"
		f=$(awk '/^first_row:/ { print $2 }' <<<"$output")
		l=$(awk '/^last_row:/ { print $2 }' <<<"$output")
		[ "$f $l" = "${exp[$si]}" ] || fail "shard $si/3 of 7: $f $l"
	done
	# ids are global: the nearest of row 5 in shard 2/3 is id 5
	run -0 sochdb-bulk query --index "$D/7.2.idx" --vector 10,11 -k 1 --format csv
	assert_line "0,1,5,0"
	# external ids stay those of the rows
	$PY -c "import numpy as np; np.save('$D/seven.ids.npy', np.arange(100, 107, dtype=np.uint64))"
	sochdb-bulk build-index -i "$D/seven.npy" --ids "$D/seven.ids.npy" -o "$D/7i.idx" --shard 1/3 -q
	run -0 sochdb-bulk query --index "$D/7i.idx" --vector 4,5 -k 2 --format csv
	assert_line "0,1,102,0"
	assert_line "0,2,103,8"
}

@test "every bad --shard form is one usage line, exit 2, no index" {
	cd "$BATS_TEST_TMPDIR"
	cp "$BATS_FILE_TMPDIR/seven.npy" x.npy 2>/dev/null ||
		$PY -c "import numpy as np; np.save('x.npy', np.zeros((7, 2), dtype=np.float32))"
	try="Try 'sochdb-bulk build-index -h' for more information."
	for s in "" 1 / 1/ /4 a/b 1.0/4 0x1/4 -1/4 +1/4 1/-4 " 1/4" "1/4 " 1/4/2 3,4; do
		expect_fail 2 "sochdb-bulk: invalid --shard '$s' (expected I/N with 0 <= I < N)
$try" sochdb-bulk build-index -i x.npy -o o.idx --shard "$s"
	done
	expect_fail 2 "sochdb-bulk: invalid --shard '4/4' (shard numbers run from 0 to 3)
$try" sochdb-bulk build-index -i x.npy -o o.idx --shard 4/4
	expect_fail 2 "sochdb-bulk: invalid --shard '9/4' (shard numbers run from 0 to 3)
$try" sochdb-bulk build-index -i x.npy -o o.idx --shard=9/4
	expect_fail 2 "sochdb-bulk: invalid --shard '0/0' (the shard count must be at least 1)
$try" sochdb-bulk build-index -i x.npy -o o.idx --shard 0/0
	expect_fail 2 "sochdb-bulk: invalid --shard '1/99999999999' (at most 1048576 shards)
$try" sochdb-bulk build-index -i x.npy -o o.idx --shard 1/99999999999
	run -2 --separate-stderr sochdb-bulk build-index -i x.npy -o o.idx --shard
	[[ "$stderr" == *"--shard"* ]] || fail "$stderr"
	# more shards than rows: an empty shard is a runtime error
	expect_fail 3 "sochdb-bulk: shard 0/8 of 'x.npy' holds no rows (7 vectors in 8 shards)" \
		sochdb-bulk build-index -i x.npy -o o.idx --shard 0/8
}

@test "shards that cannot be searched together: dimension, metric, overlap" {
	D=$BATS_FILE_TMPDIR
	cd "$BATS_TEST_TMPDIR"
	$PY -c "
import numpy as np
rng = np.random.default_rng(4)
np.save('d16.npy', rng.normal(size=(50, 16)).astype(np.float32))"
	sochdb-bulk build-index -i d16.npy -o d16.idx --shard 1/4 -q
	expect_fail 3 "sochdb-bulk: 'd16.idx' has dimension 16, '$D/s0.idx' has dimension 32: shards must match" \
		sochdb-bulk query --index "$D/s0.idx" --index d16.idx --vector 1,2
	sochdb-bulk build-index -i "$D/v.base.npy" -o ip.idx --shard 3/4 --metric ip -q
	expect_fail 3 "sochdb-bulk: 'ip.idx' has metric ip, '$D/s0.idx' has metric l2: shards must match" \
		sochdb-bulk query --index "$D/s0.idx" --index ip.idx -q "$D/v.query.npy"
	n=$(cat "$D/n")
	expect_fail 3 "sochdb-bulk: '$D/s1.idx' (shard 1/4, rows $((n / 4))..$((n / 2 - 1))) and '$D/s1.idx' (shard 1/4, rows $((n / 4))..$((n / 2 - 1))) overlap: both index rows of the same input" \
		sochdb-bulk query --index "$D/s0.idx" --index "$D/s1.idx" --index "$D/s1.idx" -q "$D/v.query.npy"
	# the whole index beside one of its shards overlaps too
	run -3 --separate-stderr sochdb-bulk query --index "$D/all.idx" --index "$D/s2.idx" -q "$D/v.query.npy"
	[[ "$stderr" == *"overlap: both index rows of the same input" ]] || fail "$stderr"
	# a half of a 2-way split against quarters of the 4-way split
	sochdb-bulk build-index -i "$D/v.base.npy" -o h1.idx --shard 1/2 -t 1 -q
	run -3 --separate-stderr sochdb-bulk query --index "$D/s0.idx" --index h1.idx --index "$D/s3.idx" \
		-q "$D/v.query.npy"
	[[ "$stderr" == *"'$D/s3.idx' (shard 3/4"*"overlap"* ]] || fail "$stderr"
	# k larger than all the shards together
	expect_fail 3 "sochdb-bulk: k (9) is larger than the 2 indexes together (8 vectors)" \
		sochdb-bulk query --index "$D/t0.idx" --index "$D/t1.idx" --vector 0,0 -k 9
	# a stray argument without any --index is still an error
	run -2 --separate-stderr sochdb-bulk query "$D/s0.idx" --vector 1,2
	[[ "$stderr" == "sochdb-bulk: unexpected argument '$D/s0.idx'"* ]] || fail "$stderr"
}
