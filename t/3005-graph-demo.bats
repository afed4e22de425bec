#!/usr/bin/env bats
# 3005-graph-demo: the graph scene of `make demo` (scripts/demo-graph.sh)
# runs end to end and answers its time-travel question.

load test_helper

@test "scripts/demo-graph.sh: bob led Apollo on 2024-03-01; on 2024-02-01 we believed alice did" {
	run -0 --separate-stderr env SOCHDB_BUILD="$BUILD" "$TOP/scripts/demo-graph.sh"
	[ -z "$stderr" ]
	assert_line '== sochdb-graph: a knowledge graph that remembers when it learned things'
	# the answer as of 2024-03-01, then as known on 2024-02-01
	a=$(sed -n '/^(who led Apollo on 2024-03-01?)$/,/^\$/p' <<<"$output")
	# node lists are TOON tables, properties as props.KEY columns
	grep -qx 'nodes\[1\]{id,type,props.name,props.role}:' <<<"$a"
	grep -qx '  bob,person,Bob,engineer' <<<"$a"
	! grep -q alice <<<"$a"
	b=$(sed -n '/^(and what did we believe about that on 2024-02-01?)$/,/^\$/p' <<<"$output")
	grep -qx '  alice,person,Alice,engineer' <<<"$b"
	! grep -q bob <<<"$b"
	assert_line $'edge\talice\tleads\tapollo\t1704844800000\t1707955200000\t1708387200000\t0\t{}'
	assert_line 'nodes[3]: carol,bob,apollo'
	assert_line 'edges: 4'
}

@test "make demo runs the graph scene" {
	run -0 env SOCHDB_BUILD="$BUILD" "$TOP/scripts/demo.sh"
	assert_line '== sochdb-graph: a knowledge graph that remembers when it learned things'
}
