#!/usr/bin/env bats
# 2362-sql-block-cache: point reads go through the store's block cache
# (decompressed blocks kept per table file): in one process, UPDATE,
# DELETE and VACUUM (compaction: new table files) between primary-key
# reads, and every read gives sqlite3's answer, never a cached block of a
# table the snapshot no longer names. (Another process's compaction
# between a handle's reads: t/unit/test_refresh.c, test_block_cache.)

load test_helper

setup() {
	sqlite_ref load.sql
	/usr/bin/python3 - "$S" <<'PY'
import sys
with open(sys.argv[1], 'w') as f:
    f.write('CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);\nBEGIN;\n')
    for i in range(1, 20001):
        f.write("INSERT INTO t VALUES(%d,'v%d-%s');\n" % (i, i, 'x' * (i % 40)))
    f.write('COMMIT;\n')
PY
	sochdb-sql -d "$D" "$S"
	sochdb-wal -d "$D" compact >/dev/null
	sqlite3 "$Q" <"$S"
}

@test "reads after UPDATE + VACUUM in one process see the new rows" {
	script=$BATS_TEST_TMPDIR/s.sql
	{
		for i in 5 777 19999 5 777; do echo "SELECT v FROM t WHERE id = $i;"; done
		echo "UPDATE t SET v = 'new' || id WHERE id % 7 = 0 OR id IN (5, 777);"
		echo "VACUUM;"
		for i in 5 777 19999 7 14 5 777 700; do echo "SELECT v FROM t WHERE id = $i;"; done
		echo "DELETE FROM t WHERE id BETWEEN 700 AND 800;"
		echo "VACUUM;"
		for i in 777 5 699 801; do echo "SELECT v FROM t WHERE id = $i;"; done
	} >"$script"
	want=$(sqlite3 -csv "$Q" ".read $script")
	run -0 sochdb-sql -d "$D" --format csv --no-header "$script"
	[ "$output" = "$want" ] || { diff <(echo "$want") <(echo "$output"); return 1; }
}
