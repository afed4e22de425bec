#!/usr/bin/env bash
# sql.sh - sochdb-sql against sqlite3 (3.40, the target) on the same data in
# the same run, the workload of the SQL issue: 1M users (id INTEGER PRIMARY
# KEY, name, email, age, city, score REAL) + 2M orders (id, user_id, amount,
# status, created_at), generated deterministically. One line per step:
# both times, the ratio time(sochdb)/time(sqlite3), its target, and
# whether the results are identical. DuckDB (npm @duckdb/node-api) is a
# second peer when it installs: reported, not a target. Then peak RSS
# (VmHWM) of a 10M-row streamed SELECT and of a 10M-row ORDER BY.
#   SQL_BENCH_SCALE=0.01 scripts/bench/sql.sh      (development size)
#   SQL_BENCH_ONLY=rss scripts/bench/sql.sh        (only the peak-RSS lines)
# Default sync mode (full) on both sides throughout. Sums of REALs are
# compared rounded to cents: they round by the order rows are added in,
# which is the plan's (an index or a hash table), not a result.
set -u
cd "$(dirname "$0")/../.." || exit 3
B=${SOCHDB_BUILD:-build}
case $B in /*) ;; *) B=$PWD/$B ;; esac
export PATH=$B/bin:$PATH
SCALE=${SQL_BENCH_SCALE:-1}
W=${SQL_BENCH_DIR:-$B/bench/sql}
PY=/usr/bin/python3
mkdir -p "$W"
W=$(cd "$W" && pwd)
have() { command -v "$1" >/dev/null 2>&1; }
# seconds between two $EPOCHREALTIME readings (taken in this shell, no fork:
# $(date +%s%N) costs two fork+execs of date, ~1.3 ms here, inside the interval)
rsecs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", b - a }'; }
scaled() { awk -v n="$1" -v s="$SCALE" 'BEGIN { v = int(n * s); if (v < 1) v = 1; print v }'; }
NU=$(scaled 1000000)
NO=$(scaled 2000000)
NPK=$(scaled 10000)
NBIG=$(scaled 10000000)
fails=0

if ! have sochdb-sql; then
	echo "sql bench: sochdb-sql is not built yet ($B/bin/sochdb-sql): nothing measured"
	exit 0
fi
have sqlite3 || { echo "sql bench: sqlite3 missing (scripts/install-deps.sh bench)"; exit 3; }
echo "sql bench: $NU users, $NO orders, scale $SCALE, $(sqlite3 --version | cut -d' ' -f1), loadavg $(cut -d' ' -f1-3 /proc/loadavg), data in $W"

# ---- data (deterministic; kept between runs)
if [ ! -f "$W/orders.$NO.csv" ]; then
	$PY - "$W" "$NU" "$NO" "$NPK" <<'PY'
import random, sys
w, nu, no, npk = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
r = random.Random(20261201)
cities = ['city%02d' % i for i in range(50)]
st = ['new', 'paid', 'shipped', 'cancelled']
users = []
for i in range(1, nu + 1):
    users.append((i, 'user%d' % i, 'user%d@example.com' % i, r.randint(18, 90),
                  cities[r.randrange(50)], r.randrange(0, 100000) / 100))
with open('%s/users.%d.csv' % (w, nu), 'w') as f:
    f.writelines('%d,%s,%s,%d,%s,%r\n' % u for u in users)
with open('%s/users.%d.sql' % (w, nu), 'w') as f:
    f.write('BEGIN;\n')
    f.writelines("INSERT INTO users VALUES(%d,'%s','%s',%d,'%s',%r);\n" % u for u in users)
    f.write('COMMIT;\n')
with open('%s/orders.%d.csv' % (w, no), 'w') as f, open('%s/orders.%d.sql' % (w, no), 'w') as g:
    g.write('BEGIN;\n')
    for i in range(1, no + 1):
        o = (i, r.randint(1, nu), r.randrange(100, 100000) / 100, st[r.randrange(4)],
             r.randint(1, 12), r.randint(1, 28), r.randrange(24), r.randrange(60), r.randrange(60))
        f.write('%d,%d,%r,%s,2026-%02d-%02d %02d:%02d:%02d\n' % o)
        g.write("INSERT INTO orders VALUES(%d,%d,%r,'%s','2026-%02d-%02d %02d:%02d:%02d');\n" % o)
    g.write('COMMIT;\n')
with open('%s/pk.%d.sql' % (w, npk), 'w') as f:
    f.writelines('SELECT * FROM users WHERE id=%d;\n' % r.randint(1, nu) for _ in range(npk))
with open('%s/cnt.sql' % w, 'w') as f:
    f.writelines("SELECT count(*) FROM users WHERE city='%s';\n" % cities[i % 50] for i in range(1000))
PY
fi
U=$W/users.$NU
O=$W/orders.$NO
SCHEMA_U='CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT, email TEXT, age INTEGER, city TEXT, score REAL);'
SCHEMA_O='CREATE TABLE orders(id INTEGER PRIMARY KEY, user_id INTEGER, amount REAL, status TEXT, created_at TEXT);'
S=$W/sochdb Q=$W/sqlite.db
rm -rf "$S" "$W/sochdb-import" "$Q" "$Q"-* "$W/sqlite-import.db" "$W"/out.*

# ---- peak RSS of 10M-row results (orders x 5 copies, streamed / sorted)
rss_part() {
	local MULT COPIES ML=256
	MULT=$(( (NBIG + NO - 1) / NO ))
	COPIES="SELECT 1 AS k"
	for i in $(seq 2 "$MULT"); do COPIES="$COPIES UNION ALL SELECT $i"; done
	if [ ! -x /usr/bin/time ]; then
		echo "peak RSS: /usr/bin/time missing (scripts/install-deps.sh bench)"
		return
	fi
	/usr/bin/time -f %M -o "$W/rss" sochdb-sql -d "$S" --format tsv -c "SELECT * FROM orders, ($COPIES)" | wc -l >"$W/rows"
	awk -v k="$(cat "$W/rss")" -v n="$(cat "$W/rows")" 'BEGIN { printf "%-34s %d rows, peak RSS %.1f MiB (target <= 64 MiB) %s\n", "streamed SELECT * --format tsv", n - 1, k / 1024, (k / 1024 <= 64) ? "ok" : "MISSED" }'
	/usr/bin/time -f %M -o "$W/rss" sochdb-sql -d "$S" --format tsv --memory-limit ${ML}M \
		-c "SELECT * FROM orders, ($COPIES) ORDER BY amount, id, k" | wc -l >"$W/rows"
	awk -v k="$(cat "$W/rss")" -v n="$(cat "$W/rows")" -v ml=$ML -v la="$(cut -d' ' -f1-3 /proc/loadavg)" 'BEGIN { printf "%-34s %d rows, peak RSS %.1f MiB (target <= --memory-limit + 64 MiB = %d MiB) %s, loadavg %s\n", "ORDER BY, --memory-limit " ml "M", n - 1, k / 1024, ml + 64, (k / 1024 <= ml + 64) ? "ok" : "MISSED", la }'
}

# One step: NAME TARGET SOCHDB-CMD SQLITE-CMD; each writes its result to
# $W/out.s / $W/out.q (compared, for queries).
report() { # name target ts tq compare
	local r ok same=""
	r=$(awk -v a="$3" -v b="$4" 'BEGIN { printf "%.2f", a / b }')
	ok=$(awk -v r="$r" -v t="$2" 'BEGIN { print (r <= t) ? "ok" : "MISSED" }')
	if [ "$5" = 1 ]; then
		if cmp -s "$W/out.s" "$W/out.q"; then same=", results identical"
		else same=", RESULTS DIFFER"; fails=$((fails + 1)); fi
	fi
	printf '%-34s sochdb %8.4f s | sqlite3 %8.4f s: %sx (target <= %s) %s%s\n' "$1" "$3" "$4" "$r" "$2" "$ok" "$same"
}
run_s() { local t0 t1; t0=$EPOCHREALTIME; "$@" >"$W/out.s" 2>"$W/err.s" || echo "sochdb-sql failed: $(head -c 300 "$W/err.s")" >&2; t1=$EPOCHREALTIME; rsecs "$t0" "$t1"; }
run_q() { local t0 t1; t0=$EPOCHREALTIME; "$@" >"$W/out.q" 2>"$W/err.q" || echo "sqlite3 failed: $(head -c 300 "$W/err.q")" >&2; t1=$EPOCHREALTIME; rsecs "$t0" "$t1"; }
SQ() { sochdb-sql -d "$S" --format csv --no-header "$@"; }
QQ() { sqlite3 -csv "$Q" "$@"; }

# SQL_BENCH_ONLY=rss: only the peak-RSS lines (orders loaded, nothing timed)
if [ "${SQL_BENCH_ONLY:-}" = rss ]; then
	sochdb-sql -d "$S" -c "$SCHEMA_O" -c ".import --csv $O.csv orders" || exit 3
	rss_part
	exit 0
fi

# ---- 1M single-row INSERTs in one transaction
sochdb-sql -d "$S" -c "$SCHEMA_U" || exit 3
sqlite3 "$Q" 'PRAGMA journal_mode=WAL;' "$SCHEMA_U" >/dev/null || exit 3
sync
ts=$(run_s sochdb-sql -d "$S" "$U.sql")
tq=$(run_q sqlite3 "$Q" ".read $U.sql")
report "INSERT script ($NU rows, 1 txn)" 1.0 "$ts" "$tq" 0

# ---- .import CSV (users, into an existing table)
sochdb-sql -d "$W/sochdb-import" -c "$SCHEMA_U" || exit 3
sqlite3 "$W/sqlite-import.db" 'PRAGMA journal_mode=WAL;' "$SCHEMA_U" >/dev/null || exit 3
sync
ts=$(run_s sochdb-sql -d "$W/sochdb-import" -c ".import --csv $U.csv users")
tq=$(run_q sqlite3 "$W/sqlite-import.db" ".import --csv $U.csv users")
report ".import users CSV ($NU)" 1.0 "$ts" "$tq" 0
run_s sochdb-sql -d "$W/sochdb-import" --format csv --no-header -c 'SELECT count(*), round(sum(score), 2), max(email) FROM users' >/dev/null
run_q sqlite3 -csv "$W/sqlite-import.db" 'SELECT count(*), round(sum(score), 2), max(email) FROM users' >/dev/null
cmp -s "$W/out.s" "$W/out.q" || { echo ".import: imported tables DIFFER"; fails=$((fails + 1)); }
rm -rf "$W/sochdb-import" "$W/sqlite-import.db"

# orders: loaded the same way on both, not a target
sochdb-sql -d "$S" -c "$SCHEMA_O" || exit 3
sochdb-sql -d "$S" -c ".import --csv $O.csv orders" 2>/dev/null ||
	{ echo "orders: sochdb-sql .import failed, loaded by INSERTs instead"; sochdb-sql -d "$S" "$O.sql" || exit 3; }
sqlite3 "$Q" "$SCHEMA_O" ".import --csv $O.csv orders" || exit 3

# ---- 10,000 primary-key SELECTs in one process
ts=$(run_s SQ "$W/pk.$NPK.sql")
tq=$(run_q QQ ".read $W/pk.$NPK.sql")
report "PK SELECTs ($NPK, one process)" 1.0 "$ts" "$tq" 1

query_step() { # name target sql
	local ts tq
	ts=$(run_s SQ -c "$3")
	tq=$(run_q QQ "$3")
	report "$1" "$2" "$ts" "$tq" 1
}
query_step "scan BETWEEN/IN" 1.0 \
	"SELECT count(*), round(sum(score), 2) FROM users WHERE age BETWEEN 30 AND 40 AND city IN ('city03','city17','city42')"
query_step "GROUP BY city, 5 aggs + HAVING" 0.5 \
	"SELECT city, count(*), round(sum(score), 2), avg(age), min(score), max(age) FROM users GROUP BY city HAVING count(*) > 10 ORDER BY city"
query_step "join $NO orders + GROUP BY" 0.25 \
	"SELECT u.city, count(*), round(sum(o.amount), 2) FROM orders o JOIN users u ON u.id = o.user_id GROUP BY u.city ORDER BY u.city"
query_step "ORDER BY ... LIMIT ... OFFSET" 1.0 \
	"SELECT id, name, score FROM users ORDER BY score DESC, id LIMIT 10 OFFSET 1000"

# ---- CREATE INDEX on the 2M orders
ts=$(run_s sochdb-sql -d "$S" -c 'CREATE INDEX orders_user ON orders(user_id)')
tq=$(run_q sqlite3 "$Q" 'CREATE INDEX orders_user ON orders(user_id)')
report "CREATE INDEX ($NO rows)" 1.0 "$ts" "$tq" 0
query_step "indexed join probe" 1.0 "SELECT count(*), round(sum(amount), 2) FROM orders WHERE user_id BETWEEN 1000 AND 1100"

# ---- count(*) WHERE city=? through an index (1,000 in one process, per query)
sochdb-sql -d "$S" -c 'CREATE INDEX users_city ON users(city)' || exit 3
sqlite3 "$Q" 'CREATE INDEX users_city ON users(city)' || exit 3
ts=$(run_s SQ "$W/cnt.sql")
tq=$(run_q QQ ".read $W/cnt.sql")
report "indexed count(*) WHERE city=? x1000" 1.0 "$ts" "$tq" 1

# ---- process start: minimum of 9 runs of a one-row PK SELECT
best() { local m=999 t0 t1 s; for _ in 1 2 3 4 5 6 7 8 9; do t0=$EPOCHREALTIME; "$@" >/dev/null; t1=$EPOCHREALTIME
	s=$(rsecs "$t0" "$t1"); m=$(awk -v a="$m" -v b="$s" 'BEGIN { print (b < a) ? b : a }'); done; echo "$m"; }
ts=$(best sochdb-sql -d "$S" -c 'SELECT name FROM users WHERE id = 42')
tq=$(best sqlite3 "$Q" 'SELECT name FROM users WHERE id = 42')
report "process start (min of 9)" 1.0 "$ts" "$tq" 0
awk -v t="$ts" 'BEGIN { printf "%-34s sochdb %.2f ms (target <= 2 ms) %s\n", "process start, absolute", t * 1000, (t <= 0.002) ? "ok" : "MISSED" }'

rss_part

# ---- DuckDB (npm @duckdb/node-api): a second peer, reported only
DUCK=$W/duckdb-node
if have node && { [ -d "$DUCK/node_modules/@duckdb/node-api" ] ||
	npm install --silent --prefix "$DUCK" @duckdb/node-api >/dev/null 2>&1; }; then
	NODE_PATH=$DUCK/node_modules node - "$U.csv" "$O.csv" <<'JS' || echo "duckdb: the peer failed"
const { DuckDBInstance } = require('@duckdb/node-api');
(async () => {
	const db = await DuckDBInstance.create(':memory:');
	const c = await db.connect();
	const t = async (name, sql) => { const t0 = process.hrtime.bigint(); await c.run(sql);
		console.log(`duckdb ${name}: ${(Number(process.hrtime.bigint() - t0) / 1e9).toFixed(4)} s (reported, not a target)`); };
	await t('load users', `CREATE TABLE users AS SELECT * FROM read_csv('${process.argv[2]}', header=false, columns={'id':'BIGINT','name':'VARCHAR','email':'VARCHAR','age':'INTEGER','city':'VARCHAR','score':'DOUBLE'})`);
	await t('load orders', `CREATE TABLE orders AS SELECT * FROM read_csv('${process.argv[3]}', header=false, columns={'id':'BIGINT','user_id':'BIGINT','amount':'DOUBLE','status':'VARCHAR','created_at':'VARCHAR'})`);
	await t('GROUP BY city', 'SELECT city, count(*), round(sum(score), 2), avg(age), min(score), max(age) FROM users GROUP BY city HAVING count(*) > 10 ORDER BY city');
	await t('join + GROUP BY', 'SELECT u.city, count(*), round(sum(o.amount), 2) FROM orders o JOIN users u ON u.id = o.user_id GROUP BY u.city ORDER BY u.city');
})();
JS
else
	echo "duckdb: @duckdb/node-api did not install (no peer)"
fi
rm -f "$W"/out.* "$W"/err.*
[ "$fails" -eq 0 ] || { echo "sql bench: $fails results differ from sqlite3's"; exit 1; }
