#!/usr/bin/env bash
# kv.sh - sochdb-kv against RocksDB (ldb), sqlite3 and LMDB on the same data
# in the same run (DESIGN.md quality bars, issue targets):
#   1M random 16-hex-char keys, 100-byte random alphanumeric values;
#   load, get --stdin of 100k random keys, full scan, durable single put
#   vs a raw fdatasync loop, size after compaction, checkpoint and restart.
# Prints one line per figure with the ratio against each peer.
#   KV_N=1000000 KV_Q=100000 KV_PUTS=200 scripts/bench/kv.sh
set -u
cd "$(dirname "$0")/../.." || exit 3
B=${SOCHDB_BUILD:-build}
export PATH=$PWD/$B/bin:$PATH
N=${KV_N:-1000000}
Q=${KV_Q:-100000}
PUTS=${KV_PUTS:-200}
W=${KV_DIR:-$B/bench/kv}
PY=/usr/bin/python3
mkdir -p "$W"
W=$(cd "$W" && pwd)
have() { command -v "$1" >/dev/null 2>&1; }
now() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0fk/s", n / s / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }

echo "kv bench: N=$N Q=$Q, loadavg $(cut -d' ' -f1-3 /proc/loadavg), data in $W"
if [ ! -f "$W/data.$N.tsv" ]; then
	$PY - "$W" "$N" "$Q" <<'PY'
import random, string, sys
w, n, q = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(20261121)
al = (string.ascii_letters + string.digits).encode()
keys = set()
while len(keys) < n:
    keys.add('%016x' % rnd.getrandbits(64))
keys = list(keys)
vals = [bytes(rnd.choice(al) for _ in range(100)).decode() for _ in range(n)]
with open('%s/data.%d.tsv' % (w, n), 'w') as f:
    f.writelines('%s\t%s\n' % kv for kv in zip(keys, vals))
with open('%s/data.%d.ldb' % (w, n), 'w') as f:
    f.writelines('%s ==> %s\n' % kv for kv in zip(keys, vals))
with open('%s/data.%d.csv' % (w, n), 'w') as f:
    f.writelines('%s,%s\n' % kv for kv in zip(keys, vals))
with open('%s/data.%d.mdb' % (w, n), 'w') as f:
    f.write('VERSION=3\nformat=print\ntype=btree\nmapsize=2147483648\nHEADER=END\n')
    f.writelines(' %s\n %s\n' % kv for kv in zip(keys, vals))
    f.write('DATA=END\n')
qk = rnd.sample(keys, q)
with open('%s/q.%d.txt' % (w, n), 'w') as f:
    f.writelines(k + '\n' for k in qk)
with open('%s/q.%d.ldb' % (w, n), 'w') as f:
    f.writelines('get %s\n' % k for k in qk)
with open('%s/q.%d.sql' % (w, n), 'w') as f:
    f.writelines("SELECT v FROM kv WHERE k='%s';\n" % k for k in qk)
PY
fi
D=$W/data.$N
rm -rf "$W/sochdb" "$W/rocks" "$W/sqlite.db" "$W/lmdb" "$W/ckpt"

# ---- load
sync
t0=$(now); sochdb-kv load -d "$W/sochdb" "$D.tsv" || exit 3; t1=$(now)
s_load=$(secs "$t0" "$t1")
line="load $N: sochdb-kv $s_load s ($(rate "$N" "$s_load"))"
if have ldb; then
	sync
	t0=$(now); ldb --db="$W/rocks" --create_if_missing --compression_type=lz4 load <"$D.ldb" >/dev/null || exit 3; t1=$(now)
	r_load=$(secs "$t0" "$t1")
	line="$line | ldb load $r_load s ($(rate "$N" "$r_load")): $(ratio "$r_load" "$s_load") (target >= 1.5x)"
fi
if have sqlite3; then
	sync
	t0=$(now)
	sqlite3 "$W/sqlite.db" 'PRAGMA journal_mode=WAL;' 'CREATE TABLE kv(k TEXT PRIMARY KEY, v TEXT) WITHOUT ROWID;' \
		'.mode csv' ".import $D.csv kv" >/dev/null || exit 3
	t1=$(now)
	q_load=$(secs "$t0" "$t1")
	line="$line | sqlite3 .import $q_load s: $(ratio "$q_load" "$s_load")"
fi
if have mdb_load; then
	mkdir -p "$W/lmdb"
	t0=$(now); mdb_load -f "$D.mdb" "$W/lmdb" || exit 3; t1=$(now)
	m_load=$(secs "$t0" "$t1")
	line="$line | lmdb mdb_load $m_load s: $(ratio "$m_load" "$s_load")"
fi
echo "$line"

# ---- random gets of Q keys through the CLIs
t0=$(now); sochdb-kv get --stdin -d "$W/sochdb" <"$W/q.$N.txt" >"$W/got.txt"; t1=$(now)
s_get=$(secs "$t0" "$t1")
line="get --stdin $Q: sochdb-kv $s_get s ($(rate "$Q" "$s_get"))"
if have ldb; then
	t0=$(now); ldb --db="$W/rocks" query <"$W/q.$N.ldb" >/dev/null 2>&1; t1=$(now)
	r_get=$(secs "$t0" "$t1")
	line="$line | ldb query $r_get s: $(ratio "$r_get" "$s_get") (target >= 2x)"
fi
if have sqlite3; then
	t0=$(now); sqlite3 "$W/sqlite.db" <"$W/q.$N.sql" >/dev/null; t1=$(now)
	q_get=$(secs "$t0" "$t1")
	line="$line | sqlite3 CLI $q_get s: $(ratio "$q_get" "$s_get") (target >= 1x)"
fi
echo "$line"
[ "$(grep -c '^\\N$' "$W/got.txt")" -eq 0 ] || echo "kv bench: WARNING: some keys not found"

# ---- full scan
t0=$(now); sochdb-kv scan -d "$W/sochdb" >/dev/null; t1=$(now)
s_scan=$(secs "$t0" "$t1")
line="scan $N rows: sochdb-kv $s_scan s ($(awk -v n="$N" -v s="$s_scan" 'BEGIN { printf "%.2fM rows/s", n / s / 1e6 }')) (target >= 2M rows/s)"
if have ldb; then
	t0=$(now); ldb --db="$W/rocks" scan >/dev/null; t1=$(now)
	r_scan=$(secs "$t0" "$t1")
	line="$line | ldb scan $r_scan s: $(ratio "$r_scan" "$s_scan")"
fi
echo "$line"

# ---- size after compaction
sochdb-wal compact -d "$W/sochdb"
s_size=$(du -sb "$W/sochdb" | cut -f1)
line="size after compaction: sochdb $(mib "$s_size")"
if have ldb; then
	r_before=$(du -sb "$W/rocks" | cut -f1)
	ldb --db="$W/rocks" compact >/dev/null 2>&1
	r_size=$(du -sb "$W/rocks" | cut -f1)
	line="$line | RocksDB lz4 $(mib "$r_size") (before compaction $(mib "$r_before")): sochdb/rocksdb $(ratio "$s_size" "$r_size") (target <= 1x)"
fi
echo "$line"
t0=$(now); sochdb-kv get --stdin -d "$W/sochdb" <"$W/q.$N.txt" >/dev/null; t1=$(now)
s_get2=$(secs "$t0" "$t1")
t0=$(now); sochdb-kv scan -d "$W/sochdb" >/dev/null; t1=$(now)
s_scan2=$(secs "$t0" "$t1")
echo "after compaction (zstd): get --stdin $Q $s_get2 s ($(rate "$Q" "$s_get2"))$( [ -n "${r_get:-}" ] && echo ", vs ldb query $(ratio "$r_get" "$s_get2")"); scan $(awk -v n="$N" -v s="$s_scan2" 'BEGIN { printf "%.2fM rows/s", n / s / 1e6 }')"

# ---- checkpoint of N keys and restart
SOCHDB_FLUSH_BYTES=1000000000000 sochdb-kv load -d "$W/ckpt" "$D.tsv"
k=$(head -n 1 "$W/q.$N.txt")
t0=$(now); sochdb-kv get -d "$W/ckpt" "$k" >/dev/null; t1=$(now)
s_replay=$(secs "$t0" "$t1")
t0=$(now); sochdb-wal checkpoint -d "$W/ckpt"; t1=$(now)
s_ckpt=$(secs "$t0" "$t1")
t0=$(now); sochdb-kv get -d "$W/ckpt" "$k" >/dev/null; t1=$(now)
s_restart=$(secs "$t0" "$t1")
echo "checkpoint of $N keys: $s_ckpt s (target < 1 s); restart after it (open + get): $s_restart s (target < 1 s); open replaying the whole WAL before it: $s_replay s"

# ---- durable single put vs raw fdatasync, same run, same file system:
# rounds alternate the three measurements; medians are reported
per=$((PUTS / 5 > 0 ? PUTS / 5 : 1))
: >"$W/rounds"
for r in 1 2 3 4 5; do
	t0=$(now); for i in $(seq "$per"); do sochdb-kv --version >/dev/null; done; t1=$(now)
	st=$(( (t1 - t0) / per / 1000 ))
	t0=$(now); for i in $(seq "$per"); do sochdb-kv put -d "$W/puts" "key$r-$i" "value$i"; done; t1=$(now)
	pt=$(( (t1 - t0) / per / 1000 ))
	fs=$($PY - "$W/fsync.dat" "$per" <<'PY'
import os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
n = int(sys.argv[2]); t = time.perf_counter()
for i in range(n):
    os.write(fd, b'x' * 100); os.fdatasync(fd)
print('%.0f' % ((time.perf_counter() - t) / n * 1e6))
PY
)
	echo "$st $pt $fs" >>"$W/rounds"
done
med() { cut -d' ' -f"$1" "$W/rounds" | sort -n | sed -n 3p; }
start_us=$(med 1) put_us=$(med 2) fsync_us=$(med 3)
echo "durable put (median of 5 rounds of $per): sochdb-kv put $put_us us per process, process start $start_us us, raw fdatasync $fsync_us us: (put - start) / fdatasync = $(ratio $((put_us - start_us)) "$fsync_us") (target <= 2x)"
rm -rf "$W/sochdb" "$W/rocks" "$W/sqlite.db" "$W/sqlite.db-wal" "$W/sqlite.db-shm" "$W/lmdb" "$W/ckpt" "$W/puts" "$W/fsync.dat" "$W/rounds"
