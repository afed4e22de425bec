#!/usr/bin/env bash
# annmem.sh - sochdb-bulk builds at scale and under --memory-budget.
#
#   scripts/bench/annmem.sh        (make bench runs it through run-all.sh)
#
# 1. big: 10,000,000 x 96 clustered l2 (seeded, scripts/bench/annmem_gen.py),
#    one 2-thread build: peak RSS (VmHWM, with the mapped input) against
#    1.2 x (vectors + graph); build rate.
# 2. budget: 1,000,000 x 768 normalised ip, built unbudgeted and with
#    --memory-budget 1G: anonymous peak against 1 GiB + graph, recall@10
#    of both against exact truth for 100 queries (sochdb-bulk query
#    --exact, itself checked against numpy in t/6001), and the memory
#    model extrapolated to 10M x 768.
# ANNMEM_SCALE (default 1) scales the row counts and the budget;
# ANNMEM_SETS="big budget" picks the parts. Inputs live in a temporary
# directory under $SOCHDB_BUILD/bench that is removed at the end; the free
# disk is checked first. /proc/loadavg is printed with every figure.
set -u
cd "$(dirname "$0")/../.." || exit 3
B=${SOCHDB_BUILD:-build}
BIN=$B/bin/sochdb-bulk
PY=/usr/bin/python3
SCALE=${ANNMEM_SCALE:-1}
SETS=${ANNMEM_SETS:-big budget}
[ -x "$BIN" ] || { echo "annmem.sh: build first ($BIN missing)" >&2; exit 3; }
mkdir -p "$B/bench"
T=$(mktemp -d "$B/bench/annmem.XXXXXX") || exit 3
trap 'rm -rf "$T"' EXIT INT TERM
load() { cut -d' ' -f1-3 /proc/loadavg; }
scaled() { awk -v n="$1" -v s="$SCALE" 'BEGIN { printf "%d", n * s }'; }
jf() { $PY -c "import json,sys; print(json.loads(sys.argv[2])[sys.argv[1]])" "$1" "$2"; }
# graph bytes of the memory model (sochdb-bulk(1), --memory-budget), M 16
graph_bytes() { awk -v n="$1" -v t="$2" 'BEGIN { printf "%.0f", n * 139 + n * 4 * 17 / 14 + n * 2 * t + n * 20 + t * 1048576 }'; }
need_disk() {
	local avail
	avail=$(df -B1 --output=avail "$T" | tail -1)
	if [ "$avail" -lt "$1" ]; then
		echo "   skipped: needs $(($1 >> 20)) MiB of disk in $T, $((avail >> 20)) MiB free"
		return 1
	fi
}
# truth NAME BASE QUERY METRIC: exact top-10 of the queries -> $T/NAME.truth.npy
truth() {
	"$BIN" query --index "$T/$1-exact.idx" -q "$3" --exact -k 10 --format csv -t 2 >"$T/$1.truth.csv" || return 1
	$PY -c "
import numpy as np, sys
r = np.loadtxt(sys.argv[1], delimiter=',', skiprows=1, usecols=(0, 2), dtype=np.int64)
q = int(r[:, 0].max()) + 1
np.save(sys.argv[2], r[:, 1].reshape(q, 10).astype(np.int32))" "$T/$1.truth.csv" "$T/$1.truth.npy"
}
recall() { "$BIN" query --index "$1" -q "$2" --truth "$3" -k 10 --ef "$4" -t 1 --no-output 2>&1 | awk '/^recall@/ { print $2 }'; }

echo "annmem.sh: builds at scale and under --memory-budget (scale $SCALE; disk free $(df -h --output=avail "$T" | tail -1 | tr -d ' '), memory $(free -g | awk '/^Mem/ { print $2 }') GiB)"

case " $SETS " in *" big "*)
	n=$(scaled 10000000) d=96
	echo
	echo "== annmem big: $n x $d clustered, l2, M 16, ef_construction 100, 2 threads"
	if need_disk $((n * d * 4 * 2 + (1 << 30))); then
		$PY scripts/bench/annmem_gen.py "$T/big.npy" --n "$n" --dim $d --seed 1234 || exit 3
		echo "   loadavg before: $(load)"
		j=$("$BIN" build-index -i "$T/big.npy" -o "$T/big.idx" -t 2 --json -q) || { echo "   build failed"; exit 3; }
		g=$(graph_bytes "$n" 2)
		awk -v s="$(jf seconds "$j")" -v n="$n" -v r="$(jf peak_rss_bytes "$j")" -v a="$(jf anon_peak_bytes "$j")" -v g="$g" -v v=$((n * d * 4)) 'BEGIN {
			printf "   build: %.1f s, %.0f vectors/s\n", s, n / s
			printf "   peak RSS %.0f MiB (anonymous %.0f MiB) = %.2fx of vectors %.0f MiB + graph %.0f MiB (target <= 1.2x)\n",
				r / 1048576, a / 1048576, r / (v + g), v / 1048576, g / 1048576 }'
		echo "   loadavg after: $(load)"
		rm -f "$T/big.npy" "$T/big.idx"
	fi
;; esac

case " $SETS " in *" budget "*)
	n=$(scaled 1000000) d=768
	budget=$(awk -v s="$SCALE" 'BEGIN { printf "%d", 1073741824 * s }')
	echo
	echo "== annmem budget: $n x $d normalised, ip, M 16, ef_construction 100, 2 threads, --memory-budget $((budget >> 20))M"
	if need_disk $((n * d * 4 * 3 + (1 << 30))); then
		$PY scripts/bench/annmem_gen.py "$T/emb.npy" --n "$n" --dim $d --normalize --seed 4321 \
			--queries 100 --query-out "$T/embq.npy" || exit 3
		echo "   loadavg before: $(load)"
		j0=$("$BIN" build-index -i "$T/emb.npy" -o "$T/emb-exact.idx" --metric ip -t 2 --json -q) || exit 3
		truth emb "$T/emb.npy" "$T/embq.npy" ip || { echo "   truth failed"; exit 3; }
		j1=$("$BIN" build-index -i "$T/emb.npy" -o "$T/emb-budget.idx" --metric ip -t 2 --memory-budget "$budget" --json -q) || exit 3
		g=$(graph_bytes "$n" 2)
		for pair in "unbudgeted:$j0:emb-exact" "budget:$j1:emb-budget"; do
			lab=${pair%%:*} rest=${pair#*:}
			js=${rest%:*} idx=${rest##*:}
			r32=$(recall "$T/$idx.idx" "$T/embq.npy" "$T/emb.truth.npy" 32)
			r64=$(recall "$T/$idx.idx" "$T/embq.npy" "$T/emb.truth.npy" 64)
			awk -v l="$lab" -v s="$(jf seconds "$js")" -v n="$n" -v p="$(jf build_precision "$js")" -v r="$(jf peak_rss_bytes "$js")" \
				-v a="$(jf anon_peak_bytes "$js")" -v g="$g" -v r32="$r32" -v r64="$r64" 'BEGIN {
				printf "   %-10s %-4s build %.1f s (%.0f vec/s), peak RSS %.0f MiB, anonymous peak %.0f MiB (1 GiB-scaled + graph: %.0f MiB), recall@10 ef32 %s ef64 %s\n",
					l, p, s, n / s, r / 1048576, a / 1048576, '"$budget"' / 1048576 + g / 1048576, r32, r64 }'
		done
		# the model at 10M x 768: graph + sq8 codes (anonymous); the 30 GB
		# of float32 stay in the mapped input
		awk -v g="$(graph_bytes 10000000 2)" 'BEGIN {
			c = 10000000 * 768; v = c * 4
			printf "   RSS model 10M x 768, sq8: anonymous = graph %.2f GiB + codes %.2f GiB = %.2f GiB (float32 input %.1f GiB mapped, page cache)\n",
				g / 2^30, c / 2^30, (g + c) / 2^30, v / 2^30 }'
		echo "   loadavg after: $(load)"
	fi
;; esac
