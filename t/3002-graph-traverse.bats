#!/usr/bin/env bats
# 3002-graph-traverse: traverse, path (hops, Dijkstra, every shortest) and
# neighbours against networkx on seeded random multigraphs, and the
# options and errors of traverse and path.

load test_helper

setup() {
	setup_db
	G=sochdb-graph
	cd "$BATS_TEST_TMPDIR"
}

nx_ok() {
	/usr/bin/python3 -c 'import networkx' 2>/dev/null ||
		fail "networkx is missing: scripts/install-deps.sh test installs python3-networkx"
}

@test "BFS by depth, DFS, neighbours, paths, Dijkstra, every shortest path: as networkx" {
	nx_ok
	n=$(scaled 60)
	for seed in 11 12; do
		rm -rf "$SOCHDB_DIR"
		echo "# seed $seed, $n nodes" >&3
		run -0 "$TOP/t/helpers/graph_nx.py" gen $seed "$n" $((n * 4)) .
		# the second seed through the bulk ingest
		run -0 env SOCHDB_GRAPH_BULK_MIN=$((seed == 12 ? 1 : 1000000)) $G load kg g.jsonl
		run -0 "$TOP/t/helpers/graph_nx.py" check $seed "$n" $((n * 4)) .
		assert_output --partial "mismatches 0"
	done
}

chain() {
	# a -> b -> c -> d, a -> d (heavy), d -> a (cycle), types t and u
	$G add-node kg a p --valid-from 0 --prop team=red
	$G add-node kg b q --valid-from 0 --prop team=blue
	$G add-node kg c p --valid-from 0 --prop team=red
	$G add-node kg d p --valid-from 0 --prop team='"red"'
	$G add-edge kg a t b --valid-from 0 --prop w=1
	$G add-edge kg b t c --valid-from 0 --prop w=1
	$G add-edge kg c u d --valid-from 0 --prop w=1
	$G add-edge kg a t d --valid-from 0 --prop w=10
	$G add-edge kg d t a --valid-from 0
}

@test "traverse: depth 0 is the start, --max-depth, --order, filters, formats" {
	chain
	run -0 $G traverse kg a --max-depth 0 --format json
	assert_output '{"nodes":[{"id":"a","type":"p","props":{"team":"red"},"depth":0}],"edges":[]}'
	run -0 $G traverse kg a --max-depth 1 --format tsv
	assert_output $'node\ta\tp\t{"team":"red"}\t0
node\tb\tq\t{"team":"blue"}\t1
node\td\tp\t{"team":"red"}\t1
edge\ta\tt\tb\t0\t0\t'"$(sed -n 1p <<<"$output" >/dev/null; $G get-edge kg a t b --format tsv | cut -f7)"$'\t0\t{"w":1}
edge\ta\tt\td\t0\t0\t'"$($G get-edge kg a t d --format tsv | cut -f7)"$'\t0\t{"w":10}'
	# DFS preorder: by id, deep first
	run -0 $G traverse kg a --order dfs --format json
	[[ "$output" == '{"nodes":[{"id":"a"'*'"depth":0},{"id":"b"'*'"depth":1},{"id":"c"'*'"depth":2},{"id":"d"'*'"depth":3}]'* ]]
	run -0 $G traverse kg a --order bfs --format json
	[[ "$output" == *'{"id":"d","type":"p","props":{"team":"red"},"depth":1}'* ]]
	run -0 $G traverse kg a --edge-types t --format json
	[[ "$output" != *'"id":"c","type":"p","props":{"team":"red"},"depth":3'* ]]
	run -0 $G traverse kg c --direction in --format tsv
	[ "$(grep -c '^node' <<<"$output")" = 4 ]
	# node types: b (type q) is not entered, so c is reached only... not at all
	run -0 $G traverse kg a --node-types p --format tsv
	assert_output --partial $'node\td\tp'
	refute_output --partial $'node\tb'
	refute_output --partial $'node\tc'
	# --where compares as --prop reads it: team=red is the string red
	run -0 $G traverse kg a --where team=red --format tsv
	[ "$(grep -c '^node' <<<"$output")" = 2 ]
	run -0 $G traverse kg a --where team=blue --where team=red --format tsv
	[ "$(grep -c '^node' <<<"$output")" = 1 ]
	# toon = encode of json
	run -0 $G traverse kg a --format json
	run -0 sochdb-toon encode --fold-rows <<<"$output"
	toon=$output
	run -0 $G traverse kg a
	[ "$output" = "$toon" ]
	run -1 $G traverse kg nobody
	run -2 --separate-stderr $G traverse kg a --order wide
	[[ "$stderr" == "sochdb-graph: invalid value 'wide' for --order (expected bfs or dfs)"* ]]
	run -2 --separate-stderr $G traverse kg a --max-depth -1
	[[ "$stderr" == "sochdb-graph: invalid value '-1' for --max-depth (expected 0..1000000)"* ]]
	run -2 $G traverse kg a --max-depth 1000001
	run -2 $G traverse kg a --where nokey
}

@test "traverse --stdin: one record per start" {
	chain
	run -1 $G traverse kg --stdin --max-depth 1 --format jsonl <<<$'a\nzz\nc'
	[ "${#lines[@]}" = 3 ]
	[[ "${lines[0]}" == '{"start":"a","nodes":[{"id":"a"'* ]]
	[ "${lines[1]}" = '{"start":"zz","nodes":[],"edges":[]}' ]
	[[ "${lines[2]}" == '{"start":"c","nodes":[{"id":"c"'*'{"id":"d"'* ]]
	run -0 $G traverse kg --stdin --max-depth 0 --format tsv <<<$'a\nb'
	assert_output $'a\tnode\ta\tp\t{"team":"red"}\t0
b\tnode\tb\tq\t{"team":"blue"}\t0'
}

@test "traverse --ids-only: the nodes and depths of the full records, no edges" {
	chain
	run -0 $G traverse kg a --ids-only --format json
	assert_output '{"nodes":[{"id":"a","depth":0},{"id":"b","depth":1},{"id":"d","depth":1},{"id":"c","depth":2}]}'
	run -0 $G traverse kg a --ids-only --max-depth 1 --format tsv
	assert_output $'node\ta\t0\nnode\tb\t1\nnode\td\t1'
	run -1 $G traverse kg --stdin --ids-only --max-depth 1 --format jsonl <<<$'a\nzz'
	assert_output $'{"start":"a","nodes":[{"id":"a","depth":0},{"id":"b","depth":1},{"id":"d","depth":1}]}\n{"start":"zz","nodes":[]}'
	run -0 $G traverse kg --stdin --ids-only --max-depth 0 --format tsv <<<$'a\nb'
	assert_output $'a\tnode\ta\t0\nb\tnode\tb\t0'
	# every walk option: the full records' ids and depths, in their order
	for opts in "--order dfs" "--direction in" "--direction both --max-depth 2" \
		    "--edge-types t" "--node-types p" "--where team=red" "--order dfs --direction both"; do
		run -0 $G traverse kg a $opts --format json
		want=$(/usr/bin/python3 -c 'import json, sys; d = json.load(sys.stdin); print(json.dumps({"nodes": [{"id": x["id"], "depth": x["depth"]} for x in d["nodes"]]}, separators=(",", ":")))' <<<"$output")
		run -0 $G traverse kg a $opts --ids-only --format json
		[ "$output" = "$want" ] || fail "$opts: $output, not $want"
	done
	# toon = encode of json
	run -0 $G traverse kg a --ids-only --format json
	run -0 sochdb-toon encode --fold-rows <<<"$output"
	toon=$output
	run -0 $G traverse kg a --ids-only
	[ "$output" = "$toon" ]
}

@test "traverse: a hub's neighbours in id order, whatever the types, directions and insertion order" {
	# 40 neighbours over 3 edge types both ways, some twice (parallel
	# edges of two types, an edge each way): the store hands them out in
	# runs by type; the walk visits them by id (then type)
	/usr/bin/python3 - >e.tsv <<-'PY'
		import random
		r = random.Random(7)
		ids = ["n%02d" % i for i in range(40)]
		r.shuffle(ids)
		for k, x in enumerate(ids):
		    t = "t%d" % (k % 3)
		    if k % 2:
		        print("hub\t%s\t%s" % (t, x))
		    else:
		        print("%s\t%s\thub" % (x, t))
		    if k % 5 == 0:
		        print("hub\tt9\t%s" % x)
	PY
	run -0 $G add-edge kg --stdin <e.tsv
	want=$(printf '{"id":"hub","depth":0}'; for i in $(seq -w 0 39); do printf ',{"id":"n%s","depth":1}' "$i"; done)
	for order in bfs dfs; do
		run -0 $G traverse kg hub --order $order --direction both --max-depth 1 --ids-only --format json
		assert_output "{\"nodes\":[$want]}"
		run -0 $G traverse kg --stdin --order $order --direction both --max-depth 1 --ids-only --format jsonl <<<hub
		assert_output "{\"start\":\"hub\",\"nodes\":[$want]}"
	done
	# the full records: the edge that reached each node is its first by
	# type (t9 after t0..t2)
	run -0 $G traverse kg hub --direction both --max-depth 1 --format json
	run -0 /usr/bin/python3 -c 'import json, sys; d = json.load(sys.stdin); print(" ".join(e["to"] if e["from"] == "hub" else e["from"] for e in d["edges"]), " ".join(e["type"] for e in d["edges"][:5]))' <<<"$output"
	assert_output "$(seq -f 'n%02g' 0 39 | tr '\n' ' ' | sed 's/ $//') $(/usr/bin/python3 -c '
import random
r = random.Random(7)
ids = ["n%02d" % i for i in range(40)]
r.shuffle(ids)
ty = {x: "t%d" % (k % 3) for k, x in enumerate(ids)}
print(" ".join(ty["n%02d" % i] for i in range(5)))')"
}

@test "path: fewest hops, 0 hops, exit 1, --max-depth, --weight, --all-shortest" {
	chain
	run -0 $G path kg a d --format json
	[[ "$output" == '{"nodes":["a","d"],"edges":[{"from":"a","type":"t","to":"d",'*'],"length":1}' ]]
	run -0 $G path kg a a --format json
	assert_output '{"nodes":["a"],"edges":[],"length":0}'
	run -0 $G path kg a d --weight w --format json
	[[ "$output" == '{"nodes":["a","b","c","d"],'*'"length":3,"weight":3}' ]]
	run -0 $G path kg c b --format tsv
	[[ "${lines[0]}" == $'path\t3\t3\tc\td\ta\tb' ]]
	run -1 --separate-stderr $G path kg c b --max-depth 2
	[ -z "$output" ]
	run -0 $G path kg c b --direction both --format json
	[[ "$output" == '{"nodes":["c","b"],'* ]]
	run -0 $G path kg c a --edge-types u,t --format json
	[[ "$output" == *'"length":2}' ]]
	run -1 $G path kg c a --edge-types t
	run -1 $G path kg a nobody
	$G add-edge kg a t x --valid-from 0
	$G add-edge kg a t y --valid-from 0
	$G add-edge kg x t z --valid-from 0
	$G add-edge kg y t z --valid-from 0
	run -0 $G path kg a z --all-shortest --format json
	[[ "$output" == '{"paths":[{"nodes":["a","x","z"],'*'{"nodes":["a","y","z"],'* ]]
	# ties by node id: x before y
	run -0 $G path kg a z --format json
	[[ "$output" == '{"nodes":["a","x","z"],'* ]]
}

@test "path --stdin: pairs, each record with start and target" {
	chain
	run -1 $G path kg --stdin --format jsonl <<<$'a\td\nd\tzz\nb\tb'
	[ "${#lines[@]}" = 3 ]
	[[ "${lines[0]}" == '{"start":"a","target":"d","nodes":["a","d"],'* ]]
	[ "${lines[1]}" = '{"start":"d","target":"zz","nodes":[],"edges":[],"length":null}' ]
	[ "${lines[2]}" = '{"start":"b","target":"b","nodes":["b"],"edges":[],"length":0}' ]
	run -3 --separate-stderr $G path kg --stdin <<<$'a'
	[ "$stderr" = "sochdb-graph: line 1: expected FROM<TAB>TO" ]
}

@test "Dijkstra refuses negative and non-numeric weights" {
	chain
	# an edge without the property weighs 1
	run -0 $G path kg d c --weight w --format json
	[[ "$output" == '{"nodes":["d","a","b","c"],'*'"length":3,"weight":3}' ]]
	$G add-edge kg b t e --valid-from 0 --prop w=-2
	run -3 --separate-stderr $G path kg a e --weight w
	[ "$stderr" = "sochdb-graph: negative weight 'w' -2" ]
	$G add-edge kg d t f --valid-from 0 --prop w=heavy
	run -3 --separate-stderr $G path kg d f --weight w
	[[ "$stderr" == "sochdb-graph: weight 'w' is not a number in "* ]]
	run -2 $G path kg a b --weight w --all-shortest
}
