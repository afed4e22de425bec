#!/usr/bin/env bash
# demo-bulk.sh - the sochdb-bulk part of the demo: generate 20,000 clustered
# 64-D embeddings, build an HNSW index with every core, describe it, query
# it, and measure recall against exact answers. Called by scripts/demo.sh;
# runs alone too:  SOCHDB_BUILD=build scripts/demo-bulk.sh
set -eu
cd "$(dirname "$0")/.."
B=${SOCHDB_BUILD:-build}
case $B in /*) BIN=$B/bin/sochdb-bulk ;; *) BIN=$PWD/$B/bin/sochdb-bulk ;; esac
W=$(mktemp -d "${TMPDIR:-/tmp}/sochdb-demo-bulk.XXXXXX")
trap 'rm -rf "$W"' EXIT

if [ -t 1 ]; then
	say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
else
	say() { printf '\n$ %s\n' "$*"; }
fi

echo "== sochdb-bulk: an HNSW vector index from a numpy file"
/usr/bin/python3 scripts/vecgen.py "$W/emb" --n 20000 --dim 64 --queries 100 --k 10 --seed 7
say "sochdb-bulk build-index -i emb.npy -o emb.hnsw --metric l2 -m 16 -e 100"
"$BIN" build-index -i "$W/emb.base.npy" -o "$W/emb.hnsw" --metric l2 -m 16 -e 100
say "sochdb-bulk info emb.hnsw"
"$BIN" info "$W/emb.hnsw"
say "sochdb-bulk query --index emb.hnsw -q queries.npy -k 3   (first 7 lines)"
"$BIN" query --index "$W/emb.hnsw" -q "$W/emb.query.npy" -k 3 >"$W/out.toon"
head -n 7 "$W/out.toon"
say "sochdb-bulk query --index emb.hnsw -q queries.npy -k 10 --ef 64 --truth truth.npy --no-output"
"$BIN" query --index "$W/emb.hnsw" -q "$W/emb.query.npy" -k 10 --ef 64 --truth "$W/emb.truth.npy" --no-output
say "sochdb-bulk convert -i emb.npy -o emb.fvecs && sochdb-bulk query ... --vector ... --format csv"
"$BIN" convert -i "$W/emb.base.npy" -o "$W/emb.fvecs"
v=$(/usr/bin/python3 -c "import numpy as np; print(','.join('%.5g' % x for x in np.load('$W/emb.base.npy')[123]))")
"$BIN" query --index "$W/emb.hnsw" --vector "$v" -k 3 --format csv
