#!/usr/bin/env bats
# 5006-wal-demo: the cron scene of `make demo` (scripts/demo-wal.sh):
# checkpoint --if-larger-than --skip-if-busy, verify and backup while a
# writer commits; the backup verifies and holds a prefix of the writes.

load test_helper

@test "scripts/demo-wal.sh: checkpoint, verify and backup beside a writer" {
	run -0 --separate-stderr env SOCHDB_BUILD="$BUILD" "$TOP/scripts/demo-wal.sh"
	assert_line '== sochdb-wal: cron maintenance while a writer runs'
	assert_line '$ sochdb-wal -v checkpoint --if-larger-than 16k --skip-if-busy'
	assert_line '$ sochdb-wal backup backup/ && sochdb-wal -v verify -d backup/'
	assert_line 'keys: 1001'
	assert_line --regexp '^events: 1001 in the database, [0-9]+ in the backup taken mid-way$'
	n=$(printf '%s\n' "$output" | sed -n 's/.*, \([0-9]*\) in the backup.*/\1/p')
	[ "$n" -ge 1 ] && [ "$n" -le 1001 ] || fail "backup holds $n events"
	# both verifies passed (-v says ok), at least one checkpoint ran
	[ "$(grep -c '^sochdb-wal: ok: ' <<<"$stderr")" = 2 ] || fail "$stderr"
	grep -q '^sochdb-wal: checkpoint done$' <<<"$stderr" || fail "$stderr"
	! grep -qv '^sochdb-wal: \(ok: \|checkpoint done\|nothing to do\)' <<<"$stderr" || fail "$stderr"
}
