#!/usr/bin/env bats
# 3105-graph-ids-batch: traverse --stdin --ids-only (the batch form whose
# records go straight to the output and whose node texts are cached per
# walk, short ones in their cache entry, long ones beside) gives the ids
# and depths of the full records, in every format, for short, long and
# escaped ids, and the same nodes as one traversal per start.

load test_helper

setup() {
	setup_db
	G=sochdb-graph
	cd "$BATS_TEST_TMPDIR"
}

# A seeded random multigraph: ids short ("v7"), long (40+ bytes) and with
# characters JSON and TSV escape; 40 start ids (a batch warms from 16 on).
gen() {
	/usr/bin/python3 - "$1" "$2" <<'EOF'
import json, random, sys
seed, n = int(sys.argv[1]), int(sys.argv[2])
rnd = random.Random(seed)
def nid(i):
    k = i % 3
    if k == 0:
        return "v%d" % i
    if k == 1:
        return "long-node-identifier-%04d-%s" % (i, "x" * 24)
    return 'q"\\\t\u00e9%d' % i
with open("g.jsonl", "w") as f:
    for i in range(n):
        f.write(json.dumps({"id": nid(i), "type": "t%d" % (i % 2), "props": {"r": i}}) + "\n")
    for _ in range(n * 4):
        a, b = rnd.randrange(n), int(rnd.paretovariate(1.2)) % n
        f.write(json.dumps({"from": nid(a), "type": rnd.choice("ab"), "to": nid(b)}) + "\n")
starts = [nid(i) for i in rnd.sample(range(n), 40)]
with open("starts.txt", "w") as f:  # TSV-escaped, as --stdin reads them
    for s in starts:
        f.write(s.replace("\\", "\\\\").replace("\t", "\\t") + "\n")
with open("starts.args", "w") as f:  # NUL-separated, as arguments
    for s in starts:
        f.write(s + "\0")
EOF
}

# start, id and depth lines of json/jsonl batch records
pairs() {
	/usr/bin/python3 -c '
import json, sys
t = sys.stdin.read()
recs = json.loads(t) if sys.argv[1] == "json" else [json.loads(l) for l in t.splitlines()]
for r in recs:
    for nd in r["nodes"]:
        print(json.dumps([r["start"], nd["id"], nd["depth"]]))
' "$1"
}

@test "traverse --stdin --ids-only: the full records' ids and depths in json, jsonl, tsv and toon" {
	n=$(scaled 300)
	gen 7 "$n"
	run -0 $G load kg g.jsonl
	for dir in out both; do
		o="--order bfs --max-depth 3 --direction $dir"
		$G traverse kg --stdin $o --format jsonl <starts.txt | pairs jsonl >full
		[ "$(wc -l <full)" -gt 100 ]
		grep -q long-node-identifier full
		$G traverse kg --stdin $o --ids-only --format jsonl <starts.txt >ids.jsonl
		pairs jsonl <ids.jsonl >ids
		diff full ids
		# no edges in --ids-only records, one record a start
		[ "$(wc -l <ids.jsonl)" -eq 40 ]
		! grep -q '"edges"' ids.jsonl
		$G traverse kg --stdin $o --ids-only --format json <starts.txt | pairs json >ids2
		diff full ids2
		# tsv: start, "node", id, depth (escaped), as the full records' node lines
		$G traverse kg --stdin $o --format tsv <starts.txt | awk -F'\t' '$2 == "node" { print $1 "\t" $3 "\t" $NF }' >full.tsv
		$G traverse kg --stdin $o --ids-only --format tsv <starts.txt | awk -F'\t' '{ print $1 "\t" $3 "\t" $4 }' >ids.tsv
		diff full.tsv ids.tsv
		# toon is what sochdb-toon encode --fold-rows makes of the json
		$G traverse kg --stdin $o --ids-only --format json <starts.txt | sochdb-toon encode --fold-rows >want.toon
		$G traverse kg --stdin $o --ids-only --format toon <starts.txt >got.toon
		diff want.toon got.toon
		# one traversal per start: the same nodes as the batch's record
		i=0
		while IFS= read -r -d '' s; do
			i=$((i + 1))
			[ $i -le 6 ] || break
			$G traverse kg "$s" $o --ids-only --format json |
				/usr/bin/python3 -c 'import json, sys; s = sys.argv[1]; print("\n".join(json.dumps([s, n["id"], n["depth"]]) for n in json.load(sys.stdin)["nodes"]))' "$s" >one
			grep -F -x -f one ids >both
			diff one both
			[ "$(wc -l <one)" -eq "$(/usr/bin/python3 -c 'import json, sys; s = sys.argv[1]; print(sum(1 for l in open("ids") if json.loads(l)[0] == s))' "$s")" ]
		done <starts.args
	done
}

@test "traverse --stdin --ids-only: an unknown start among known ones: exit 1, an empty record, the others answered" {
	gen 3 60
	run -0 $G load kg g.jsonl
	{ head -n 20 starts.txt; echo nosuchnode; tail -n 20 starts.txt; } >s2
	run -1 $G traverse kg --stdin --ids-only --max-depth 2 --format jsonl <s2
	[ "${#lines[@]}" -eq 41 ]
	[ "${lines[20]}" = '{"start":"nosuchnode","nodes":[]}' ]
	$G traverse kg --stdin --ids-only --max-depth 2 --format jsonl <starts.txt >all
	diff <(printf '%s\n' "${lines[@]:0:20}" "${lines[@]:21}") all
}
