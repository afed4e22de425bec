# t/helpers/spill.bash: the checks of the spill tests (t/2382-t/2384),
# after sqlite_ref (D, Q): `load helpers/spill`.

# same_rows SQL: sqlite3's rows, at a 64 KiB limit
same_rows() {
	local want
	want=$(sqlite3 -csv "$Q" "$1")
	[ -n "$want" ] || fail "no rows from sqlite3: $1"
	run -0 sochdb-sql -d "$D" --memory-limit 64K --format csv --no-header -c "$1"
	[ "$output" = "$want" ] || fail "$1
$(diff <(echo "$want") <(echo "$output") | head -20)"
}

# spills SQL: at a 64 KiB limit the statement writes a spill file (a
# failed first write is its one-line error, exit 3); at the default limit
# it writes nothing and gives sqlite3's rows
spills() {
	run -3 --separate-stderr env SDB_IO_FAULT=write:1:ENOSPC sochdb-sql -d "$D" --memory-limit 64K -c "$1"
	[ "${#stderr_lines[@]}" -eq 1 ] || fail "$stderr"
	[[ $stderr == "sochdb-sql: line 1, column 1: cannot write '"*"': No space left on device" ]] || fail "$stderr"
	run -0 env SDB_IO_FAULT=write:1:ENOSPC sochdb-sql -d "$D" --format csv --no-header -c "$1"
	[ "$output" = "$(sqlite3 -csv "$Q" "$1")" ]
}

# rss_bounded DB SQL WANT LIMIT MAX_KB MIN_KB: the statement's output is
# WANT and its peak RSS under --memory-limit LIMIT below MAX_KB, while at
# the default limit (all in memory) it is above MIN_KB (else the test
# would measure nothing). DB empty: no database.
rss_bounded() {
	local t=$BATS_TEST_TMPDIR kb lim
	# AddressSanitizer's quarantine keeps freed memory resident: no bound
	[ "$(basename "$BUILD")" = build-san ] && skip "peak RSS is not measured under SANITIZE=1"
	for lim in "$4" 256M; do
		/usr/bin/time -f %M -o "$t/rss" sochdb-sql ${1:+-d "$1"} --memory-limit "$lim" \
			--format csv --no-header -c "$2" >"$t/out"
		[ "$(cat "$t/out")" = "$3" ] || fail "$2 at $lim: $(head -c 300 "$t/out")"
		kb=$(cat "$t/rss")
		if [ "$lim" = "$4" ]; then
			[ "$kb" -lt "$5" ] || fail "peak RSS $kb kB at --memory-limit $lim: $2"
		else
			[ "$kb" -gt "$6" ] || fail "peak RSS only $kb kB in memory (the test measures nothing): $2"
		fi
	done
}

# big_db SEED: B, a database of big(id INTEGER PRIMARY KEY, v TEXT) with
# 200,000 rows of 200 random hex digits (40 MiB), checkpointed; C its CSV
big_db() {
	C=$BATS_TEST_TMPDIR/big.csv
	B=$BATS_TEST_TMPDIR/big
	/usr/bin/python3 - "$C" "$1" <<'PY'
import random, sys
r = random.Random(int(sys.argv[2]))
with open(sys.argv[1], 'w') as f:
    for i in range(1, 200001):
        f.write('%d,%s\n' % (i, '%0200x' % r.getrandbits(800)))
PY
	sochdb-sql -d "$B" -c 'CREATE TABLE big(id INTEGER PRIMARY KEY, v TEXT)' -c ".import --csv $C big"
	sochdb-wal -d "$B" checkpoint >/dev/null
}
