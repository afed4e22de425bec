#!/usr/bin/env bash
# demo-graph.sh - the sochdb-graph part of the demo: a small knowledge
# graph with two clocks, and the time-travel question "who led project
# Apollo on 2024-03-01, and what did we know about it on 2024-02-01?".
# Called by scripts/demo.sh; runs alone too:
#   SOCHDB_BUILD=build scripts/demo-graph.sh
set -eu
cd "$(dirname "$0")/.."
B=${SOCHDB_BUILD:-build}
case $B in /*) PATH=$B/bin:$PATH ;; *) PATH=$PWD/$B/bin:$PATH ;; esac
W=$(mktemp -d "${TMPDIR:-/tmp}/sochdb-demo-graph.XXXXXX")
trap 'rm -rf "$W"' EXIT
export SOCHDB_DIR=$W/db

if [ -t 1 ]; then
	say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
else
	say() { printf '\n$ %s\n' "$*"; }
fi

echo "== sochdb-graph: a knowledge graph that remembers when it learned things"
say "sochdb-graph load kg people.jsonl   (people, a project, who works on what)"
cat >"$W/people.jsonl" <<'JSONL'
{"id":"alice","type":"person","props":{"name":"Alice","role":"engineer"},"valid_from":0}
{"id":"bob","type":"person","props":{"name":"Bob","role":"engineer"},"valid_from":0}
{"id":"carol","type":"person","props":{"name":"Carol","role":"manager"},"valid_from":0}
{"id":"apollo","type":"project","props":{"title":"Apollo"},"valid_from":0}
{"from":"alice","type":"works_on","to":"apollo","valid_from":0}
{"from":"bob","type":"works_on","to":"apollo","valid_from":0}
{"from":"carol","type":"manages","to":"bob","valid_from":0}
JSONL
sochdb-graph load kg "$W/people.jsonl" --now 2024-01-01
say "sochdb-graph add-edge kg alice leads apollo --valid-from 2024-01-10 --now 2024-01-10"
sochdb-graph add-edge kg alice leads apollo --valid-from 2024-01-10 --now 2024-01-10
echo "(on 2024-02-20 we learn that Bob took over on 2024-02-15)"
say "sochdb-graph end-edge kg alice leads apollo --at 2024-02-15 --now 2024-02-20"
sochdb-graph end-edge kg alice leads apollo --at 2024-02-15 --now 2024-02-20
say "sochdb-graph add-edge kg bob leads apollo --valid-from 2024-02-15 --now 2024-02-20"
sochdb-graph add-edge kg bob leads apollo --valid-from 2024-02-15 --now 2024-02-20

say "sochdb-graph neighbors kg apollo --direction in --edge-types leads --as-of 2024-03-01"
echo "(who led Apollo on 2024-03-01?)"
sochdb-graph neighbors kg apollo --direction in --edge-types leads --as-of 2024-03-01
say "... --as-of 2024-03-01 --known-at 2024-02-01"
echo "(and what did we believe about that on 2024-02-01?)"
sochdb-graph neighbors kg apollo --direction in --edge-types leads --as-of 2024-03-01 --known-at 2024-02-01
say "sochdb-graph history kg alice leads apollo --format tsv"
sochdb-graph history kg alice leads apollo --format tsv

say "sochdb-graph traverse kg carol --max-depth 2 --format json"
sochdb-graph traverse kg carol --max-depth 2 --format json
say "sochdb-graph path kg carol apollo"
sochdb-graph path kg carol apollo
say "sochdb-graph stats kg"
sochdb-graph stats kg
