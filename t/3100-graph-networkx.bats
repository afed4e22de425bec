#!/usr/bin/env bats
# 3100-graph-networkx: sochdb-graph against networkx (Debian's
# python3-networkx under /usr/bin/python3) on seeded random graphs with
# cycles, self-loops, parallel edges of different types, node types and a
# numeric weight: neighbours, BFS/DFS reach by depth, fewest-hop and
# Dijkstra path lengths, with edge- and node-type filters and --where;
# every returned path and walked edge must be real (t/helpers/graph_networkx.py).
# Replay a failure with GRAPH_SEED=S; STRESS_SCALE scales the queries.

load test_helper

setup() {
	setup_db
	[ -x "$BUILD/bin/sochdb-graph" ] || skip "sochdb-graph is not built yet"
	/usr/bin/python3 -c 'import networkx' 2>/dev/null ||
		fail "python3-networkx missing under /usr/bin/python3 (scripts/install-deps.sh)"
}

nx_run() { # KIND NODES EDGES [nodelink]
	seed=${GRAPH_SEED:-$RANDOM}
	echo "# networkx $1: seed $seed (GRAPH_SEED=$seed to replay)" >&3
	run /usr/bin/python3 "$TOP/t/helpers/graph_networkx.py" "$seed" "$1" "$2" "$3" "$(scaled 300)" "${4:-}"
	echo "# ${lines[-1]}" >&3
	[ "$status" -eq 0 ] || fail "$output"
}

@test "uniform random multigraph: the same answers as networkx" {
	nx_run uniform 120 400
}

@test "power-law multigraph, loaded from networkx's node-link JSON: the same answers" {
	nx_run powerlaw 200 700 nodelink
}
