#!/usr/bin/env bats
# 6006-bulk-reach: B9 — `query -k N` on an N-vector index returns exactly N
# rows per query and finds every node, on small indexes whose graphs cut
# nodes off before the build's connectivity repair: identical vectors,
# duplicates, tight clusters, random points; several M, seeds and threads.

load test_helper

PY=/usr/bin/python3

setup_file() {
	D=$BATS_FILE_TMPDIR
	$PY - "$D" <<'EOF'
import sys
import numpy as np
d = sys.argv[1]
for n in (2, 3, 7, 20, 50):
    rng = np.random.default_rng(n)
    x = {
        "ident": np.ones((n, 4)),
        "dup": rng.normal(size=((n + 2) // 3, 4))[np.arange(n) // 3],
        "clust": rng.normal(size=(3, 4))[np.arange(n) % 3] * 10 + rng.normal(size=(n, 4)) * 0.01,
        "gauss": rng.normal(size=(n, 4)),
    }
    for k, v in x.items():
        np.save(f"{d}/{k}{n}.npy", v.astype(np.float32))
EOF
}

# check_all FILE N: every query has ranks 1..N and N distinct ids 0..N-1
check_all() {
	$PY - "$1" "$2" <<'EOF'
import sys
rows = open(sys.argv[1]).read().split("\n")
n = int(sys.argv[2])
assert rows[0] == "query,rank,id,distance", rows[0]
got = {}
for r in rows[1:]:
    if r:
        q, rank, i, _ = r.split(",")
        got.setdefault(int(q), []).append((int(rank), int(i)))
assert sorted(got) == list(range(n)), f"queries {sorted(got)}"
for q, l in got.items():
    assert [r for r, _ in l] == list(range(1, n + 1)), f"query {q}: ranks {l}"
    assert sorted(i for _, i in l) == list(range(n)), f"query {q}: ids {sorted(i for _, i in l)}"
EOF
}

@test "query -k N returns N rows and every node, whatever the shape of the data" {
	D=$BATS_FILE_TMPDIR
	for kind in ident dup clust gauss; do
		for n in 2 3 7 20 50; do
			for m in 2 3 8; do
				for seed in 1 2; do
					t=$((seed % 2 + 1))
					run -0 sochdb-bulk build-index -i "$D/$kind$n.npy" -o "$D/x.idx" -m $m -e 10 --seed $seed -t $t --quiet
					run -0 --separate-stderr sochdb-bulk query --index "$D/x.idx" -q "$D/$kind$n.npy" -k $n --ef $n --format csv -t 1
					printf '%s\n' "$output" >"$D/out.csv"
					run -0 check_all "$D/out.csv" $n
				done
			done
		done
	done
}

@test "the repair is reported: --telemetry and --json count the relinked nodes" {
	D=$BATS_FILE_TMPDIR
	run -0 --separate-stderr sochdb-bulk build-index -i "$D/ident50.npy" -o "$D/r.idx" -m 2 -e 10 -t 1 --telemetry --json
	[[ "$stderr" =~ \;\ [0-9]+\ distances\ per\ vector\;\ ([0-9]+)\ nodes\ relinked$ ]] || fail "telemetry: $stderr"
	n=${BASH_REMATCH[1]}
	[ "$n" -gt 0 ] || fail "50 identical vectors at M 2 cut nodes off; relinked $n"
	[[ "$output" == *"\"relinked_nodes\":$n}" ]] || fail "json: $output"
	# a well-spread set needs no repair
	run -0 --separate-stderr sochdb-bulk build-index -i "$D/gauss20.npy" -o "$D/r.idx" -t 1 --telemetry
	[[ "$stderr" == *"; 0 nodes relinked" ]] || fail "telemetry: $stderr"
}

@test "query --exact and the graph agree on a repaired index at k = N" {
	D=$BATS_FILE_TMPDIR
	run -0 sochdb-bulk build-index -i "$D/dup50.npy" -o "$D/e.idx" -m 2 -e 10 -t 1 --quiet
	run -0 sochdb-bulk query --index "$D/e.idx" -q "$D/dup50.npy" -k 50 --exact --format csv
	printf '%s\n' "$output" | cut -d, -f1,4 | sort >"$D/exact"
	run -0 sochdb-bulk query --index "$D/e.idx" -q "$D/dup50.npy" -k 50 --format csv
	printf '%s\n' "$output" | cut -d, -f1,4 | sort >"$D/graph"
	run -0 cmp "$D/exact" "$D/graph"
}
