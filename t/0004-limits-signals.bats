#!/usr/bin/env bats
# 0004-limits-signals: every tool ignores SIGXFSZ, so a file-size limit
# (ulimit -f) is an I/O error with a message and exit 3 — never death by
# signal 153 with a temporary file left; SIGINT/SIGTERM while an output
# file is written remove its temporary file before the tool dies of the
# signal (DESIGN.md "Conventions for all six", issue 9 B8).

load test_helper

setup() {
	setup_db
	cd "$BATS_TEST_TMPDIR"
	/usr/bin/python3 -c "
import json
json.dump([{'id': i, 'name': 'user%d' % i, 'ok': i % 2 == 0} for i in range(20000)], open('in.json', 'w'))
import numpy as np
np.save('v.npy', np.random.default_rng(1).normal(size=(3000, 16)).astype(np.float32))
"
}

# no_tmp: no temporary output file anywhere below the test directory
no_tmp() {
	local left
	left=$(find . -name '*.tmp.*')
	[ -z "$left" ] || fail "temporary file left: $left"
}

# limited CMD...: runs CMD under a 10 KiB file-size limit
limited() {
	run --separate-stderr bash -c 'ulimit -f 10; exec "$@"' limited "$@"
}

@test "sochdb-toon encode/decode -o past ulimit -f: File too large, exit 3" {
	limited sochdb-toon encode in.json -o out.toon
	[ "$status" -eq 3 ] || fail "status $status: $stderr"
	assert_equal "$stderr" "sochdb-toon: cannot write 'out.toon': File too large"
	[ ! -e out.toon ]
	no_tmp
	sochdb-toon encode in.json -o in.toon
	limited sochdb-toon decode in.toon -o out.json
	[ "$status" -eq 3 ] || fail "status $status: $stderr"
	assert_equal "$stderr" "sochdb-toon: cannot write 'out.json': File too large"
	[ ! -e out.json ]
	no_tmp
	# under the limit all is well
	run -0 bash -c 'ulimit -f 10; sochdb-toon encode -o small.toon <<<"{\"a\":1}"'
	run -0 cat small.toon
	assert_output "a: 1"
}

@test "sochdb-bulk build-index and convert past ulimit -f: exit 3, no index, no temporary file" {
	limited sochdb-bulk build-index -i v.npy -o v.idx -t 1 --quiet
	[ "$status" -eq 3 ] || fail "status $status: $stderr"
	[[ "$stderr" == "sochdb-bulk: cannot write 'v.idx': File too large" ]] || fail "$stderr"
	[ ! -e v.idx ]
	no_tmp
	limited sochdb-bulk convert -i v.npy -o v.fvecs
	[ "$status" -eq 3 ] || fail "status $status: $stderr"
	[[ "$stderr" == "sochdb-bulk: cannot write 'v.fvecs': File too large" ]] || fail "$stderr"
	[ ! -e v.fvecs ]
	no_tmp
}

@test "sochdb-kv put and load past ulimit -f: exit 3, nothing applied, the database stays good" {
	run -0 sochdb-kv put before 1
	head -c 50000 /dev/urandom >big
	limited sochdb-kv put big - <big
	[ "$status" -eq 3 ] || fail "status $status: $stderr"
	[[ "$stderr" == "sochdb-kv: cannot write '$SOCHDB_DIR/wal-"*".log': File too large" ]] || fail "$stderr"
	run -1 sochdb-kv exists big
	for i in $(seq 2000); do printf 'key%05d\tvalue-%s\n' "$i" "$i$i$i$i"; done >load.tsv
	run --separate-stderr bash -c 'ulimit -f 10; exec sochdb-kv load load.tsv'
	[ "$status" -eq 3 ] || fail "status $status: $stderr"
	[[ "$stderr" == *"File too large"* ]] || fail "$stderr"
	run -1 sochdb-kv exists key00001
	run -0 sochdb-kv get before
	assert_output "1"
	run -0 sochdb-wal verify
	# without the limit the same load goes in
	run -0 sochdb-kv load load.tsv
	run -0 sochdb-kv get key02000
	assert_output "value-2000200020002000"
}

# signal_in_commit SIG CMD...: runs CMD under strace, which delivers SIG
# to it at its first fsync (the temporary output file is written and not
# yet renamed: strace's log shows it opened), and checks that the tool
# died of SIG and left no temporary file. Delivered by strace at that
# syscall, not by a kill from the test once the file shows: that raced
# with the tool finishing under load (exit 0 seen).
signal_in_commit() {
	local sig=$1 log=$BATS_TEST_TMPDIR/strace.log
	shift
	command -v strace >/dev/null || skip "no strace"
	# env: SIG back to its default disposition for the tool (a run under
	# nohup ignores SIGHUP, and the tools keep an ignored signal ignored)
	strace -f -qq -o "$log" -e trace=openat,fsync -e inject=fsync:signal="$sig":when=1 \
		env --default-signal="$sig" "$@" && status=0 || status=$?
	grep -q 'openat(.*\.tmp\.' "$log" || fail "no temporary file was opened: $(head -c 600 "$log")"
	grep -q '^[0-9]* *fsync(' "$log" || fail "no fsync was traced: $(head -c 600 "$log")"
	[ "$status" -eq $((128 + $(kill -l "$sig"))) ] || fail "status $status, expected death by SIG$sig"
	no_tmp
}

@test "SIGTERM or SIGHUP while an output file is written removes its temporary file" {
	signal_in_commit TERM sochdb-toon encode in.json -o out.toon
	[ ! -e out.toon ]
	signal_in_commit HUP sochdb-toon decode --no-strict -o out.json <<<'a: 1'
	[ ! -e out.json ]
	signal_in_commit TERM sochdb-bulk build-index -i v.npy -o v.idx -t 1 --quiet
	[ ! -e v.idx ]
	signal_in_commit HUP sochdb-bulk convert -i v.npy -o v.fvecs
	[ ! -e v.fvecs ]
}
