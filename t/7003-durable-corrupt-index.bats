#!/usr/bin/env bats
# 7003-durable-corrupt-index: corruption sweep of a sochdb-bulk index
# (RELIABILITY.md harness 4): a seeded sample of byte offsets, each flipped
# with XOR 0x01 and 0xFF; `info` and `query --verify` refuse the damage
# (exit 3) or, for a byte no reader uses, answer as before; a plain query
# never crashes. The exhaustive sweep is t/stress/7101-durable-sweep.bats.

load test_helper
load helpers/fixtures

@test "seeded sweep of an index: damage is refused with exit 3, nothing crashes" {
	cd "$BATS_TEST_TMPDIR"
	index_fixture x.idx
	n=$(scaled 300)
	seed=${SWEEP_SEED:-$RANDOM}
	echo "# index corruption sweep: seed $seed, $n offsets x 2 masks" >&3
	SDB_RESULTS=$BUILD/results-table.txt run -0 "$TOP/t/helpers/corrupt_sweep.py" --index x.idx "$seed" "$n"
	echo "# ${lines[-1]}" >&3
	[[ "${lines[-1]}" == *" failures 0" ]]
}
