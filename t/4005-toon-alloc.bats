#!/usr/bin/env bats
# 4005-toon-alloc: every allocation of the JSON, TOON and util paths that
# sochdb-toon takes fails with ENOMEM, once and persistently
# (t/durable/codecs.c, linked with the library's allocations wrapped): a
# run either succeeds with exactly the output it has without the fault, or
# fails with SDB_ENOMEM and an error detail that says so. Regression
# (issue 9, A5): a failed allocation in the decoder's sink printed
# "sochdb-toon: success"; a failed unescape wrote a string as escaped in
# the source; a failed copy of a long number turned it into a string.

load test_helper

@test "every allocation of encode, decode, compact and the I/O layer fails cleanly, with a message" {
	run -0 "$BUILD/t/durable/codecs"
	printf '# %s\n' "${lines[-1]}" >&3
	[[ "${lines[-1]}" == *" failures 0" ]]
	# every case ran and counted its allocations
	for c in json json-long jsonl encode encode-long encode-fold encode-fold-rows encode-threads encode-jsonl decode decode-big \
		decode-lww decode-expand decode-jsonl compact input-pipe atomic; do
		assert_line --regexp "^$c: [1-9][0-9]* allocations$"
	done
}
