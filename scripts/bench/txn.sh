#!/usr/bin/env bash
# txn.sh - the transaction write set (lib/store/txn) at TXN_N entries
# (default 1M, the SQL INSERT and .import benchmarks' size): puts against
# the same puts into a plain sdb_batch, and an INSERT-shaped get-then-put
# of random keys against sqlite3 inserting the same keys into an
# in-memory WITHOUT ROWID table in one transaction (.import, which also
# parses the CSV: a generous peer), in the same run.
#   TXN_N=2000000 scripts/bench/txn.sh
set -u
cd "$(dirname "$0")/../.." || exit 3
B=${SOCHDB_BUILD:-build}
N=${TXN_N:-1000000}
W=${TXN_DIR:-$B/bench/txn}
T=$B/t/unit/test_txn
now() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }

[ -x "$T" ] || make --no-print-directory -s "$T" >/dev/null || exit 3
mkdir -p "$W"
echo "txn bench: N=$N, loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
out=$("$T" --bench "$N") || exit 3
printf '%s\n' "$out"
if command -v sqlite3 >/dev/null 2>&1; then
	[ -f "$W/keys.$N.csv" ] || "$T" --keys "$N" >"$W/keys.$N.csv" || exit 3
	t0=$(now)
	sqlite3 :memory: 'CREATE TABLE kv(k TEXT PRIMARY KEY, v TEXT) WITHOUT ROWID;' \
		'.mode csv' ".import $W/keys.$N.csv kv" >/dev/null || exit 3
	t1=$(now)
	q=$(secs "$t0" "$t1")
	g=$(printf '%s\n' "$out" | sed -n 's/.*get-then-put.*random keys \([0-9.]*\) s.*/\1/p')
	echo "txn get-then-put $N random keys ${g} s | sqlite3 :memory: .import of the same keys $q s: $(ratio "$g" "$q") of sqlite3's time"
fi
