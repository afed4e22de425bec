#!/usr/bin/env bash
# graph.sh - sochdb-graph against networkx, sqlite3 and Kuzu on the same
# graph in the same run (issue 11, Performance):
#   1M edges on 100k nodes (power-law degrees, 4 edge types, one numeric
#   weight "w"); load edges/s; depth-3 BFS from 1,000 random nodes; 1,000
#   fewest-hop paths and 1,000 Dijkstra paths between random pairs;
#   neighbors --as-of on a node with 10,000 versions of its edges against
#   one with 1 version (median of 20 fresh processes, checkpointed db).
# Peers: networkx (one /usr/bin/python3 process: load, then the queries;
# queries alone and with its load), sqlite3 (edge table + both indexes,
# .import, the issue's recursive CTE for BFS and hop-limited paths), Kuzu
# from npm (`kuzu`, into .cache/kuzu; reported, not a target). One line per
# measure with the ratio (peer time / ours: > 1 means we are faster) and
# the target. Answers are cross-checked (mean reach, hop and distance sums).
# Symmetry: networkx's query times leave out its load (the graph is in its
# memory), so before each timed sochdb-graph or sqlite3 query process the
# engine's files are read once (warm: in the page cache, as collections.sh
# does); the timed process still opens the database, maps its tables and
# faults their pages in, and networkx's "with its load" ratio is beside.
#   GRAPH_BENCH_SCALE=0.05 scripts/bench/graph.sh     (development size)
#   GRAPH_Q=1000 GRAPH_SQL_PATHS=100 GRAPH_KUZU=0
set -u
cd "$(dirname "$0")/../.." || exit 3
TOP=$PWD
B=${SOCHDB_BUILD:-build}
export PATH=$PWD/$B/bin:$PATH
PY=/usr/bin/python3
S=${GRAPH_BENCH_SCALE:-1}
NN=$(awk -v s="$S" 'BEGIN { print int(100000 * s) }')
M=$(awk -v s="$S" 'BEGIN { print int(1000000 * s) }')
Q=${GRAPH_Q:-1000}
SQLP=${GRAPH_SQL_PATHS:-100}
SQLD=${GRAPH_SQL_DEPTH:-4}
W=${GRAPH_DIR:-$B/bench/graph}
mkdir -p "$W"
W=$(cd "$W" && pwd)
have() { command -v "$1" >/dev/null 2>&1; }
# warm FILE|DIR...: read once, so that the timed query process that
# follows finds the files in the page cache
warm() { find "$@" -type f -exec cat {} + >/dev/null 2>&1; }
now() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0fk edges/s", n / s / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }'; }
val() { sed -n "s/^$1 //p" "$2"; }
G=sochdb-graph
have $G || { echo "graph bench: no $G in $B/bin (make all)"; exit 3; }

echo "graph bench: $NN nodes, $M edges, $Q queries, loadavg $(cut -d' ' -f1-3 /proc/loadavg), data in $W"
D=$W/data.$M
if [ ! -f "$D/done" ]; then
	mkdir -p "$D"
	$PY scripts/bench/graph_peer.py gen "$D" "$NN" "$M" "$Q" 20261201 || exit 3
	touch "$D/done"
fi
rm -rf "$W/sochdb" "$W/asof" "$W/sqlite.db" "$W/add"

# ---- load
sync
t0=$(now); $G load -d "$W/sochdb" g "$D/graph.jsonl" || exit 3; t1=$(now)
s_load=$(secs "$t0" "$t1")
t0=$(now); sochdb-wal checkpoint -d "$W/sochdb" || exit 3; t1=$(now)
s_ckpt=$(secs "$t0" "$t1")
line="load $M edges + $NN nodes: sochdb-graph load $s_load s ($(rate "$M" "$s_load")) (then checkpoint $s_ckpt s)"
if have sqlite3; then
	sync
	t0=$(now)
	sqlite3 "$W/sqlite.db" 'CREATE TABLE edges(src TEXT, type TEXT, dst TEXT, w REAL);' \
		'.mode csv' ".import $D/edges.csv edges" || exit 3
	t1=$(now)
	sqlite3 "$W/sqlite.db" 'CREATE INDEX e_out ON edges(src, type, dst);' 'CREATE INDEX e_in ON edges(dst, type, src);' || exit 3
	t2=$(now)
	q_imp=$(secs "$t0" "$t1") q_idx=$(secs "$t1" "$t2") q_load=$(secs "$t0" "$t2")
	line="$line | sqlite3 .import $q_imp s + both indexes $q_idx s ($(rate "$M" "$q_load")): $(ratio "$q_load" "$s_load") (target >= 1.0x)"
fi
echo "$line"

# plain add-edge batches: the edges through `add-edge --stdin` when the
# tool has it (TSV FROM TYPE TO PROPS), into a database holding the nodes
if $G add-edge -h 2>&1 | grep -q -- '--stdin'; then
	head -n "$NN" "$D/graph.jsonl" >"$W/nodes.jsonl"
	$G load -d "$W/add" g "$W/nodes.jsonl" || exit 3
	awk -F, '{ print $1 "\t" $2 "\t" $3 "\t{\"w\":" $4 "}" }' "$D/edges.csv" >"$W/add.tsv"
	t0=$(now); $G add-edge -d "$W/add" g --stdin <"$W/add.tsv" || exit 3; t1=$(now)
	s_add=$(secs "$t0" "$t1")
	echo "add-edge --stdin $M edges: $s_add s ($(rate "$M" "$s_add")) (target >= 300k edges/s)"
else
	echo "add-edge batches: sochdb-graph add-edge has no --stdin: not measured (target >= 300k edges/s)"
fi

# ---- peers' queries
nxo=$W/nx.out
if $PY -c 'import networkx' 2>/dev/null; then
	$PY scripts/bench/graph_peer.py nx "$D" >"$nxo" || : >"$nxo"
else
	: >"$nxo"
	echo "graph bench: no networkx under $PY (scripts/install-deps.sh bench)"
fi
ko=$W/kuzu.out
: >"$ko"
if [ "${GRAPH_KUZU:-1}" != 0 ] && have node; then
	K=$TOP/.cache/kuzu
	if [ ! -d "$K/node_modules/kuzu" ]; then
		mkdir -p "$K" && [ -f "$K/package.json" ] || echo '{"private":true}' >"$K/package.json"
		(cd "$K" && npm install --silent --no-audit --no-fund kuzu >/dev/null 2>&1) ||
			echo "graph bench: npm install kuzu failed: Kuzu not reported"
	fi
	[ -d "$K/node_modules/kuzu" ] && { node scripts/bench/graph_kuzu.js "$D" "$K" >"$ko" 2>"$W/kuzu.err" || echo "graph bench: Kuzu failed: $(tail -n 1 "$W/kuzu.err")"; }
	rm -rf "$D/kuzu.db"
fi
nx_load=$(val load "$nxo")

# ---- depth-3 BFS from Q starts, one process. The measure: the nodes
# reached and their depths (--ids-only), what the peers compute (the CTE's
# SELECT DISTINCT n, networkx's node -> depth dict); the full records
# (types, props and the tree edges, ~230 bytes a node) are reported beside.
warm "$W/sochdb"
t0=$(now); $G traverse -d "$W/sochdb" g --stdin --order bfs --max-depth 3 --ids-only --format jsonl <"$D/starts.txt" >"$W/bfs.jsonl" || exit 3; t1=$(now)
s_bfs=$(secs "$t0" "$t1")
s_reach=$($PY scripts/bench/graph_peer.py sum-bfs <"$W/bfs.jsonl")
warm "$W/sochdb"
t0=$(now); $G traverse -d "$W/sochdb" g --stdin --order bfs --max-depth 3 --format jsonl <"$D/starts.txt" >"$W/bfs-full.jsonl" || exit 3; t1=$(now)
s_bfsf=$(secs "$t0" "$t1")
f_reach=$($PY scripts/bench/graph_peer.py sum-bfs <"$W/bfs-full.jsonl")
rm -f "$W/bfs-full.jsonl"
line="bfs depth 3 x$Q (mean reach $s_reach): sochdb-graph traverse --stdin --ids-only $s_bfs s (full records: $s_bfsf s, reach $f_reach)"
if have sqlite3; then
	awk '{ printf "WITH RECURSIVE r(n,d) AS (SELECT '\''%s'\'',0 UNION SELECT e.dst, r.d+1 FROM r JOIN edges e ON e.src = r.n WHERE r.d < 3) SELECT count(*) FROM (SELECT DISTINCT n FROM r);\n", $1 }' "$D/starts.txt" >"$W/bfs.sql"
	warm "$W/sqlite.db"
	t0=$(now); sqlite3 "$W/sqlite.db" <"$W/bfs.sql" >"$W/bfs.sqlite"; t1=$(now)
	q_bfs=$(secs "$t0" "$t1")
	q_reach=$(awk '{ s += $1 } END { printf "%.1f", s / NR }' "$W/bfs.sqlite")
	line="$line | sqlite3 CTE $q_bfs s (reach $q_reach): $(ratio "$q_bfs" "$s_bfs") (target >= 10x)"
fi
if [ -s "$nxo" ]; then
	n_bfs=$(val bfs "$nxo")
	line="$line | networkx queries $n_bfs s (reach $(val bfs_reach "$nxo")): $(ratio "$n_bfs" "$s_bfs") (target >= 1x), with its load $(ratio "$(awk -v a="$n_bfs" -v b="$nx_load" 'BEGIN { print a + b }')" "$s_bfs")"
fi
[ -s "$ko" ] && [ -n "$(val bfs "$ko")" ] && line="$line | Kuzu $(val bfs "$ko") s: $(ratio "$(val bfs "$ko")" "$s_bfs") (reported)"
echo "$line"

# ---- Q fewest-hop paths and Q Dijkstra paths, one process each
warm "$W/sochdb"
t0=$(now); $G path -d "$W/sochdb" g --stdin --format jsonl <"$D/pairs.tsv" >"$W/path.jsonl"; rc=$?; t1=$(now)
[ "$rc" -le 1 ] || exit 3
s_path=$(secs "$t0" "$t1")
line="shortest paths x$Q (found, hops: $($PY scripts/bench/graph_peer.py sum-path <"$W/path.jsonl")): sochdb-graph path --stdin $s_path s"
if [ -s "$nxo" ]; then
	n_path=$(val path "$nxo")
	line="$line | networkx bidirectional $n_path s ($(val path_sum "$nxo")): $(ratio "$n_path" "$s_path") (target >= 1x), with its load $(ratio "$(awk -v a="$n_path" -v b="$nx_load" 'BEGIN { print a + b }')" "$s_path")"
fi
if have sqlite3 && [ "$SQLP" -gt 0 ]; then
	head -n "$SQLP" "$D/pairs.tsv" | awk -F'\t' -v k="$SQLD" '{ printf "WITH RECURSIVE r(n,d) AS (SELECT '\''%s'\'',0 UNION SELECT e.dst, r.d+1 FROM r JOIN edges e ON e.src = r.n WHERE r.d < %d) SELECT min(d) FROM r WHERE n = '\''%s'\'';\n", $1, k, $2 }' >"$W/path.sql"
	warm "$W/sqlite.db"
	t0=$(now); sqlite3 "$W/sqlite.db" <"$W/path.sql" >"$W/path.sqlite"; t1=$(now)
	q_path=$(awk -v a="$t0" -v b="$t1" -v n="$SQLP" -v q="$Q" 'BEGIN { printf "%.3f", (b - a) / 1e9 * q / n }')
	line="$line | sqlite3 CTE (<= $SQLD hops, $SQLP pairs, found $(grep -c . "$W/path.sqlite"), per $Q) $q_path s: $(ratio "$q_path" "$s_path")"
fi
[ -s "$ko" ] && [ -n "$(val path "$ko")" ] && line="$line | Kuzu $(val path "$ko") s ($(val path_sum "$ko")): $(ratio "$(val path "$ko")" "$s_path") (reported)"
echo "$line"

# (bounded by GRAPH_TIMEOUT seconds: past it, the pairs answered so far
# give the time per Q)
TO=${GRAPH_TIMEOUT:-600}
warm "$W/sochdb"
t0=$(now); timeout "$TO" $G path -d "$W/sochdb" g --stdin --weight w --format jsonl <"$D/pairs.tsv" >"$W/dijkstra.jsonl"; rc=$?; t1=$(now)
part=
if [ "$rc" -eq 124 ]; then
	done_=$(grep -c . "$W/dijkstra.jsonl")
	if [ "$done_" -gt 0 ]; then
		part=" (timed out after $TO s with $done_ answered; scaled to $Q)"
		t1=$(awk -v a="$t0" -v b="$t1" -v n="$done_" -v q="$Q" 'BEGIN { printf "%.0f", a + (b - a) * q / n }')
	else
		part=" (timed out after $TO s, nothing written yet: at least that)"
	fi
elif [ "$rc" -gt 1 ]; then
	exit 3
fi
s_dij=$(secs "$t0" "$t1")
line="dijkstra x$Q (found, distance: $($PY scripts/bench/graph_peer.py sum-dijkstra <"$W/dijkstra.jsonl")): sochdb-graph path --weight w --stdin $s_dij s$part"
if [ -s "$nxo" ]; then
	n_dij=$(val dijkstra "$nxo")
	line="$line | networkx bidirectional_dijkstra $n_dij s ($(val dijkstra_sum "$nxo")): $(ratio "$n_dij" "$s_dij") (target >= 1x), with its load $(ratio "$(awk -v a="$n_dij" -v b="$nx_load" 'BEGIN { print a + b }')" "$s_dij")"
fi
[ -s "$ko" ] && [ -n "$(val dijkstra "$ko")" ] && line="$line | Kuzu WSHORTEST (first $(val dijkstra_pairs "$ko") pairs, per $Q) $(val dijkstra "$ko") s ($(val dijkstra_sum "$ko")): $(ratio "$(val dijkstra "$ko")" "$s_dij") (reported)"
echo "$line"
[ -s "$nxo" ] && echo "networkx load (MultiDiGraph from the CSV): $nx_load s$( [ -s "$ko" ] && echo "; Kuzu COPY load $(val load "$ko") s")"

# ---- neighbors --as-of: 10,000 versions of a node's edges vs 1
$G load -d "$W/asof" g "$D/asof.jsonl" || exit 3
sochdb-wal checkpoint -d "$W/asof" || exit 3
warm "$W/asof"
a10k=$($PY scripts/bench/graph_peer.py median 20 -- "$B/bin/$G" neighbors -d "$W/asof" g hub10k --as-of 1505 --format json) || exit 3
a1=$($PY scripts/bench/graph_peer.py median 20 -- "$B/bin/$G" neighbors -d "$W/asof" g hub1 --as-of 1505 --format json) || exit 3
n10k=$($G neighbors -d "$W/asof" g hub10k --as-of 1505 --format json | $PY -c 'import json, sys; print(len(json.load(sys.stdin)["edges"]))')
echo "neighbors --as-of, median of 20 fresh processes: 10,000 versions $a10k ms (target <= 2 ms), 1 version $a1 ms: $(ratio "$a10k" "$a1") (target <= 1.5x) ($n10k edges valid then, of 100)"
