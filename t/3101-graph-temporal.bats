#!/usr/bin/env bats
# 3101-graph-temporal: valid time and system time against a brute-force
# model (t/helpers/graph_bitemporal.py): random timelines with overlapping,
# closed and open periods, corrections, --replace, end-edge, del-edge,
# del-node and set-node at chosen --now MS; then --as-of / --known-at
# reads (neighbors, get-edge, get-node), the three temporal modes and
# history, each compared with a plain filter of the model's versions.
# Replay with GRAPH_SEED=S; STRESS_SCALE scales the timeline and reads.

load test_helper

setup() {
	setup_db
	[ -x "$BUILD/bin/sochdb-graph" ] || skip "sochdb-graph is not built yet"
}

t_run() {
	seed=${GRAPH_SEED:-$RANDOM}
	echo "# temporal: seed $seed (GRAPH_SEED=$seed to replay)" >&3
	run /usr/bin/python3 "$TOP/t/helpers/graph_bitemporal.py" "$seed" "$1" "$2"
	echo "# ${lines[-1]}" >&3
	[ "$status" -eq 0 ] || fail "$output"
}

@test "bi-temporal reads agree with a brute-force filter of the versions" {
	t_run "$(scaled 150)" "$(scaled 250)"
}

@test "a long timeline on the same relations (many versions each)" {
	t_run "$(scaled 300)" "$(scaled 100)"
}
