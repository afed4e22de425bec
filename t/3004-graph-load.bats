#!/usr/bin/env bats
# 3004-graph-load: load (JSONL and networkx node-link JSON, one
# transaction, errors with line and column), dump (every version,
# restorable).

load test_helper

setup() {
	setup_db
	G=sochdb-graph
	cd "$BATS_TEST_TMPDIR"
}

@test "load JSONL nodes and edges; dump | load restores every version" {
	cat >g.jsonl <<'EOF2'
{"id":"a","type":"person","props":{"name":"A \"quoted\"\nline"},"valid_from":0}

{"id":"b","type":"person"}
{"from":"a","type":"knows","to":"b","props":{"w":2.5},"valid_from":10,"valid_until":20}
{"from":"a","type":"knows","to":"b","valid_from":30}
EOF2
	run -0 $G load kg g.jsonl --now 100
	run -0 $G get-node kg a --format json
	assert_output '{"id":"a","type":"person","props":{"name":"A \"quoted\"\nline"},"valid_from":0,"valid_until":0,"recorded_at":100,"expired_at":0}'
	run -0 $G get-node kg a --format tsv
	[ "$output" = "$(printf 'node\ta\tperson\t{"name":"A \\\\"quoted\\\\"\\\\nline"}\t0\t0\t100\t0')" ]
	# a node without valid_from starts at --now
	run -1 $G get-node kg b --as-of 99
	run -0 $G get-edge kg a knows b --as-of 15 --format tsv
	assert_output $'edge\ta\tknows\tb\t10\t20\t100\t0\t{"w":2.5}'
	$G set-node kg a --prop x=1 --now 200
	$G end-edge kg a knows b --at 40 --now 300
	run -0 $G dump kg
	dump=$output
	[ "$(wc -l <<<"$dump")" = 6 ]
	run -0 $G load copy - <<<"$dump"
	run -0 $G dump copy
	[ "$output" = "$dump" ]
	run -0 $G get-edge copy a knows b --as-of 35 --known-at 250 --format tsv
	assert_output $'edge\ta\tknows\tb\t30\t0\t100\t300\t{}'
	# the same load again changes nothing
	run -0 $G load copy - <<<"$dump"
	run -0 $G stats copy --format json
	[[ "$output" == *'"node_versions":3,"edge_versions":3,'* ]]
}

@test "load networkx node-link JSON (links or edges), integer ids as strings" {
	nx=/usr/bin/python3
	$nx -c 'import networkx' 2>/dev/null || fail "networkx is missing (python3-networkx)"
	$nx - >nl.json <<'PY'
import json, networkx as nx
g = nx.MultiDiGraph()
g.add_node(1, type="person", name="one")
g.add_node(2)
g.add_edge(1, 2, key="knows", weight=3)
g.add_edge(2, 1, key="likes")
g.add_edge(2, 2, key=0)
print(json.dumps(nx.node_link_data(g)))
PY
	run -0 $G load kg nl.json --now 5
	run -0 $G get-node kg 1 --format json
	assert_output '{"id":"1","type":"person","props":{"name":"one"},"valid_from":5,"valid_until":0,"recorded_at":5,"expired_at":0}'
	run -0 $G get-edge kg 1 knows 2 --format json
	[[ "$output" == *'"props":{"weight":3}}]}' ]]
	run -0 $G neighbors kg 2 --format tsv
	assert_output --partial $'edge\t2\t\t2\t'
	# "edges" instead of "links"
	echo '{"directed":true,"nodes":[{"id":"x"},{"id":"y","type":"t"}],"edges":[{"source":"x","target":"y","type":"r","c":1}]}' >e.json
	run -0 $G load kg2 e.json
	run -0 $G path kg2 x y --format json
	[[ "$output" == '{"nodes":["x","y"],'*'"props":{"c":1}}],"length":1}' ]]
}

@test "a bad record applies nothing: line and column, exit 3" {
	$G add-node kg keep t --valid-from 0
	printf '{"id":"a","type":"t"}\n{"from":"a","type":"t","to":"b"}\n{"id":"c",\n' >bad.jsonl
	run -3 --separate-stderr $G load kg bad.jsonl
	[[ "$stderr" == "sochdb-graph: bad.jsonl: line 3, column "*"; nothing applied" ]]
	run -1 $G get-node kg a
	run -0 $G get-node kg keep
	printf '{"id":"a","type":"t"}\n{"from":"a","type":"t","to":"b","valid_from":20,"valid_until":10}\n' >bad2.jsonl
	run -3 --separate-stderr $G load kg bad2.jsonl
	[ "$stderr" = "sochdb-graph: bad2.jsonl: line 2, column 1: valid_until 10 is not after valid_from 20; nothing applied" ]
	printf '[1,2]\n' >bad3.jsonl
	run -3 --separate-stderr $G load kg bad3.jsonl
	[ "$stderr" = "sochdb-graph: bad3.jsonl: line 1, column 1: a record must be a JSON object; nothing applied" ]
	printf '{"type":"t"}\n' >bad4.jsonl
	run -3 --separate-stderr $G load kg bad4.jsonl
	[ "$stderr" = "sochdb-graph: bad4.jsonl: line 1, column 1: node without a string \"id\"; nothing applied" ]
	printf '{"id":"a","props":[1]}\n' >bad5.jsonl
	run -3 --separate-stderr $G load kg bad5.jsonl
	[ "$stderr" = "sochdb-graph: bad5.jsonl: line 1, column 1: node \"props\" is not an object; nothing applied" ]
	printf '{"id":"a","valid_from":-1}\n' >bad6.jsonl
	run -3 $G load kg bad6.jsonl
	printf '{"id":"a","expired_at":5}\n' >bad7.jsonl
	run -3 $G load kg bad7.jsonl
	printf '{"id":"%s"}\n' "$(head -c 1025 /dev/zero | tr '\0' x)" >bad8.jsonl
	run -3 --separate-stderr $G load kg bad8.jsonl
	[ "$stderr" = "sochdb-graph: bad8.jsonl: line 1, column 1: node id longer than 1024 bytes; nothing applied" ]
	echo '{"nodes":[{"id":"x"},{"nope":1}],"links":[]}' >bad9.json
	run -3 --separate-stderr $G load kg bad9.json
	[ "$stderr" = "sochdb-graph: bad9.json: node without a string \"id\" (node 2); nothing applied" ]
	run -3 --separate-stderr $G load kg missing.jsonl
	[[ "$stderr" == "sochdb-graph: "*"missing.jsonl"* ]]
	run -0 $G stats kg --format json
	[[ "$output" == '{"nodes":1,"edges":0,"node_versions":1,'* ]]
}

@test "large batches go through the bulk ingest: the same graph as the ordinary path" {
	# duplicates within the batch, relations that already exist, both kinds
	/usr/bin/python3 - >b.jsonl <<'PY'
import random
r = random.Random(5)
for i in range(40):
    print('{"id":"n%d","type":"t%d","props":{"i":%d},"valid_from":%d}' % (i, i % 3, i, r.randint(0, 5)))
for k in range(400):
    print('{"from":"n%d","type":"e%d","to":"n%d","props":{"w":%d},"valid_from":%d}' % (
        r.randrange(40), r.randrange(2), r.randrange(40), r.randrange(3), r.randint(0, 3)))
PY
	head -100 b.jsonl >first.jsonl
	for mode in ordinary bulk; do
		min=$([ $mode = bulk ] && echo 1 || echo 1000000)
		run -0 env SOCHDB_GRAPH_BULK_MIN=$min $G -d $mode load kg first.jsonl --now 10
		run -0 env SOCHDB_GRAPH_BULK_MIN=$min $G -d $mode load kg b.jsonl --now 20
	done
	run -0 $G -d ordinary dump kg
	want=$output
	run -0 $G -d bulk dump kg
	[ "$output" = "$want" ]
	[ "$(grep -c '"expired_at":20' <<<"$want")" -gt 0 ]
	# add-edge --stdin the same way
	printf 'a\tt\tb\na\tt\tc\t{"w":1}\na\tt\tb\t{"w":2}\n' >e.tsv
	run -0 env SOCHDB_GRAPH_BULK_MIN=1 $G -d bulk add-edge kg2 --stdin --valid-from 0 --now 5 <e.tsv
	run -0 env SOCHDB_GRAPH_BULK_MIN=100 $G -d ordinary add-edge kg2 --stdin --valid-from 0 --now 5 <e.tsv
	run -0 $G -d ordinary dump kg2
	want=$output
	run -0 $G -d bulk dump kg2
	[ "$output" = "$want" ]
	run -0 sochdb-wal -d bulk verify
}
