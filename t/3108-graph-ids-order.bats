#!/usr/bin/env bats
# 3108-graph-ids-order: traverse --ids-only orders a node's neighbours on
# their own (by id alone, each once, without the edges' types and times)
# and must visit in the order the full records do: BFS and DFS, with
# filters, around hubs of hundreds of neighbours (the long lists' radix
# pass) whose ids share their first 8 bytes (ties settled on whole ids),
# parallel edges of every type and self-loops; batch (warmed) and single.

load test_helper

setup() {
	setup_db
	G=sochdb-graph
	cd "$BATS_TEST_TMPDIR"
}

# Two hubs with 300 neighbours each; ids "hub-neighbour-%05d" (one
# 13-byte prefix) and "n%d", edges of 3 types, repeated and looping.
gen() {
	/usr/bin/python3 - "$1" <<'EOF'
import json, random, sys
rnd = random.Random(int(sys.argv[1]))
ids = ["hub-neighbour-%05d" % rnd.randrange(100000) for _ in range(300)]
ids += ["n%d" % i for i in range(300)]
ids = sorted(set(ids))
rnd.shuffle(ids)
with open("g.jsonl", "w") as f:
    for i, x in enumerate(ids + ["hubA", "hubB"]):
        f.write(json.dumps({"id": x, "type": "t%d" % (i % 3), "props": {"k": i % 4}}) + "\n")
    def edge(a, b):
        f.write(json.dumps({"from": a, "type": rnd.choice(["x", "y", "z"]), "to": b}) + "\n")
    for h in ("hubA", "hubB"):
        for x in rnd.sample(ids, 300):
            edge(h, x)
            if rnd.random() < 0.3:
                edge(h, x)  # parallel, maybe another type
            if rnd.random() < 0.2:
                edge(x, h)
    for _ in range(1500):
        edge(rnd.choice(ids), rnd.choice(ids))
    for x in rnd.sample(ids, 20):
        edge(x, x)
    edge("hubA", "hubA")
    edge("hubA", "hubB")
with open("starts.txt", "w") as f:
    for s in ["hubA", "hubB"] + rnd.sample(ids, 30):
        f.write(s + "\n")
EOF
}

# start, id and depth of each node of jsonl records, in their order
order_of() {
	/usr/bin/python3 -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l)
    for nd in r["nodes"]:
        print(r.get("start", ""), nd["id"], nd["depth"])
'
}

@test "traverse --ids-only: the full records' visiting order, bfs and dfs, filters, hubs, batch and single" {
	gen 11
	run -0 $G load kg g.jsonl
	n=0
	for order in bfs dfs; do
		for f in "--max-depth 3" "--max-depth 3 --direction both" "--max-depth 3 --direction in" \
			"--max-depth 3 --edge-types x,z" "--max-depth 3 --node-types t0,t2" \
			"--max-depth 3 --where k=1 --direction both" "--max-depth 5"; do
			o="--order $order $f"
			$G traverse kg --stdin $o --format jsonl <starts.txt | order_of >full
			$G traverse kg --stdin $o --ids-only --format jsonl <starts.txt | order_of >ids
			diff full ids
			n=$((n + $(wc -l <full)))
			# one start alone (no warm): the same order
			for s in hubA hubB; do
				$G traverse kg "$s" $o --format jsonl | order_of >f1
				$G traverse kg "$s" $o --ids-only --format jsonl | order_of >i1
				diff f1 i1
				[ -s i1 ]
			done
		done
	done
	# the hubs' lists were long and mixed both id kinds
	$G traverse kg hubA --max-depth 1 --ids-only --format jsonl | order_of >h
	[ "$(wc -l <h)" -gt 250 ]
	grep -q ' hub-neighbour-' h
	grep -q ' n[0-9]' h
	[ "$n" -gt 5000 ]
}

@test "traverse --ids-only: a neighbour reached by parallel edges and a self-loop is listed once" {
	cat >g.jsonl <<'EOF'
{"id":"a","type":"t"}
{"id":"b","type":"t"}
{"from":"a","type":"x","to":"b"}
{"from":"a","type":"y","to":"b"}
{"from":"a","type":"x","to":"b","valid_from":5}
{"from":"a","type":"x","to":"a"}
{"from":"b","type":"z","to":"a"}
EOF
	run -0 $G load kg g.jsonl
	for order in bfs dfs; do
		run -0 $G traverse kg a --order $order --max-depth 3 --direction both --ids-only --format jsonl
		[ "$output" = '{"nodes":[{"id":"a","depth":0},{"id":"b","depth":1}]}' ]
	done
}
