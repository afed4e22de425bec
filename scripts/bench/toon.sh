#!/usr/bin/env bash
# toon.sh - sochdb-toon against jq, node and the reference TOON CLI on the
# same data in one run: MB/s of input (median of 5; the reference CLI
# runs once), peak RSS, ratios, and the token estimator's error against the
# real o200k_base tokenizer (gpt-tokenizer). Every timed run reads a file
# on stdin and writes to /dev/null, the same sink for every tool; the files
# the later steps need come from separate, untimed runs.
#
#   scripts/bench/toon.sh [RECORDS] [NESTED_MB]     (default 200000 20)
set -u
cd "$(dirname "$0")/../.." || exit 3
B=${SOCHDB_BUILD:-build}
TOON=$B/bin/sochdb-toon
D=$B/bench/toon
mkdir -p "$D"
peers=$(scripts/fetch-toon.sh peers) || exit 3
REF=$peers/node_modules/.bin/toon
n_rec=${1:-200000}
n_mb=${2:-20}
echo "== TOON benchmark ($(date -u +%F), loadavg $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores)"
[ -f "$D/records-$n_rec.json" ] || node scripts/bench/gen-toon-data.js records "$n_rec" "$D/records-$n_rec.json"
[ -f "$D/nested-$n_mb.json" ] || node scripts/bench/gen-toon-data.js nested "$n_mb" "$D/nested-$n_mb.json"

# run CMD < IN > OUT; prints "seconds rss_kb" (wall time from bash's
# microsecond clock: /usr/bin/time's own is in hundredths)
measure() {
	local in=$1 out=$2 t0 t1; shift 2
	t0=$EPOCHREALTIME
	/usr/bin/time -f '%M' -o "$D/time.txt" "$@" <"$in" >"$out" || { echo "FAILED: $*" >&2; echo "999 0"; return; }
	t1=$EPOCHREALTIME
	awk -v a="$t0" -v b="$t1" -v r="$(cat "$D/time.txt")" 'BEGIN { printf "%.4f %s\n", b - a, r }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
bytes() { stat -c %s "$1"; }
mbps() { awk -v b="$1" -v s="$2" 'BEGIN { if (s <= 0) s = 0.001; printf "%.1f", b / 1e6 / s }'; }

runs() { # label in out cmd... ; sets T (median s of 5) and R (max rss KB)
	local label=$1 in=$2 out=$3; shift 3
	local ts="" r=0 m
	for _ in 1 2 3 4 5; do
		m=$(measure "$in" "$out" "$@")
		ts="$ts ${m% *}"
		[ "${m#* }" -gt "$r" ] && r=${m#* }
	done
	T=$(printf '%s\n' $ts | median)
	R=$r
}

for set in records nested; do
	if [ $set = records ]; then J=$D/records-$n_rec.json; else J=$D/nested-$n_mb.json; fi
	jb=$(bytes "$J")
	echo
	echo "-- $set: $(awk -v b="$jb" 'BEGIN{printf "%.1f MB", b/1e6}') of JSON"
	"$TOON" encode <"$J" >"$D/$set.toon" || { echo "FAILED: encode $set" >&2; exit 1; }
	"$TOON" decode <"$D/$set.toon" >"$D/$set.back.json" || { echo "FAILED: decode $set" >&2; exit 1; }
	tb=$(bytes "$D/$set.toon")
	ob=$(bytes "$D/$set.back.json")
	runs ours-encode "$J" /dev/null "$TOON" encode
	enc_t=$T enc_r=$R
	runs ours-decode "$D/$set.toon" /dev/null "$TOON" decode
	dec_t=$T dec_r=$R
	runs jq "$J" /dev/null jq -c .
	jq_t=$T jq_r=$R
	runs node "$J" /dev/null node -e 'let d="";process.stdin.setEncoding("utf8");process.stdin.on("data",c=>d+=c).on("end",()=>process.stdout.write(JSON.stringify(JSON.parse(d))))'
	node_t=$T
	m=$(measure "$J" /dev/null "$REF" --encode); ref_enc_t=${m% *}
	m=$(measure "$D/$set.toon" /dev/null "$REF" --decode); ref_dec_t=${m% *}
	"$REF" --encode <"$J" >"$D/$set.ref.toon"
	jq_mbps=$(mbps "$jb" "$jq_t")
	printf '%-26s %9s MB/s %8s KB RSS\n' "sochdb-toon encode" "$(mbps "$jb" "$enc_t")" "$enc_r"
	printf '%-26s %9s MB/s %8s KB RSS\n' "sochdb-toon decode" "$(mbps "$tb" "$dec_t")" "$dec_r"
	printf '%-26s %9s MB/s %8s KB RSS\n' "jq -c ." "$jq_mbps" "$jq_r"
	printf '%-26s %9s MB/s\n' "node parse+stringify" "$(mbps "$jb" "$node_t")"
	printf '%-26s %9s MB/s\n' "reference CLI encode" "$(mbps "$jb" "$ref_enc_t")"
	printf '%-26s %9s MB/s\n' "reference CLI decode" "$(mbps "$tb" "$ref_dec_t")"
	awk -v e="$(mbps "$jb" "$enc_t")" -v d="$(mbps "$tb" "$dec_t")" -v j="$jq_mbps" \
	    -v re="$(mbps "$jb" "$ref_enc_t")" -v rd="$(mbps "$tb" "$ref_dec_t")" -v n="$(mbps "$jb" "$node_t")" 'BEGIN {
		printf "ratio %s: encode %.1fx jq, %.1fx node, %.1fx reference CLI; decode %.1fx jq, %.1fx reference CLI (target >= 10x jq)\n", "'$set'", e/j, e/n, e/re, d/j, d/rd }'
	# RSS bound: input + output + 16 MB
	awk -v r="$enc_r" -v i="$jb" -v o="$tb" 'BEGIN { l = (i + o) / 1024 + 16384; printf "rss %s encode: %d KB of %d KB allowed (%s)\n", "'$set'", r, l, r <= l ? "ok" : "OVER" }'
	awk -v r="$dec_r" -v i="$tb" -v o="$ob" 'BEGIN { l = (i + o) / 1024 + 16384; printf "rss %s decode: %d KB of %d KB allowed (%s)\n", "'$set'", r, l, r <= l ? "ok" : "OVER" }'
	cmp -s "$D/$set.ref.toon" <(cat "$D/$set.toon") && echo "output $set: byte-identical to the reference CLI's encode" ||
		echo "output $set: differs from the reference CLI (4.x follows a v4 draft; the oracle is 2.3.1)"
done

# token estimator against o200k_base on samples of both sets
echo
echo "-- token estimate vs o200k_base (gpt-tokenizer)"
head -c 3000000 "$D/records-$n_rec.json" | sed '$d' | sed '$ s/,$//' >"$D/sample-r.body"
{ echo '['; tail -n +2 "$D/sample-r.body"; echo ']'; } >"$D/sample-records.json"
head -c 3000000 "$D/nested-$n_mb.json" | sed '$d' | sed '$ s/,$//' >"$D/sample-n.body"
{ echo '['; tail -n +2 "$D/sample-n.body"; echo ']'; } >"$D/sample-nested.json"
for s in records nested; do
	f=$D/sample-$s.json
	"$TOON" stats "$f" >"$D/stats-$s.txt" || { echo "stats failed on $f"; continue; }
	"$TOON" encode "$f" -o "$D/sample-$s.toon"
	node -e '
		const fs = require("fs");
		const { countTokens } = require(process.argv[1] + "/node_modules/gpt-tokenizer/cjs/encoding/o200k_base.js");
		const v = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
		const real = {
			"json-pretty": countTokens(JSON.stringify(v, null, 2)),
			"json-compact": countTokens(JSON.stringify(v)),
			"toon": countTokens(fs.readFileSync(process.argv[3], "utf8")),
		};
		const est = {};
		for (const l of fs.readFileSync(process.argv[4], "utf8").split("\n")) {
			const m = l.match(/^\s+([a-z-]+),(\d+),(\d+),/); if (m) est[m[1]] = Number(m[3]);
		}
		for (const k of Object.keys(real)) {
			const err = 100 * (est[k] - real[k]) / real[k];
			console.log(`tokens ${process.argv[5]} ${k}: estimate ${est[k]} real ${real[k]} error ${err.toFixed(1)}%`);
		}
		const sv = (a, b) => (100 * (a - b) / a).toFixed(1);
		console.log(`savings ${process.argv[5]} (real tokens): toon vs compact JSON ${sv(real["json-compact"], real.toon)}%, vs pretty JSON ${sv(real["json-pretty"], real.toon)}%`);
	' "$peers" "$f" "$D/sample-$s.toon" "$D/stats-$s.txt" "$s"
done
