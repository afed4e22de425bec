#!/usr/bin/env bats
# 7002-durable-faults: a fault at every I/O point (RELIABILITY.md harness
# 3). t/durable/faults.c counts the calls of a fixed workload, then fails
# the k-th write/fsync/rename/open/unlink/ftruncate/mkdir (EIO, ENOSPC)
# and the k-th allocation (ENOMEM), once and persistently, for every k:
# documented error codes only, a failed write or fsync always fails its
# operation, the database reopens with every acknowledged commit and
# verifies, no descriptor or memory leaks (LeakSanitizer in SANITIZE=1).

load test_helper

@test "every I/O fault point (write fsync rename open unlink ftruncate mkdir), EIO and ENOSPC, once and persistent" {
	export SDB_RESULTS=$BUILD/results-table.txt
	run -0 "$BUILD/t/durable/faults" write fsync rename open unlink ftruncate mkdir
	printf '# %s\n' "${lines[@]}" | grep -E 'workload|points' >&3
	[[ "${lines[-1]}" == *", failures 0" ]]
}

@test "every allocation of the workload fails with ENOMEM, once and persistent (regression: NULL path crash, table published after OOM)" {
	export SDB_RESULTS=$BUILD/results-table.txt
	run -0 "$BUILD/t/durable/faults" alloc
	printf '# %s\n' "${lines[-1]}" >&3
	[[ "${lines[-1]}" == *", failures 0" ]]
}
