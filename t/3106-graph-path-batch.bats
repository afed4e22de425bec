#!/usr/bin/env bats
# 3106-graph-path-batch: path --stdin (a lean walk: the batch keeps each
# node's neighbours as numbers only and reads the edges of a path found
# again, or takes them from the query's own expansions) gives, pair by
# pair, the same record as one path process per pair: the same nodes and
# the same edges with their types, times and properties, with edge-type
# filters, --direction in and both, parallel edges of several types and
# versions; --all-shortest and --weight batches likewise.

load test_helper

setup() {
	setup_db
	G=sochdb-graph
	cd "$BATS_TEST_TMPDIR"
}

# A seeded random multigraph: power-law targets (hubs that the batch's
# walks share), parallel edges of types a, b and c with properties, some
# relations with a second, older version; 60 pairs (some equal, most
# towards hubs).
gen() {
	/usr/bin/python3 - "$1" "$2" <<'EOF'
import json, random, sys
seed, n = int(sys.argv[1]), int(sys.argv[2])
rnd = random.Random(seed)
with open("g.jsonl", "w") as f:
    for i in range(n):
        f.write(json.dumps({"id": "v%d" % i, "type": "t", "props": {}}) + "\n")
    for k in range(n * 3):
        a, b = rnd.randrange(n), int(rnd.paretovariate(1.1)) % n
        t = rnd.choice("abc")
        f.write(json.dumps({"from": "v%d" % a, "type": t, "to": "v%d" % b,
                            "valid_from": 1000, "props": {"k": k, "w": rnd.randrange(1, 9)}}) + "\n")
        if k % 7 == 0:
            f.write(json.dumps({"from": "v%d" % a, "type": t, "to": "v%d" % b,
                                "valid_from": 500, "valid_until": 900, "props": {"k": -k}}) + "\n")
with open("pairs.tsv", "w") as f:
    for i in range(60):
        a = rnd.randrange(n)
        # mostly towards the hubs, which most nodes reach
        b = a if i % 20 == 0 else rnd.randrange(n) if i % 3 == 0 else int(rnd.paretovariate(1.1)) % n
        f.write("v%d\tv%d\n" % (a, b))
EOF
}

# compares the batch's records with one process per pair of ${P:-pairs.tsv}
# (the record without start/target), at least ${MIN:-20} of them found;
# $@: the path options
same_as_single() {
	"$G" path g --stdin --format jsonl "$@" <"${P:-pairs.tsv}" >batch.jsonl || [ "$?" -eq 1 ]
	: >single.jsonl
	while IFS=$'\t' read -r a b; do
		"$G" path g "$a" "$b" --format json "$@" >>single.jsonl || {
			rc=$?
			[ "$rc" -eq 1 ] || return 1
			echo '{"nodes":[],"edges":[],"length":null}' >>single.jsonl
		}
	done <"${P:-pairs.tsv}"
	MIN=${MIN:-20} /usr/bin/python3 - "$@" <<'EOF'
import json, os, sys
b = [json.loads(l) for l in open("batch.jsonl")]
s = [json.loads(l) for l in open("single.jsonl")]
assert len(b) == len(s) == 60, (len(b), len(s))
found = 0
for x, y in zip(b, s):
    x.pop("start"); x.pop("target")
    if "paths" in x:
        y = {"paths": y.get("paths", [])}
    assert x == y, (sys.argv[1:], x, y)
    found += bool(x.get("nodes") or x.get("paths"))
assert found >= int(os.environ["MIN"]), found
print(found, "of 60 found, every record the same")
EOF
}

@test "path --stdin: every record as one path process per pair (edges, types, times, props)" {
	gen 11 "$(scaled 400)"
	run "$G" load g g.jsonl --now 1500
	[ "$status" -eq 0 ]
	same_as_single
	same_as_single --edge-types a,c
	awk -F'\t' '{ print $2 "\t" $1 }' pairs.tsv >rpairs.tsv
	P=rpairs.tsv same_as_single --direction in
	same_as_single --direction both --edge-types b
	same_as_single --max-depth 3
}

@test "path --stdin: --all-shortest and --weight batches as one process per pair" {
	gen 12 "$(scaled 200)"
	run "$G" load g g.jsonl --now 1500
	[ "$status" -eq 0 ]
	same_as_single --all-shortest
	same_as_single --weight w
}

@test "path --stdin: --as-of walks the older versions, as one process per pair" {
	gen 13 "$(scaled 300)"
	run "$G" load g g.jsonl --now 1500
	[ "$status" -eq 0 ]
	MIN=3 same_as_single --as-of 600 --direction both
	# every edge of a path at 600 is an older version (k <= 0)
	/usr/bin/python3 -c '
import json
n = 0
for l in open("batch.jsonl"):
    for e in json.loads(l)["edges"]:
        assert e["props"]["k"] <= 0 and e["valid_until"] == 900, e
        n += 1
assert n > 0'
}
