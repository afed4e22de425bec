#!/usr/bin/env bash
# demo.sh - the main jobs on built-in sample data (called by `make demo`).
# Runs the TOON demo here, then every scripts/demo-*.sh the other tools add.
set -eu
cd "$(dirname "$0")/.."
B=${SOCHDB_BUILD:-build}
export PATH=$PWD/$B/bin:$PATH
W=$(mktemp -d "${TMPDIR:-/tmp}/sochdb-demo.XXXXXX")
trap 'rm -rf "$W"' EXIT

echo "== sochdb-toon: JSON for an LLM prompt, in fewer tokens"
cat >"$W/team.json" <<'JSON'
{"team":"search","updated":"2026-11-21",
 "members":[{"id":1,"name":"Alice","role":"lead","tz":"UTC+1"},
            {"id":2,"name":"Bob","role":"engineer","tz":"UTC-5"},
            {"id":3,"name":"Chen Wei","role":"engineer","tz":"UTC+8"}],
 "tags":["vector","hnsw","toon"],
 "budget":{"quarter":"Q4","eur":125000.5}}
JSON
echo "\$ sochdb-toon encode team.json"
sochdb-toon encode "$W/team.json" | tee "$W/team.toon"
echo
echo "\$ sochdb-toon decode team.toon   (back to JSON, losslessly)"
sochdb-toon decode "$W/team.toon"
echo
echo "\$ sochdb-toon stats team.json"
sochdb-toon stats "$W/team.json"
echo
echo "\$ sochdb-toon encode --delimiter tab --key-folding safe"
sochdb-toon encode --delimiter tab --key-folding safe "$W/team.json"
echo
for d in scripts/demo-*.sh; do
	[ -f "$d" ] || continue
	bash "$d"
	echo
done
