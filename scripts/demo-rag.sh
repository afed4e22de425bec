#!/usr/bin/env bash
# demo-rag.sh - the retrieval step of a RAG pipeline in sochdb-sql: a
# built-in sample of documents with embeddings goes into a table with a
# VECTOR column and an external-content FTS5 table, a question is answered
# by hybrid search (vector k-NN and BM25 fused by RRF), and the hits come
# out as TOON, ready to paste into a prompt. Called by scripts/demo.sh;
# runs alone too:
#   SOCHDB_BUILD=build scripts/demo-rag.sh ["QUESTION"]
# DEMO_RAG_KEEP=DIR keeps the documents (docs.jsonl), the question's
# vector and keywords (query.txt) and the TOON context there (the test
# t/2371-sql-rag-demo.bats checks the answer against them).
# The embeddings are made here, deterministically and without a network:
# feature hashing of each word and word pair (md5) into 64 signed
# dimensions, L2-normalised — a toy stand-in for a real embedding model,
# enough to make texts that share words close.
set -eu
cd "$(dirname "$0")/.."
B=${SOCHDB_BUILD:-build}
case $B in /*) PATH=$B/bin:$PATH ;; *) PATH=$PWD/$B/bin:$PATH ;; esac
command -v sochdb-sql >/dev/null || { echo "== sochdb-sql: not built (the RAG scene needs it)"; exit 0; }
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
W=$(mktemp -d "${TMPDIR:-/tmp}/sochdb-demo-rag.XXXXXX")
trap 'rm -rf "$W"' EXIT
export SOCHDB_DIR=$W/db
QUESTION=${1:-How do I keep a vector index fresh while documents change?}

if [ -t 1 ]; then
	say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
else
	say() { printf '\n$ %s\n' "$*"; }
fi

# embed.py docs OUT.jsonl | embed.py query TEXT (prints the vector, then the
# FTS5 query: the question's content words joined by OR)
cat >"$W/embed.py" <<'PY'
import hashlib, json, re, sys
D = 64
STOP = set("a an and are as at be by do does for from how i in is it of on or the to what when where which while who why with".split())
def words(t):
    return re.findall(r"[a-z0-9]+", t.lower())
def embed(t):
    v = [0.0] * D
    w = words(t)
    for f in w + [a + " " + b for a, b in zip(w, w[1:])]:
        h = hashlib.md5(f.encode()).digest()
        v[h[0] % D] += 1.0 if h[1] & 1 else -1.0
    n = sum(x * x for x in v) ** 0.5 or 1.0
    return [round(x / n, 6) for x in v]
DOCS = [
    ("HNSW indexes", "An HNSW index is a layered proximity graph: a query walks from the top layer down to its nearest neighbours in logarithmic time."),
    ("Keeping an index fresh", "New and changed documents go to a small delta that is searched exactly beside the index, deleted rows become tombstones, and a checkpoint folds the delta into a new index file, so a vector index stays fresh while writers keep going."),
    ("BM25 ranking", "BM25 ranks documents for a keyword query by term frequency, inverse document frequency and document length, with k1 = 1.2 and b = 0.75."),
    ("Reciprocal rank fusion", "Hybrid search fuses the vector ranking and the keyword ranking by reciprocal rank fusion: each list adds 1 / (60 + rank)."),
    ("Semantic cache", "A semantic cache stores an LLM answer with the embedding of its prompt and a time to live; a new prompt close enough in meaning gets the cached answer."),
    ("TOON for prompts", "TOON writes a table of uniform rows with its field names once, so query results cost fewer tokens in an LLM prompt than JSON."),
    ("Write-ahead log", "Every write goes to the write-ahead log first; a commit is durable once its record is synced, and recovery replays committed transactions."),
    ("Compaction", "Compaction merges sorted table files in the background without blocking writers; only the manifest switch takes the lock."),
    ("Metadata filters", "Metadata lives in a JSON column, and a filter such as metadata ->> 'lang' = 'en' applies to vector search and keyword search alike."),
    ("Time-travel graph", "The graph keeps every edge version with valid time and system time, so a query can ask what was true then and what was known then."),
]
if sys.argv[1] == "docs":
    with open(sys.argv[2], "w") as f:
        for i, (title, body) in enumerate(DOCS, 1):
            meta = {"topic": "search" if i <= 5 or i == 9 else "storage", "lang": "en"}
            f.write(json.dumps({"id": i, "title": title, "body": body, "metadata": meta,
                                "emb": embed(title + " " + body)}) + "\n")
else:
    q = sys.argv[2]
    print(json.dumps(embed(q)))
    print(" OR ".join(dict.fromkeys(w for w in words(q) if w not in STOP)))
PY
$PY "$W/embed.py" docs "$W/docs.jsonl"
$PY "$W/embed.py" query "$QUESTION" >"$W/query.txt"
{ read -r QVEC; read -r QTEXT; } <"$W/query.txt"

echo "== sochdb-sql: a RAG retrieval step — documents with embeddings, hybrid search, context as TOON"
say "sochdb-sql -c 'CREATE TABLE docs(id INTEGER PRIMARY KEY, title TEXT, body TEXT, metadata TEXT, emb VECTOR(64))' \\
    -c \"CREATE VIRTUAL TABLE docs_fts USING fts5(title, body, content = 'docs', content_rowid = 'id')\""
sochdb-sql -c 'CREATE TABLE docs(id INTEGER PRIMARY KEY, title TEXT, body TEXT, metadata TEXT, emb VECTOR(64))' \
	-c "CREATE VIRTUAL TABLE docs_fts USING fts5(title, body, content = 'docs', content_rowid = 'id')"
say "sochdb-sql -c '.import --jsonl docs.jsonl docs'      ($(wc -l <"$W/docs.jsonl") documents, 64-d hashed embeddings)"
sochdb-sql -c ".import --jsonl $W/docs.jsonl docs"
sochdb-sql --format table -c "SELECT id, title, metadata ->> 'topic' AS topic, vec_dims(emb) AS dims FROM docs"
echo
echo "question: $QUESTION"
echo "keywords: $QTEXT"
SQL="SELECT h.id, d.title, round(h.score, 6) AS score, h.vec_rank, h.text_rank, d.body
  FROM hybrid_search('docs', 'emb', vector(:q), 'docs_fts', :text, 3, 0.5, 60,
                     'metadata ->> ''topic'' = ''search''') AS h
  JOIN docs d ON d.id = h.id
 ORDER BY h.score DESC, h.id"
say "sochdb-sql --format toon --param q=\"\$(embed \"\$QUESTION\")\" --param text='$QTEXT' -c \"$SQL\""
sochdb-sql --format toon --param q="$QVEC" --param text="'$QTEXT'" -c "$SQL" >"$W/context.toon"
cat "$W/context.toon"
echo
echo "--- the prompt an LLM gets ---"
cat <<EOF
Answer the question from the context only (TOON: one row per document, best first).
context:
$(sed 's/^/  /' "$W/context.toon")
question: $QUESTION
EOF
if [ -n "${DEMO_RAG_KEEP:-}" ]; then
	cp "$W/docs.jsonl" "$W/query.txt" "$W/context.toon" "$DEMO_RAG_KEEP/"
fi
