#!/usr/bin/env bats
# 3001-graph-basic: nodes and edges, their reads, the four formats, exit
# codes and errors of sochdb-graph (man/sochdb-graph.1).

load test_helper

setup() {
	setup_db
	cd "$BATS_TEST_TMPDIR" # files the tests write stay out of the checkout
	G=sochdb-graph
}

# a small graph, recorded at 1000, valid from 0
small() {
	$G add-node kg alice person --prop name=Alice --prop age=30 --valid-from 0 --now 1000
	$G add-node kg bob person --valid-from 0 --now 1000
	$G add-node kg projx project --props '{"title":"X","tags":["a","b"]}' --valid-from 0 --now 1000
	$G add-edge kg alice knows bob --valid-from 0 --now 1000 --prop since=2020
	$G add-edge kg bob knows alice --valid-from 0 --now 1000
	$G add-edge kg alice leads projx --valid-from 0 --now 1000
	$G add-edge kg alice alice-self alice --valid-from 0 --now 1000
}

@test "add-node and get-node in every format" {
	small
	run -0 --separate-stderr $G get-node kg alice --format json
	assert_output '{"id":"alice","type":"person","props":{"name":"Alice","age":30},"valid_from":0,"valid_until":0,"recorded_at":1000,"expired_at":0}'
	json=$output
	run -0 $G get-node kg alice
	toon=$output
	run -0 sochdb-toon encode --fold-rows <<<"$json"
	[ "$output" = "$toon" ]
	run -0 $G get-node kg alice --format jsonl
	[ "$output" = "$json" ]
	run -0 $G get-node kg alice --format tsv
	assert_output $'node\talice\tperson\t{"name":"Alice","age":30}\t0\t0\t1000\t0'
	# a --prop value that parses as JSON is JSON, else a string
	run -0 $G add-node kg carol person --prop n=3 --prop s='"3"' --prop w=hello --prop o='{"a":[1,2]}' --valid-from 0
	run -0 $G get-node kg carol --format json
	[[ "$output" == *'"props":{"n":3,"s":"3","w":"hello","o":{"a":[1,2]}}'* ]]
	# absent: exit 1 with a message, -q silent
	run -1 --separate-stderr $G get-node kg nobody
	[ -z "$output" ]
	[ "$stderr" = "sochdb-graph: unknown node 'nobody'" ]
	run -1 --separate-stderr $G get-node kg nobody -q
	[ -z "$stderr" ]
}

@test "the same version again is a no-op; a second add-node supersedes" {
	$G add-node kg a t --prop x=1 --valid-from 0 --now 10
	run -0 $G add-node kg a t --prop x=1 --valid-from 0 --now 20
	run -0 $G history kg a --format tsv
	assert_output $'node\ta\tt\t{"x":1}\t0\t0\t10\t0'
	# an open version with other content from 100 on: the old one closes at 100
	run -0 $G add-node kg a t --prop x=2 --valid-from 100 --now 30
	run -0 $G get-node kg a --as-of 50 --format tsv
	assert_output $'node\ta\tt\t{"x":1}\t0\t100\t30\t0'
	run -0 $G get-node kg a --as-of 100 --format tsv
	assert_output $'node\ta\tt\t{"x":2}\t100\t0\t30\t0'
	# what was known at 25: the open version of x=1
	run -0 $G get-node kg a --as-of 500 --known-at 25 --format tsv
	assert_output $'node\ta\tt\t{"x":1}\t0\t0\t10\t30'
	run -0 $G history kg a --format tsv
	assert_output $'node\ta\tt\t{"x":1}\t0\t0\t10\t30
node\ta\tt\t{"x":1}\t0\t100\t30\t0
node\ta\tt\t{"x":2}\t100\t0\t30\t0'
}

@test "set-node merges properties: a correction, or from --valid-from on" {
	$G add-node kg a t --prop x=1 --prop y=2 --valid-from 0 --now 10
	run -0 $G set-node kg a --prop y=3 --prop z=4 --now 20
	run -0 $G get-node kg a --format json
	assert_output '{"id":"a","type":"t","props":{"x":1,"y":3,"z":4},"valid_from":0,"valid_until":0,"recorded_at":20,"expired_at":0}'
	# the correction expired the old version: known at 15 it was still x,y
	run -0 $G get-node kg a --known-at 15 --format tsv
	assert_output $'node\ta\tt\t{"x":1,"y":2}\t0\t0\t10\t20'
	# null removes a key; --type changes the type, from 1000 on
	run -0 $G set-node kg a --prop x=null --type u --valid-from 1000 --now 30
	run -0 $G get-node kg a --as-of 999 --format tsv
	assert_output $'node\ta\tt\t{"x":1,"y":3,"z":4}\t0\t1000\t30\t0'
	run -0 $G get-node kg a --as-of 1000 --format tsv
	assert_output $'node\ta\tu\t{"y":3,"z":4}\t1000\t0\t30\t0'
	run -1 $G set-node kg nobody --prop x=1
	run -2 --separate-stderr $G set-node kg a
	[[ "$stderr" == "sochdb-graph: nothing to change (give --type, --prop or --props)"* ]]
}

@test "neighbors: out, in, both, edge types, self-loop once, sorted by id" {
	small
	run -0 $G neighbors kg alice --format tsv
	assert_output $'node\talice\tperson\t{"name":"Alice","age":30}
node\tbob\tperson\t{}
node\tprojx\tproject\t{"title":"X","tags":["a","b"]}
edge\talice\talice-self\talice\t0\t0\t1000\t0\t{}
edge\talice\tknows\tbob\t0\t0\t1000\t0\t{"since":2020}
edge\talice\tleads\tprojx\t0\t0\t1000\t0\t{}'
	run -0 $G neighbors kg alice --direction in --format tsv
	assert_output $'node\talice\tperson\t{"name":"Alice","age":30}
node\tbob\tperson\t{}
edge\talice\talice-self\talice\t0\t0\t1000\t0\t{}
edge\tbob\tknows\talice\t0\t0\t1000\t0\t{}'
	# both: the self-loop once
	run -0 $G neighbors kg alice --direction both --format jsonl
	[ "$(grep -o '"type":"alice-self"' <<<"$output" | wc -l)" = 1 ]
	[ "$(grep -o '"from":' <<<"$output" | wc -l)" = 4 ]
	run -0 $G neighbors kg alice --edge-types knows,leads --format tsv
	[ "$(grep -c '^edge' <<<"$output")" = 2 ]
	run -0 $G neighbors kg alice --edge-types leads --edge-types knows --format tsv
	[ "$(grep -c '^edge' <<<"$output")" = 2 ]
	run -0 $G neighbors kg alice --edge-types nope --format json
	assert_output '{"nodes":[],"edges":[]}'
	# toon is sochdb-toon encode --fold-rows of the json
	run -0 $G neighbors kg alice --direction both --format json
	json=$output
	run -0 $G neighbors kg alice --direction both
	toon=$output
	run -0 sochdb-toon encode --fold-rows <<<"$json"
	[ "$output" = "$toon" ]
	# a node known only through edges has type null
	$G add-edge kg bob likes ghost --valid-from 0
	run -0 $G neighbors kg bob --edge-types likes --format json
	[[ "$output" == '{"nodes":[{"id":"ghost","type":null,"props":{}}],'* ]]
	run -0 $G neighbors kg ghost --direction in --format tsv
	run -1 $G neighbors kg nobody
}

@test "neighbors --stdin: one record per start, each with its start" {
	small
	run -1 --separate-stderr $G neighbors kg --stdin --format jsonl <<<$'alice\nnobody\nbob'
	[ "${#lines[@]}" = 3 ]
	[[ "${lines[0]}" == '{"start":"alice","nodes":'* ]]
	[ "${lines[1]}" = '{"start":"nobody","nodes":[],"edges":[]}' ]
	[[ "${lines[2]}" == '{"start":"bob","nodes":[{"id":"alice"'* ]]
	run -0 $G neighbors kg --stdin --format json <<<$'bob'
	[[ "$output" == '[{"start":"bob",'* ]]
	run -0 $G neighbors kg --stdin --format tsv <<<$'bob'
	assert_output $'bob\tnode\talice\tperson\t{"name":"Alice","age":30}
bob\tedge\tbob\tknows\talice\t0\t0\t1000\t0\t{}'
	run -0 $G neighbors kg --stdin --format toon <<<$'bob'
	toon=$output
	run -0 $G neighbors kg --stdin --format json <<<$'bob'
	run -0 sochdb-toon encode --fold-rows <<<"$output"
	[ "$output" = "$toon" ]
	run -2 $G neighbors kg alice --stdin </dev/null
}

@test "get-edge, end-edge, del-edge, add-edge --replace" {
	small
	run -0 $G get-edge kg alice knows bob --format tsv
	assert_output $'edge\talice\tknows\tbob\t0\t0\t1000\t0\t{"since":2020}'
	run -1 $G get-edge kg alice knows projx
	run -0 $G end-edge kg alice knows bob --at 5000 --now 6000
	run -0 $G get-edge kg alice knows bob --as-of 4999 --format tsv
	assert_output $'edge\talice\tknows\tbob\t0\t5000\t6000\t0\t{"since":2020}'
	run -1 $G get-edge kg alice knows bob --as-of 5000
	# nothing holds at 7000 any more
	run -1 --separate-stderr $G end-edge kg alice knows bob --at 7000
	[[ "$stderr" == *"no edge 'alice' -knows-> 'bob' holds at 7000" ]]
	# another version beside the others; --replace expires the open ones
	run -0 $G add-edge kg alice leads projx --valid-from 100 --prop role=co --now 7000
	run -0 $G get-edge kg alice leads projx --as-of 200 --format tsv
	[ "${#lines[@]}" = 2 ]
	run -0 $G add-edge kg alice leads projx --valid-from 300 --replace --prop role=sole --now 8000
	run -0 $G get-edge kg alice leads projx --as-of 400 --format tsv
	assert_output $'edge\talice\tleads\tprojx\t300\t0\t8000\t0\t{"role":"sole"}'
	run -0 $G get-edge kg alice leads projx --as-of 400 --known-at 7500 --format tsv
	[ "${#lines[@]}" = 2 ]
	run -0 $G del-edge kg alice leads projx --now 9000
	run -1 $G get-edge kg alice leads projx --as-of 400
	run -1 $G del-edge kg alice leads projx
	run -0 $G get-edge kg alice leads projx --as-of 400 --known-at 8500 --format tsv
	assert_output $'edge\talice\tleads\tprojx\t300\t0\t8000\t9000\t{"role":"sole"}'
}

@test "del-node expires the node and its edges in one transaction; it can come back" {
	small
	run -0 $G del-node kg alice --now 2000
	run -1 $G get-node kg alice
	run -1 $G neighbors kg alice
	run -0 $G neighbors kg bob --format json
	assert_output '{"nodes":[],"edges":[]}'
	run -0 $G neighbors kg bob --known-at 1500 --format tsv
	[ "$(grep -c '^edge' <<<"$output")" = 1 ]
	run -0 $G get-node kg alice --known-at 1999 --format tsv
	run -1 $G del-node kg alice
	run -0 $G add-node kg alice person --valid-from 0 --now 3000
	run -0 $G history kg alice --format tsv
	[ "${#lines[@]}" = 2 ]
}

@test "stats counts nodes, edges and versions" {
	small
	$G end-edge kg alice knows bob --at 500 --now 2000
	run -0 $G stats kg --format json
	assert_output '{"nodes":3,"edges":3,"node_versions":3,"edge_versions":5,"expired_node_versions":0,"expired_edge_versions":1}'
	run -0 $G stats kg --as-of 100 --format json
	[[ "$output" == '{"nodes":3,"edges":4,'* ]]
	run -0 $G stats kg
	[[ "$output" == *"edge_versions: 5"* ]]
	run -2 $G stats kg --format tsv
}

@test "graphs are isolated; sochdb-kv keys are not graph data" {
	small
	run -1 $G get-node other alice
	run -0 sochdb-kv put alice v
	run -0 $G stats kg --format json
	[[ "$output" == '{"nodes":3,'* ]]
}

@test "bad input: clear one-line errors and exit codes, nothing applied" {
	small
	run -3 --separate-stderr $G add-edge kg a t b --valid-from 10 --valid-until 10
	[ "$stderr" = "sochdb-graph: valid_until 10 is not after valid_from 10" ]
	run -3 --separate-stderr $G add-node kg a t --valid-from 10 --valid-until 5
	[ "$stderr" = "sochdb-graph: valid_until 5 is not after valid_from 10" ]
	run -3 --separate-stderr $G add-node kg a t --props '{"a":'
	[[ "$stderr" == "sochdb-graph: --props: line 1, column 6: "* ]]
	run -3 --separate-stderr $G add-node kg a t --props '[1]'
	[ "$stderr" = "sochdb-graph: --props: not a JSON object" ]
	long=$(head -c 1025 /dev/zero | tr '\0' x)
	run -3 --separate-stderr $G add-node kg "$long" t
	[ "$stderr" = "sochdb-graph: node id longer than 1024 bytes" ]
	run -3 --separate-stderr $G get-node kg "$long"
	run -3 --separate-stderr $G add-node kg a "$(head -c 257 /dev/zero | tr '\0' t)"
	[ "$stderr" = "sochdb-graph: type longer than 256 bytes" ]
	run -3 --separate-stderr $G add-node "$(head -c 201 /dev/zero | tr '\0' n)" a t
	[ "$stderr" = "sochdb-graph: graph name longer than 200 bytes" ]
	run -2 --separate-stderr $G add-node kg a
	[[ "$stderr" == "sochdb-graph: missing argument TYPE"* ]]
	run -2 --separate-stderr $G add-edge kg a
	[[ "$stderr" == "sochdb-graph: missing argument TYPE"* ]]
	run -2 --separate-stderr $G neighbors
	[[ "$stderr" == "sochdb-graph: missing argument NS"* ]]
	run -2 --separate-stderr $G add-node kg a t --prop novalue
	[[ "$stderr" == "sochdb-graph: invalid value 'novalue' for --prop (expected KEY=VALUE)"* ]]
	run -2 --separate-stderr $G neighbors kg a --direction up
	[[ "$stderr" == "sochdb-graph: invalid value 'up' for --direction (expected out, in or both)"* ]]
	run -2 --separate-stderr $G neighbors kg a --as-of yesterday
	[[ "$stderr" == "sochdb-graph: invalid value 'yesterday' for --as-of (expected milliseconds since 1970 or YYYY-MM-DD[THH:MM[:SS]])"* ]]
	run -2 --separate-stderr $G neighbors kg a --edge-types a,,b
	[[ "$stderr" == "sochdb-graph: option '--edge-types': empty item in 'a,,b'"* ]]
	run -2 --separate-stderr $G get-node kg alice --format csv
	run -3 --separate-stderr $G get-node -d "$BATS_TEST_TMPDIR/none" kg alice
	[[ "$stderr" == "sochdb-graph: no database at "* ]]
	# nothing of the failed writes is there
	run -0 $G stats kg --format json
	[[ "$output" == '{"nodes":3,"edges":4,"node_versions":3,"edge_versions":4,'* ]]
}

@test "times: ISO dates, --now, SDB_NOW_MS" {
	run -0 $G add-node kg a t --valid-from 2024-03-01 --now 2024-03-02T10:30:00Z
	run -0 $G get-node kg a --as-of 2024-03-01T00:00:00.000 --format tsv
	assert_output $'node\ta\tt\t{}\t1709251200000\t0\t1709375400000\t0'
	run -1 $G get-node kg a --as-of 2024-02-29T23:59:59
	SDB_NOW_MS=5000 run -0 $G add-node kg b t
	run -0 $G get-node kg b --as-of 5000 --format tsv
	assert_output $'node\tb\tt\t{}\t5000\t0\t5000\t0'
	run -1 $G get-node kg b --as-of 4999
	run -2 $G get-node kg a --as-of 2024-13-01
}

@test "add-edge --stdin: many edges in one transaction, a bad line applies nothing" {
	printf 'a\tknows\tb\nb\tknows\tc\t{"w":2}\nc\tknows\\x20x\td\n' >e.tsv
	run -0 $G add-edge kg --stdin --valid-from 0 <e.tsv
	run -0 $G get-edge kg b knows c --format tsv
	assert_output --partial $'\t{"w":2}'
	run -0 $G get-edge kg c 'knows x' d
	printf 'x\tknows\ty\nbad line\n' >bad.tsv
	run -3 --separate-stderr $G add-edge kg --stdin <bad.tsv
	[ "$stderr" = "sochdb-graph: line 2: expected FROM<TAB>TYPE<TAB>TO[<TAB>PROPS]; nothing applied" ]
	run -1 $G get-edge kg x knows y
	printf 'x\tknows\ty\t[1]\n' >bad2.tsv
	run -3 $G add-edge kg --stdin <bad2.tsv
}
