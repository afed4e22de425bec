#!/usr/bin/env bats
# 4006-toon-fold-rows: sochdb-toon encode --fold-rows writes records that
# carry nested objects as TOON tables with dotted columns, only where
# that is unambiguous, and decode --expand-paths safe nests them again;
# sochdb-graph's toon output is that form.

load test_helper

setup() {
	cd "$BATS_TEST_TMPDIR"
}

@test "--fold-rows: nested objects become dotted columns, the union in encounter order, null where absent" {
	printf '%s' '{"nodes":[{"id":"a","props":{"name":"A","n":1}},{"id":"b","props":{}},{"id":"c","props":{"geo":{"city":"Oslo"},"name":"C"}}]}' >in.json
	run -0 sochdb-toon encode --fold-rows in.json
	assert_output $'nodes[3]{id,props.name,props.n,props.geo.city}:\n  a,A,1,null\n  b,null,null,null\n  c,C,null,Oslo'
	# without the option: TOON's list form, byte for byte the default
	run -0 sochdb-toon encode in.json
	assert_line --index 0 'nodes[3]:'
	assert_line --index 1 '  - id: a'
	# path expansion nests the columns again (absent keys read null)
	run -0 sh -c 'sochdb-toon encode --fold-rows in.json | sochdb-toon decode --expand-paths safe'
	assert_output '{"nodes":[{"id":"a","props":{"name":"A","n":1,"geo":{"city":null}}},{"id":"b","props":{"name":null,"n":null,"geo":{"city":null}}},{"id":"c","props":{"name":"C","n":null,"geo":{"city":"Oslo"}}}]}'
}

@test "--fold-rows: an object empty in every row leaves no column; a root array and nested arrays fold too" {
	run -0 sochdb-toon encode --fold-rows <<<'[{"from":"a","to":"b","props":{}},{"from":"b","to":"c","props":{}}]'
	assert_output $'[2]{from,to}:\n  a,b\n  b,c'
	run -0 sochdb-toon encode --fold-rows <<<'{"x":{"rows":[{"k":1,"m":{"v":true}}]}}'
	assert_output $'x:\n  rows[1]{k,m.v}:\n    1,true'
}

@test "--fold-rows leaves what cannot fold unambiguously as TOON writes it" {
	local doc
	for doc in \
		'[{"a":1,"p":{"t":[1,2]}},{"a":2,"p":{}}]' \
		'[{"a":1,"p":{"x":1}},{"a":2,"p":3}]' \
		'[{"a":1,"p":{"x":1}},{"b":2,"p":{"x":2}}]' \
		'[{"a":1,"p":{"full-name":1}}]' \
		'[{"p.x":1,"p":{"x":2}}]' \
		'[{"p":{"x":1}},{"p":{"x":{"y":2}}}]' \
		'[{"p":{}},{"p":{}}]' \
		'[{"p":{"x":1}},3]' \
		'[{"a":1,"b":2},{"a":3,"b":4}]'; do
		run -0 sochdb-toon encode --fold-rows <<<"$doc"
		folded=$output
		run -0 sochdb-toon encode <<<"$doc"
		[ "$folded" = "$output" ] || fail "$doc folded: $folded"
	done
}

@test "--fold-rows keeps quoting, delimiters and duplicate-key resolution" {
	run -0 sochdb-toon encode --fold-rows --delimiter '|' <<<'[{"id":"a,b","p":{"s":"x|y","q":"1"}},{"id":"c","p":{"s":"","q":null}}]'
	assert_output $'[2|]{id|p.s|p.q}:\n  a,b|"x|y"|"1"\n  c|""|null'
	run -0 sochdb-toon encode --fold-rows <<<'[{"id":1,"p":{"x":1},"p":{"y":2}}]'
	assert_output $'[1]{id,p.y}:\n  1,2'
}

@test "sochdb-graph --format toon: node and edge lists are tables with props.KEY columns" {
	export SOCHDB_DIR=$BATS_TEST_TMPDIR/db
	G=sochdb-graph
	$G add-node kg alice person --props '{"name":"Alice","age":30}' --now 1000 --valid-from 1000
	$G add-node kg x project --now 1000 --valid-from 1000
	$G add-edge kg alice leads x --props '{"role":"lead"}' --valid-from 1000 --now 1000
	run -0 $G neighbors kg x --direction in --as-of 2000 --known-at 2000
	assert_output $'nodes[1]{id,type,props.name,props.age}:\n  alice,person,Alice,30\nedges[1]{from,type,to,valid_from,valid_until,recorded_at,expired_at,props.role}:\n  alice,leads,x,1000,0,1000,0,lead'
	run -0 $G neighbors kg x --direction in --as-of 2000 --known-at 2000 --format json
	json=$output
	run -0 $G neighbors kg x --direction in --as-of 2000 --known-at 2000
	toon=$output
	run -0 sochdb-toon encode --fold-rows <<<"$json"
	[ "$output" = "$toon" ]
}
