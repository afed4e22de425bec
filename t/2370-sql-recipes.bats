#!/usr/bin/env bats
# 2370-sql-recipes: the RECIPES section of man/sochdb-sql.1 run verbatim.
# Each SQL block between the page's `.\" recipe NAME` and `.\" end recipe`
# comments is taken from the page (roff escapes undone) and run through
# sochdb-sql with --param values; the answers are checked against
# t/helpers/recipes_oracle.py (numpy brute force, python's sqlite3 FTS5
# for keyword ranks, RRF computed there): a collection of documents with
# text, JSON metadata and 384-d embeddings (insert, import, search,
# filter, keyword, hybrid, update, delete) and a semantic cache (put as
# an upsert, get with a threshold and a TTL, expiry by DELETE).

load test_helper

PY=/usr/bin/python3

# recipe NAME: the SQL of the man page's block NAME, as a reader would type it
recipe() {
	local s
	s=$(awk -v n="$1" '$0 == ".\\\" recipe " n { on = 1; next }
		on && /^\.\\" end recipe/ { exit }
		on && !/^\.(nf|fi)$/ { print }' "$TOP/man/sochdb-sql.1" |
		sed -e 's/\\(aq/'"'"'/g' -e 's/\\-/-/g' -e 's/\\&//g' -e 's/\\e/\\/g')
	[ -n "$s" ] || { echo "man/sochdb-sql.1 has no recipe '$1'" >&2; return 1; }
	printf '%s\n' "$s"
}

# the collection's size: 600 rows scaled, never fewer (the filters' k
# rows must match at every STRESS_SCALE)
ndocs() { local n; n=$(scaled 600); [ "$n" -ge 600 ] || n=600; echo "$n"; }

oracle() { $PY "$TOP/t/helpers/recipes_oracle.py" "$@"; }
vec() { oracle vec "$F" "$1"; }

setup_file() {
	[ -x "$BUILD/bin/sochdb-sql" ] || return 0
	$PY -c 'import numpy' 2>/dev/null || return 0
	F=$BATS_FILE_TMPDIR
	oracle gen "$F" "$(ndocs)"
	(cd "$F" && sochdb-sql -d db --bail -c "$(recipe collection-create)" -c "$(recipe collection-import)")
}

setup() { numpy_setup; }

# search DB QI [CAT YEAR [STATE [MIN_RECALL]]]: the search (or filter)
# recipe for query QI, checked against the oracle's brute force over the
# same rows (exactly, or at MIN_RECALL for the graph path)
search() {
	local db=$1 qi=$2 cat=${3:-} year=${4:-} state=${5:-} mr=${6:-}
	if [ -n "$cat" ]; then
		run -0 sochdb-sql -d "$db" --no-header --param q="$(vec "q$qi")" --param k=10 \
			--param cat="'$cat'" --param year="$year" -c "$(recipe collection-filter)"
	else
		run -0 sochdb-sql -d "$db" --no-header --param q="$(vec "q$qi")" --param k=10 \
			-c "$(recipe collection-search)"
	fi
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/got"
	run -0 oracle check-knn "$F" "$qi" 10 "$BATS_TEST_TMPDIR/got" $cat $year ${state:+--state "$state"} ${mr:+--min-recall "$mr"}
	assert_output "ok 10 rows"
}

@test "recipes: every block the tests run is in the man page; the collection loads from JSON lines" {
	for r in collection-create collection-insert collection-import collection-search collection-filter collection-index \
		collection-keyword collection-hybrid collection-update collection-delete collection-delete-where \
		cache-create cache-put cache-get cache-expire; do
		recipe "$r" >/dev/null
	done
	run -0 sochdb-sql -d "$F/db" --no-header -c "SELECT count(*), count(emb), sum(json_valid(metadata)) FROM docs"
	n=$(ndocs)
	assert_output "$(printf '%s\t%s\t%s' "$n" "$n" "$n")"
	run -0 sochdb-sql -d "$F/db" --no-header -c "EXPLAIN QUERY PLAN $(recipe collection-search)" --param k=3 --param q="$(vec q0)"
	assert_output --partial 'SCAN docs (exact k-NN)'
}

@test "recipes: search and metadata filter return the k nearest rows numpy finds" {
	for qi in 0 1 2 3; do
		search "$F/db" "$qi"
		search "$F/db" "$qi" news 2020
		search "$F/db" "$qi" food 2024
	done
}

@test "recipes: with the HNSW index the same statements use it; answers still agree with numpy" {
	cp -a "$F/db" "$D"
	run -0 sochdb-sql -d "$D" -c "$(recipe collection-index)"
	run -0 sochdb-sql -d "$D" --no-header -c "EXPLAIN QUERY PLAN $(recipe collection-search)" --param k=10 --param q="$(vec q0)"
	assert_output --partial 'SEARCH docs USING HNSW INDEX docs_emb'
	for qi in 0 1 2 3; do
		search "$D" "$qi" "" "" "" 0.9
		# a selective filter: exact over the rows that pass it
		search "$D" "$qi" news 2020
	done
}

@test "recipes: keyword and hybrid search agree with FTS5 ranks fused by RRF" {
	for words in "vector OR hybrid" "search cache" "doc17 OR doc42 OR rank" "semantic"; do
		for qi in 0 1; do
			run -0 sochdb-sql -d "$F/db" --no-header --param q="$(vec "q$qi")" --param words="'$words'" \
				--param k=10 -c "$(recipe collection-hybrid)"
			printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/got"
			run -0 oracle hybrid "$F" "$qi" "$words" 10 "$BATS_TEST_TMPDIR/got"
			assert_output --partial "ok 10 rows"
		done
	done
	run -0 sochdb-sql -d "$F/db" --no-header --param words="'doc42'" --param k=10 -c "$(recipe collection-keyword)"
	assert_output "42	$(sed -n 42p "$F/docs.jsonl" | $PY -c 'import json,sys; print(json.load(sys.stdin)["text"])')"
}

@test "recipes: insert, update and delete keep search, filter and the FTS table right" {
	cp -a "$F/db" "$D"
	st=$BATS_TEST_TMPDIR/state.json
	run -0 sochdb-sql -d "$D" --param id=100001 --param text="'quokka zebra arrives'" \
		--param metadata="'{\"cat\": \"news\", \"year\": 2025}'" --param emb="$(vec q4)" -c "$(recipe collection-insert)"
	run -0 sochdb-sql -d "$D" --param id=5 --param text="'platypus wombat'" --param year=2030 \
		--param emb="$(vec q5)" -c "$(recipe collection-update)"
	run -0 sochdb-sql -d "$D" --param id=7 -c "$(recipe collection-delete)"
	echo '{"inserted": {"100001": {"qi": 4, "cat": "news", "year": 2025, "text": "quokka zebra arrives"}},
		"updated": {"5": {"qi": 5, "year": 2030, "text": "platypus wombat"}}, "deleted": [7]}' >"$st"
	run -0 sochdb-sql -d "$D" --no-header -c "SELECT id, metadata ->> 'year', vec_distance_cosine(emb, '$(vec q5)') < 1e-6 FROM docs WHERE id IN (5, 7, 100001)"
	assert_output "$(printf '5\t2030\t1\n100001\t2025\t0')"
	for qi in 4 5 0; do
		search "$D" "$qi" "" "" "$st"
		search "$D" "$qi" news 2020 "$st"
	done
	run -0 sochdb-sql -d "$D" --no-header --param q="$(vec q4)" --param k=1 -c "$(recipe collection-search)"
	assert_output --regexp '^100001	quokka zebra arrives	'
	kw() { run -0 sochdb-sql -d "$D" --no-header --param words="'$1'" --param k=10 -c "$(recipe collection-keyword)"; }
	kw platypus; assert_output "5	platypus wombat"
	kw quokka; assert_output "100001	quokka zebra arrives"
	kw doc5; assert_output ""
	kw doc7; assert_output ""
	kw doc8; assert_output --regexp '^8	'
	# delete by metadata: RETURNING names exactly the rows numpy's side has in that category
	run -0 sochdb-sql -d "$D" --no-header --param cat="'food'" -c "$(recipe collection-delete-where)"
	printf '%s\n' "$output" | sort -n >"$BATS_TEST_TMPDIR/deleted"
	oracle knn "$F" 0 1000000 food 0 --state "$st" | sort -n >"$BATS_TEST_TMPDIR/want"
	[ -s "$BATS_TEST_TMPDIR/want" ]
	run -0 diff "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/deleted"
	$PY -c 'import json,sys; s=json.load(open(sys.argv[1])); s["deleted_cats"]=["food"]; json.dump(s, open(sys.argv[1], "w"))' "$st"
	search "$D" 1 "" "" "$st"
	search "$D" 2 news 2018 "$st"
	run -0 sochdb-sql -d "$D" --no-header --param q="$(vec q1)" --param k=10 --param cat="'food'" --param year=0 \
		-c "$(recipe collection-filter)"
	assert_output ""
	run -0 sochdb-sql -d "$D" --no-header -c "SELECT count(*) FROM docs_fts WHERE docs_fts MATCH 'doc8 OR doc9 OR doc10 OR doc11 OR doc12' AND rowid NOT IN (SELECT id FROM docs)"
	assert_output 0
}

@test "recipes: semantic cache put (upsert), get within a threshold, TTL and expiry" {
	run -0 sochdb-sql -d "$D" -c "$(recipe cache-create)"
	put() { run -0 sochdb-sql -d "$D" --param prompt="'$1'" --param emb="$(vec "$2")" --param answer="'$3'" \
		--param ttl="$4" -c "$(recipe cache-put)"; }
	get() { run -0 sochdb-sql -d "$D" --no-header --param q="$(vec "$1")" --param threshold="$2" -c "$(recipe cache-get)"; }
	put 'what is hnsw' c0 'a graph index' 3600
	put 'what is bm25' c1 'a ranking function' 3600
	put 'what is rrf' c2 'rank fusion' 3600
	# (not $i: bats' run sets i)
	for e in 0 1 2; do
		want=$(oracle dist "$F" "c$e" "near$e")
		awk -v d="$want" 'BEGIN { exit !(d < 0.1) }'
		get "near$e" 0.1
		a=$(cut -f1 <<<"$output"); d=$(cut -f2 <<<"$output")
		case $e in 0) [ "$a" = 'a graph index' ] ;; 1) [ "$a" = 'a ranking function' ] ;; 2) [ "$a" = 'rank fusion' ] ;; esac
		awk -v a="$d" -v b="$want" 'BEGIN { exit !((a - b) < 1e-5 && (b - a) < 1e-5) }' || fail "distance $d, numpy $want"
	done
	# mid0 is at cosine distance 0.1425 of c0: a miss at 0.1, a hit at 0.2
	run -0 oracle dist "$F" c0 mid0
	assert_output --regexp '^0\.142'
	get mid0 0.1; assert_output ""
	get mid0 0.2; assert_output --regexp '^a graph index	0\.142'
	get far 0.1; assert_output ""
	# put again: the same prompt's answer is replaced, no second entry
	put 'what is hnsw' c0 'hierarchical navigable small world graphs' 3600
	run -0 sochdb-sql -d "$D" --no-header -c "SELECT count(*) FROM cache"
	assert_output 3
	get near0 0.1; assert_output --regexp '^hierarchical navigable small world graphs	'
	# a TTL of 0 expires at once; a TTL of 1 second has passed after 2
	put 'what is rrf' c2 'rank fusion' 0
	put 'what is bm25' c1 'a ranking function' 1
	sleep 2
	get near2 0.1; assert_output ""
	get near1 0.1; assert_output ""
	get near0 0.1; assert_output --regexp '^hierarchical navigable'
	run -0 sochdb-sql -d "$D" --no-header -c "$(recipe cache-expire)" -c "SELECT prompt FROM cache"
	assert_output "what is hnsw"
}
