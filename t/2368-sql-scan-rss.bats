#!/usr/bin/env bats
# 2368-sql-scan-rss: a streamed SELECT over a table file much larger than
# its output buffer keeps the file out of the resident set: the store's
# cursor releases the map pages behind it every 4 MiB, forward and in
# reverse, so a 10M-row result stays within a few MiB of the tool itself
# (issue 10's streamed-RSS target). The scan is held still mid-way by a
# reader that stops reading (the writer blocks on the full pipe), and
# RssFile is read from /proc then; the rows are sqlite3's.

load test_helper

setup() {
	sqlite_ref
	C=$BATS_TEST_TMPDIR/big.csv
	# 120,000 rows of random hex (LZ4 keeps it about its size): ~30 MiB
	/usr/bin/python3 - "$C" <<'PY'
import random, sys
r = random.Random(2365)
with open(sys.argv[1], 'w') as f:
    for i in range(1, 120001):
        f.write('%d,%s,%d\n' % (i, '%0240x' % r.getrandbits(960), r.randint(0, 999)))
PY
	sochdb-sql -d "$D" -c 'CREATE TABLE big(id INTEGER PRIMARY KEY, v TEXT, n INTEGER)' -c ".import --csv $C big"
	sochdb-wal -d "$D" checkpoint >/dev/null
	sqlite3 "$Q" 'CREATE TABLE big(id INTEGER PRIMARY KEY, v TEXT, n INTEGER)' ".import --csv $C big"
}

# rss_mid SQL: RssFile (kB) of sochdb-sql while it is blocked on the pipe
# after ~90% of its output; the whole output's md5 in $BATS_TEST_TMPDIR/sum
rss_mid() {
	local f=$BATS_TEST_TMPDIR/fifo pid want
	want=$(sqlite3 -tabs "$Q" "$1" | wc -c)
	mkfifo "$f"
	sochdb-sql -d "$D" --format tsv --no-header -c "$1" >"$f" &
	pid=$!
	exec 3<"$f"
	head -c $((want * 9 / 10)) <&3 >"$BATS_TEST_TMPDIR/part"
	sleep 0.2 # the writer fills the pipe and blocks there
	awk '/^RssFile:/ { print $2 }' "/proc/$pid/status"
	cat <&3 >>"$BATS_TEST_TMPDIR/part"
	exec 3<&-
	wait "$pid"
	md5sum <"$BATS_TEST_TMPDIR/part" >"$BATS_TEST_TMPDIR/sum"
}

@test "a forward scan of a 30 MiB table holds a few MiB of it, and gives sqlite3's rows" {
	size=$(du -k "$D"/*.sst | awk '{ s += $1 } END { print s }')
	[ "$size" -gt 24000 ] || fail "table files only $size kB"
	q="SELECT id, v, n FROM big WHERE n >= 0"
	kb=$(rss_mid "$q")
	[ "$kb" -lt 16000 ] || fail "RssFile $kb kB mid-scan of $size kB of tables"
	[ "$(cat "$BATS_TEST_TMPDIR/sum")" = "$(sqlite3 -tabs "$Q" "$q" | md5sum)" ]
}

@test "a reverse scan (ORDER BY id DESC) releases the pages behind it too" {
	q="SELECT id, n, v FROM big ORDER BY id DESC"
	kb=$(rss_mid "$q")
	[ "$kb" -lt 16000 ] || fail "RssFile $kb kB mid-scan"
	[ "$(cat "$BATS_TEST_TMPDIR/sum")" = "$(sqlite3 -tabs "$Q" "$q" | md5sum)" ]
}
