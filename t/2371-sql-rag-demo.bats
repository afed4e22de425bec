#!/usr/bin/env bats
# 2371-sql-rag-demo: the RAG scene of `make demo` (scripts/demo-rag.sh):
# its output has the shape promised (the table of documents, the question
# and keywords, a TOON table of three hits, the prompt that embeds it) and
# its hits are the right ones: recomputed here from the documents and the
# query vector it keeps (DEMO_RAG_KEEP) with numpy cosine distances for
# the vector ranks, python's sqlite3 FTS5 for the keyword ranks, the same
# metadata filter, and RRF (0.5 / (60 + rank) from each list).

load test_helper

PY=/usr/bin/python3

setup() {
	[ -x "$BUILD/bin/sochdb-sql" ] || skip "sochdb-sql is not built"
	$PY -c 'import numpy' 2>/dev/null || skip "python3-numpy missing (scripts/install-deps.sh test)"
	K=$BATS_TEST_TMPDIR/keep
	mkdir -p "$K"
}

# check_hits: the kept TOON context decoded, against the recomputation
check_hits() {
	run -0 sochdb-toon decode "$K/context.toon"
	printf '%s\n' "$output" >"$K/context.json"
	run -0 $PY - "$K" <<'EOF'
import json, sqlite3, sys
import numpy as np
k = sys.argv[1]
docs = [json.loads(l) for l in open(k + "/docs.jsonl")]
qvec, qtext = open(k + "/query.txt").read().splitlines()
q = np.array(json.loads(qvec), dtype=np.float32).astype(np.float64)
keep = {d["id"] for d in docs if d["metadata"]["topic"] == "search"}
x = {d["id"]: np.array(d["emb"], dtype=np.float32).astype(np.float64) for d in docs}
dist = sorted((1 - (x[i] @ q) / np.sqrt((x[i] @ x[i]) * (q @ q)), i) for i in keep)
vr = {i: r + 1 for r, (_, i) in enumerate(dist[:3])}
db = sqlite3.connect(":memory:")
db.execute("CREATE VIRTUAL TABLE f USING fts5(title, body)")
db.executemany("INSERT INTO f(rowid, title, body) VALUES(?, ?, ?)", [(d["id"], d["title"], d["body"]) for d in docs])
t = [r[0] for r in db.execute("SELECT rowid FROM f WHERE f MATCH ? AND rowid IN (%s) ORDER BY rank, rowid LIMIT 3"
                              % ",".join(map(str, keep)), (qtext,))]
tr = {i: r + 1 for r, i in enumerate(t)}
fused = sorted((-(0.5 / (60 + vr[i]) if i in vr else 0) - (0.5 / (60 + tr[i]) if i in tr else 0), i) for i in set(vr) | set(tr))[:3]
got = json.load(open(k + "/context.json"))
assert [g["id"] for g in got] == [i for _, i in fused], (got, fused)
title = {d["id"]: d for d in docs}
for g, (s, i) in zip(got, fused):
    assert abs(g["score"] - round(-s, 6)) < 1e-9, (g, -s)
    assert g["vec_rank"] == vr.get(i) and g["text_rank"] == tr.get(i), (g, vr, tr)
    assert g["title"] == title[i]["title"] and g["body"] == title[i]["body"]
print("top", got[0]["title"])
EOF
}

@test "demo-rag: the default question finds the document on keeping an index fresh; output shape" {
	DEMO_RAG_KEEP=$K run -0 --separate-stderr "$TOP/scripts/demo-rag.sh"
	[ -z "$stderr" ] || fail "stderr: $stderr"
	assert_line --index 0 '== sochdb-sql: a RAG retrieval step — documents with embeddings, hybrid search, context as TOON'
	assert_line --regexp '^\| 10 +\| Time-travel graph +\| storage +\| 64 +\|$'
	assert_line 'question: How do I keep a vector index fresh while documents change?'
	assert_line 'keywords: keep OR vector OR index OR fresh OR documents OR change'
	assert_line '[3]{id,title,score,vec_rank,text_rank,body}:'
	assert_line '--- the prompt an LLM gets ---'
	assert_line 'context:'
	assert_line '  [3]{id,title,score,vec_rank,text_rank,body}:'
	assert_line --regexp '^  2,Keeping an index fresh,0\.016393,1,1,"New and changed documents'
	[ "${lines[${#lines[@]}-1]}" = 'question: How do I keep a vector index fresh while documents change?' ]
	# the context in the prompt is the TOON table, indented under context:
	run -0 diff <(sed 's/^/  /' "$K/context.toon") <(sed -n '/^context:$/,/^question:/p' <<<"$output" | sed '1d;$d')
	check_hits
	assert_output "top Keeping an index fresh"
}

@test "demo-rag: another question, other hits, the same checks; storage documents are filtered out" {
	DEMO_RAG_KEEP=$K run -0 "$TOP/scripts/demo-rag.sh" "What does a semantic cache store for a prompt?"
	assert_line 'keywords: semantic OR cache OR store OR prompt'
	check_hits
	assert_output "top Semantic cache"
	# "TOON for prompts" shares words with the question but is a storage document
	run -1 grep -c 'TOON for prompts' "$K/context.toon"
}
