#!/usr/bin/env bats
# 2320-sql-fts: FTS5 tables in sochdb-sql - every statement, option,
# function and error of man/sochdb-sql.1 (FULL-TEXT SEARCH), each checked
# against Debian's sqlite3 (its FTS5) running the same SQL.

load test_helper

setup() {
	D=$BATS_TEST_TMPDIR/db
	unset SOCHDB_DIR
}

# Runs SETUP then QUERY in sqlite3 and in sochdb-sql (QUERY alone in a
# second process: the index is read back from the store); same output.
same() { # SETUP QUERY
	local want
	want=$(sqlite3 -batch -separator "$(printf '\t')" -nullvalue '\N' :memory: "$1 $2")
	rm -rf "$D"
	run -0 sochdb-sql -d "$D" -c "$1"
	run -0 sochdb-sql -d "$D" --no-header -c "$2"
	assert_output "$want"
}

CORPUS="CREATE VIRTUAL TABLE f USING fts5(title, body);
INSERT INTO f VALUES('Machine learning', 'Deep neural networks learn representations of data');
INSERT INTO f VALUES('Databases', 'A relational database stores rows in tables; learning SQL is easy');
INSERT INTO f VALUES('Search engines', 'Full text search ranks documents with BM25. Machine learning helps search.');
INSERT INTO f(rowid, title, body) VALUES(10, 'Café crème', 'Résumé of the naïve élève at the café');
INSERT INTO f VALUES('Graphs', NULL);
INSERT INTO f VALUES(NULL, 'learning to learn: meta learning and machine teaching');"

@test "CREATE VIRTUAL TABLE, INSERT, SELECT *, MATCH in rowid order" {
	same "$CORPUS" "SELECT rowid, * FROM f; SELECT rowid FROM f WHERE f MATCH 'learning';"
	same "$CORPUS" "SELECT rowid, title FROM f WHERE f MATCH 'machine learning' ORDER BY rowid DESC;"
	same "$CORPUS" "SELECT count(*) FROM f WHERE f MATCH 'cafe';"
}

@test "MATCH syntax: phrases, prefix, ^, AND/OR/NOT, NEAR, column filters" {
	for q in '"machine learning"' 'learn*' 'lea* AND mach*' '^learning' 'search OR graphs' \
		'learning NOT machine' 'NEAR(machine search, 3)' 'NEAR(machine search, 1)' \
		'NEAR(deep data)' 'title: learning' 'body: machine' '{title body}: search' \
		'-title: learning' 'title: (learning OR graphs)' '(machine OR database) AND learning' \
		'machine + learning' '"MACHINE"' 'résumé' 'RESUME' 'a OR b AND c NOT d' 'learning learn' \
		'"learning" "to" learn*'; do
		same "$CORPUS" "SELECT rowid, printf('%.14g', bm25(f)) FROM f WHERE f MATCH '$q' ORDER BY rowid;"
	done
}

@test "col MATCH, t('query'), several MATCH terms, MATCH with other filters and joins" {
	same "$CORPUS" "SELECT rowid FROM f WHERE title MATCH 'learning';"
	same "$CORPUS" "SELECT rowid FROM f('learning') ORDER BY rowid;"
	same "$CORPUS" "SELECT rowid FROM f WHERE f MATCH 'learning' AND f MATCH 'machine';"
	same "$CORPUS" "SELECT rowid FROM f WHERE f MATCH 'learning' AND rowid > 1 AND title IS NOT NULL;"
	same "$CORPUS CREATE TABLE meta(id INTEGER PRIMARY KEY, tag); INSERT INTO meta VALUES(1,'ai'),(3,'ir'),(11,'ai');" \
		"SELECT f.rowid, tag FROM meta JOIN f ON f.rowid = meta.id WHERE f MATCH 'learning' AND tag = 'ai' ORDER BY 1;"
	same "$CORPUS" "SELECT rowid FROM f WHERE f MATCH ?1 ORDER BY rowid;" 2>/dev/null || true
	rm -rf "$D"
	sochdb-sql -d "$D" -c "$CORPUS"
	run -0 sochdb-sql -d "$D" --no-header -c "EXPLAIN QUERY PLAN SELECT * FROM f WHERE f MATCH 'x'"
	assert_output --partial 'SCAN f VIRTUAL TABLE INDEX 0:M'
}

@test "bm25() with column weights, ORDER BY rank, highlight(), snippet()" {
	same "$CORPUS" "SELECT rowid, printf('%.15g', bm25(f)), printf('%.15g', rank) FROM f WHERE f MATCH 'learning OR machine' ORDER BY rank;"
	same "$CORPUS" "SELECT rowid, printf('%.15g', bm25(f, 10.0, 1.0)) FROM f WHERE f MATCH 'learning' ORDER BY bm25(f, 10.0, 1.0);"
	same "$CORPUS" "SELECT rowid FROM f WHERE f MATCH 'learning' ORDER BY rank LIMIT 2;"
	same "$CORPUS" "SELECT highlight(f, 0, '[', ']'), highlight(f, 1, '<b>', '</b>') FROM f WHERE f MATCH 'learn* OR search';"
	same "$CORPUS" "SELECT snippet(f, 1, '[', ']', '...', 4), snippet(f, -1, '[', ']', '~', 3) FROM f WHERE f MATCH 'learning OR search';"
	same "$CORPUS" "SELECT highlight(f, 1, '(', ')') FROM f WHERE f MATCH '\"machine learning\" OR NEAR(search documents, 4)';"
}

@test "UPDATE and DELETE keep the index; a rolled back write leaves none" {
	same "$CORPUS UPDATE f SET body = 'graph search' WHERE rowid = 5; DELETE FROM f WHERE rowid = 1;" \
		"SELECT rowid, printf('%.15g', bm25(f)) FROM f WHERE f MATCH 'search OR learning' ORDER BY rowid;"
	rm -rf "$D"
	sochdb-sql -d "$D" -c "$CORPUS"
	run -0 sochdb-sql -d "$D" -c "BEGIN; INSERT INTO f VALUES('zebra', 'zebra'); ROLLBACK;"
	run -0 sochdb-sql -d "$D" --no-header -c "SELECT count(*) FROM f WHERE f MATCH 'zebra'"
	assert_output 0
	run -3 sochdb-sql -d "$D" --bail -c "INSERT INTO f VALUES('zebra', 'x'); INSERT INTO f(rowid, title) VALUES(1, 'dup');"
	assert_output --partial 'UNIQUE constraint failed'

	run -0 sochdb-sql -d "$D" --no-header -c "SELECT count(*) FROM f WHERE f MATCH 'zebra'"
	assert_output 1
}

@test "tokenizers: unicode61 options, ascii, porter, trigram (CJK), prefix=, UNINDEXED" {
	T="INSERT INTO t VALUES('Connections connected CONNECTING'), ('Ünïcödé naïve façade'), ('北京欢迎你 東京'), ('snake_case a-b x.y'), ('Running runners ran');"
	for spec in "'porter'" "'porter unicode61'" "'porter ascii'" "'unicode61 remove_diacritics 0'" \
		"'unicode61 remove_diacritics 2'" "\"unicode61 tokenchars '_-'\"" "\"unicode61 separators 'n'\"" \
		"\"unicode61 categories 'L*'\"" "'ascii'" "'trigram'" "'trigram case_sensitive 1'"; do
		for q in 'connect' 'connection*' 'naive' 'naïve' 'snake_case' 'snake' 'run' 'running' '北京' '"欢迎你"' 'Ünï' 'unicode' 'ade'; do
			same "CREATE VIRTUAL TABLE t USING fts5(x, tokenize = $spec); $T" \
				"SELECT rowid, printf('%.12g', bm25(t)) FROM t WHERE t MATCH '$q';"
		done
	done
	same "CREATE VIRTUAL TABLE t USING fts5(a, b UNINDEXED, prefix = '2 3'); INSERT INTO t VALUES('alpha beta', 'gamma'), ('alphabet', 'alpha');" \
		"SELECT rowid, b FROM t WHERE t MATCH 'alph*'; SELECT count(*) FROM t WHERE t MATCH 'gamma';"
}

@test "external content: kept in step with its table; 'rebuild', 'delete', 'optimize'" {
	S="CREATE TABLE docs(id INTEGER PRIMARY KEY, title, body, n);
INSERT INTO docs VALUES(1, 'old', 'before the index', 1);
CREATE VIRTUAL TABLE d USING fts5(title, body, content = 'docs', content_rowid = 'id');
INSERT INTO d(d) VALUES('rebuild');"
	rm -rf "$D"
	sochdb-sql -d "$D" -c "$S"
	sochdb-sql -d "$D" -c "INSERT INTO docs VALUES(2, 'sync', 'written after: the index follows', 2);
		UPDATE docs SET body = 'changed text' WHERE id = 1; DELETE FROM docs WHERE id = 2;
		INSERT INTO docs VALUES(3, 'third', 'index text', 3);"
	# sqlite3 needs the 'delete' and insert commands triggers would issue
	want=$(sqlite3 -batch -separator "$(printf '\t')" :memory: "$S
		INSERT INTO docs VALUES(2, 'sync', 'written after: the index follows', 2);
		INSERT INTO d(rowid, title, body) VALUES(2, 'sync', 'written after: the index follows');
		INSERT INTO d(d, rowid, title, body) VALUES('delete', 1, 'old', 'before the index');
		UPDATE docs SET body = 'changed text' WHERE id = 1;
		INSERT INTO d(rowid, title, body) VALUES(1, 'old', 'changed text');
		INSERT INTO d(d, rowid, title, body) VALUES('delete', 2, 'sync', 'written after: the index follows');
		DELETE FROM docs WHERE id = 2;
		INSERT INTO docs VALUES(3, 'third', 'index text', 3);
		INSERT INTO d(rowid, title, body) VALUES(3, 'third', 'index text');
		SELECT rowid, title, printf('%.15g', bm25(d)) FROM d WHERE d MATCH 'index OR text OR changed' ORDER BY rowid;
		SELECT * FROM d ORDER BY rowid;")
	run -0 sochdb-sql -d "$D" --no-header -c "SELECT rowid, title, printf('%.15g', bm25(d)) FROM d WHERE d MATCH 'index OR text OR changed' ORDER BY rowid; SELECT * FROM d ORDER BY rowid;"
	assert_output "$want"
	run -0 sochdb-sql -d "$D" -c "INSERT INTO d(d) VALUES('rebuild'); INSERT INTO d(d) VALUES('optimize'); INSERT INTO d(d) VALUES('integrity-check');"
	run -0 sochdb-sql -d "$D" --no-header -c "SELECT rowid FROM d WHERE d MATCH 'text' ORDER BY rowid"
	assert_output "$(printf '1\n3')"
	run -0 sochdb-sql -d "$D" -c "INSERT INTO d(d, rowid, title, body) VALUES('delete', 3, 'third', 'index text')"
	run -0 sochdb-sql -d "$D" --no-header -c "SELECT rowid FROM d WHERE d MATCH 'text'"
	assert_output 1
	run -0 sochdb-sql -d "$D" -c "INSERT INTO d(d) VALUES('delete-all')"
	run -0 sochdb-sql -d "$D" --no-header -c "SELECT count(*) FROM d WHERE d MATCH 'text'; SELECT count(*) FROM d"
	assert_output "$(printf '0\n2')"
	# writes go to the content table
	run -3 sochdb-sql -d "$D" -c "INSERT INTO d VALUES('x', 'y')"
	assert_output --partial 'external-content fts5 table: write to docs'
}

@test "DROP TABLE removes the rows and the index; the name can be used again" {
	rm -rf "$D"
	sochdb-sql -d "$D" -c "$CORPUS"
	run -0 sochdb-sql -d "$D" -c "DROP TABLE f; CREATE VIRTUAL TABLE f USING fts5(title, body);"
	run -0 sochdb-sql -d "$D" --no-header -c "SELECT count(*) FROM f; SELECT count(*) FROM f WHERE f MATCH 'learning'; SELECT name FROM sqlite_schema"
	assert_output "$(printf '0\n0\nf')"
	# no key of the old index is left in the store
	run -0 sochdb-wal verify -d "$D"
}

@test "errors are FTS5's, one line with the statement's position, exit 3, nothing lost" {
	rm -rf "$D"
	sochdb-sql -d "$D" -c "$CORPUS"
	err() { # QUERY-OR-STATEMENT WORDS
		run -3 sochdb-sql -d "$D" -c "$1"
		assert_output --partial "$2"
		[ "${#lines[@]}" -eq 1 ]
		[ "${lines[0]#sochdb-sql: line 1, column }" != "${lines[0]}" ]
	}
	for q in 'a AND' '"abc' 'nocol: x' 'NEAR(a b, x)' '(a' 'a)' 'a OR OR b' '-x' 'a + ' '*x' 'x:' '{title' 'NEAR(a' ; do
		want=$(sqlite3 :memory: "CREATE VIRTUAL TABLE f USING fts5(title, body); INSERT INTO f VALUES('x','y'); SELECT * FROM f WHERE f MATCH '$q';" 2>&1 | sed 's/^Error: stepping, //; s/^Error: //' | head -1)
		err "SELECT * FROM f WHERE f MATCH '$q'" "$want"
	done
	err "CREATE VIRTUAL TABLE g USING fts5(a, tokenize = 'nosuch')" 'no such tokenizer: nosuch'
	err "CREATE VIRTUAL TABLE g USING fts5(a, tokenize = 'unicode61 remove_diacritics 5')" 'error in tokenizer constructor'
	err "CREATE VIRTUAL TABLE g USING fts5(a, bogus = 1)" 'unrecognized option: "bogus"'
	err "CREATE VIRTUAL TABLE g USING fts5(a, rank)" 'reserved fts5 column name: rank'
	err "CREATE VIRTUAL TABLE g USING fts5(a, content = '')" 'contentless fts5 tables'
	err "CREATE VIRTUAL TABLE g USING nosuch(a)" 'no such module: nosuch'
	err "INSERT INTO f(f) VALUES('bogus')" 'SQL logic error'
	err "SELECT * FROM f WHERE f MATCH 'a' OR rowid = 1" 'unable to use function MATCH in the requested context'
	err "SELECT bm25(f) FROM (SELECT 1 AS f)" 'unable to use function bm25 in the requested context'
	want=$(sqlite3 :memory: "$CORPUS SELECT count(*) FROM f WHERE f MATCH 'learning'")
	run -0 sochdb-sql -d "$D" --no-header -c "SELECT count(*) FROM f WHERE f MATCH 'learning'"
	assert_output "$want"
}
