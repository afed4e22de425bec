#!/usr/bin/env bats
# 7001-durable-powerloss: simulated power loss (RELIABILITY.md harness 2).
# t/durable/powerloss.c records every I/O call of workloads (every sequence
# of 1-3 of put/del/txn/checkpoint/compact, seeded random runs of 200
# operations), builds the crash states a power loss could leave at each
# fsync (unsynced writes dropped, reordered or torn at 512 bytes, unsynced
# creates/renames/unlinks lost) and opens each with the real code.

load test_helper

@test "power loss at every sync point: every crash state recovers to a prefix holding every acknowledged commit" {
	export SDB_RESULTS=$BUILD/results-table.txt
	run -0 "$BUILD/t/durable/powerloss"
	printf '# %s\n' "${lines[0]}" "${lines[-1]}" >&3
	[[ "${lines[-1]}" == *", failures 0" ]]
	states=$(sed -n 's/.*crash states \([0-9]*\),.*/\1/p' <<<"${lines[-1]}")
	[ "$states" -ge "$(scaled 2000)" ] || fail "only $states crash states"
}

@test "power loss with --sync normal: several unsynced commits, any torn; every crash state opens to a prefix" {
	export SDB_RESULTS=$BUILD/results-table.txt
	DURABLE_SYNC=normal run -0 "$BUILD/t/durable/powerloss"
	printf '# %s\n' "${lines[-1]}" >&3
	[[ "${lines[-1]}" == *", failures 0" ]]
}

@test "the harness sees a missing fsync: with the WAL's fsyncs modelled as lost, crash states fail" {
	run -0 "$BUILD/t/durable/powerloss" --selftest
	[[ "$output" == *"selftest: WAL fsyncs modelled as lost: "* ]]
}
