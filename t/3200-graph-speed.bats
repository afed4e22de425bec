#!/usr/bin/env bats
# 3200-graph-speed: the graph's known slow cases stay fast. After del-node
# of a node with 10,000 edges the store holds 20,000 deleted keys in a
# row; every prefix read of the graph ends at its prefix (store
# sdb_txn_iter_limit), so writes and reads near that gap cost what they
# cost in a fresh database (they used to step over all the deleted keys:
# 12 s for a 4,000-record load). Answers are checked as well (neighbour
# counts now and --known-at before the deletion). Sizes scale with
# STRESS_SCALE; the time check is a ratio to the same work in a fresh
# database in the same run.

load test_helper

setup() {
	[ -x "$BUILD/bin/sochdb-graph" ] || skip "sochdb-graph is not built yet"
	setup_db
}

H=$BATS_TEST_DIRNAME/helpers/graph_crash.py
cnt() { /usr/bin/python3 "$H" count "$@"; }

# gap_load FILE NOW WHAT: loads FILE into $SOCHDB_DIR (next to deleted
# keys) and into a fresh database; the first may take 20 times the
# second (4 s at least: the machine is shared), not more.
gap_load() {
	local t0 gap base lim
	t0=$(date +%s%3N)
	sochdb-graph load g "$1" --now "$2"
	gap=$(( $(date +%s%3N) - t0 ))
	t0=$(date +%s%3N)
	sochdb-graph -d "$BATS_TEST_TMPDIR/fresh$2" load g "$1" --now "$2"
	base=$(( $(date +%s%3N) - t0 ))
	echo "# load of $3: fresh database $base ms, next to the deleted keys $gap ms" >&3
	lim=$(( base * 20 > 4000 ? base * 20 : 4000 ))
	[ "$gap" -le "$lim" ]
}

@test "writes and reads next to a deleted 10,000-edge node cost what they cost in a fresh database" {
	d=$BATS_TEST_TMPDIR
	n=$(scaled 2000)
	/usr/bin/python3 "$H" star "$d/s1.jsonl" h1 10000
	/usr/bin/python3 "$H" star "$d/s2.jsonl" h2 "$n"
	sochdb-graph load g "$d/s1.jsonl" --now 100
	sochdb-graph del-node g h1 --now 200
	gap_load "$d/s2.jsonl" 300 "$n spokes after del-node of 10,000 edges"
	[ "$(cnt g h2 out)" = "$n $n" ]
	[ "$(cnt g h1 out)" = "-1 -1" ]
	[ "$(cnt g h1 out --known-at 150)" = "10000 10000" ]
	# a second round: delete h2, load h1 again (a node added again is a new version)
	sochdb-graph del-node g h2 --now 400
	gap_load "$d/s1.jsonl" 500 "10,000 spokes again after two del-nodes"
	[ "$(cnt g h1 out)" = "10000 10000" ]
	[ "$(cnt g h2 out)" = "-1 -1" ]
	[ "$(cnt g h2 out --known-at 350)" = "$n $n" ]
	# reads next to the gap: a traversal and a path from a spoke of h1
	run -0 sochdb-graph traverse g h1 --max-depth 1 --format json
	[ "$(printf '%s' "$output" | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)["nodes"]))')" = 10001 ]
	run -0 sochdb-graph path g h1 h1-s9999 --format json
	[ "$(printf '%s' "$output" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["length"])')" = 1 ]
}

@test "readahead of node versions gives what reading each node gives (versions, periods, as-of, deletions)" {
	d=$BATS_TEST_TMPDIR
	seed=${GRAPH_SEED:-$RANDOM}
	n=$(scaled 400)
	echo "# seed $seed, $n nodes" >&3
	/usr/bin/python3 - "$d/g.jsonl" "$d/starts.txt" "$seed" "$n" <<'PY'
import random, sys
fn, sf, seed, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
r = random.Random(seed)
with open(fn, "w") as f:
    for i in range(n):
        t = 0
        for v in range(r.randint(1, 3)):
            # consecutive periods, some gaps, the last one sometimes open
            a = t + r.randint(0, 20)
            b = a + r.randint(1, 40)
            open_ = v == 2 or r.random() < 0.3
            f.write('{"id":"n%d","type":"T%d","props":{"v":%d},"valid_from":%d%s}\n'
                    % (i, r.randint(0, 2), v, a, "" if open_ else ',"valid_until":%d' % b))
            if open_:
                break
            t = b
    for _ in range(n * 4):
        f.write('{"from":"n%d","type":"e%d","to":"n%d","props":{}}\n' % (r.randrange(n), r.randint(0, 1), r.randrange(n)))
with open(sf, "w") as f:
    for i in range(0, n, 3):
        f.write("n%d\n" % i)
PY
	sochdb-graph load g "$d/g.jsonl" --now 10
	sochdb-graph del-node g n5 --now 20
	sochdb-graph set-node g n7 --prop v=99 --now 30 || [ $? = 1 ]
	sochdb-graph set-node g n8 --prop v=98 --valid-from 12 --now 40 || [ $? = 1 ]
	for at in 0 15 30 60 200; do
		for args in "--order bfs --max-depth 3" "--order dfs --max-depth 2 --node-types T1,T2" "--order bfs --max-depth 4 --where v=0"; do
			SOCHDB_GRAPH_READAHEAD=0 sochdb-graph traverse g --stdin $args --as-of $at --format jsonl <"$d/starts.txt" >"$d/off" || [ $? = 1 ]
			sochdb-graph traverse g --stdin $args --as-of $at --format jsonl <"$d/starts.txt" >"$d/on" || [ $? = 1 ]
			[ -s "$d/on" ]
			cmp "$d/off" "$d/on"
		done
		# the readahead is for the current belief; --known-at reads each node
		sochdb-graph traverse g --stdin --max-depth 2 --as-of $at --known-at 15 --format jsonl <"$d/starts.txt" >"$d/k" || [ $? = 1 ]
		SOCHDB_GRAPH_READAHEAD=0 sochdb-graph traverse g --stdin --max-depth 2 --as-of $at --known-at 15 --format jsonl <"$d/starts.txt" >"$d/k0" || [ $? = 1 ]
		cmp "$d/k" "$d/k0"
	done
}
