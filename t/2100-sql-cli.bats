#!/usr/bin/env bats
# 2100-sql-cli: the sochdb-sql shell against Debian's sqlite3 on the same
# SQL: every output format, REAL printing, -c/FILE/stdin order, errors
# with line and column, --bail and the exit status, parameters, a missing
# database directory, the dot-commands, .import (CSV, TSV, JSONL; all or
# nothing) and .dump round trips both ways. Expected outputs are computed
# by sqlite3 (or Python's sqlite3 module) in the test, never written here.

load test_helper

setup() {
	command -v sqlite3 >/dev/null ||
		skip "sqlite3 not installed (scripts/install-deps.sh test): sochdb-sql is not compared with SQLite"
	[ -x "$BUILD/bin/sochdb-sql" ] ||
		skip "sochdb-sql is not built (the SQL engine, lib/sql/sql.c, is not there yet)"
	D=$BATS_TEST_TMPDIR/db
	Q=$BATS_TEST_TMPDIR/ref.db
	unset SOCHDB_DIR
}

# Skips a test that needs tables while the engine has none (the query side
# landed before the storage side).
need_tables() {
	[ "$(sochdb-sql -d "$BATS_TEST_TMPDIR/probe" --no-header -c 'CREATE TABLE p(a)' \
		-c 'INSERT INTO p VALUES (1)' -c 'SELECT a FROM p' 2>/dev/null)" = 1 ] ||
		skip "the SQL engine does not store tables yet (CREATE, INSERT, SELECT of a table fail): nothing to compare"
}

# Skips a test that reads the catalog while the engine has no sqlite_schema.
need_schema() {
	sochdb-sql -d "$BATS_TEST_TMPDIR/probe" -c 'SELECT count(*) FROM sqlite_schema' >/dev/null 2>&1 ||
		skip "the SQL engine has no sqlite_schema yet: .tables, .schema, .indexes and .dump have nothing to read"
}

# Our --format MODE of query Q on $D is what sqlite3 -header -MODE writes
# for Q on database DB.
same_as_sqlite3() { # MODE DB Q
	local want
	want=$(sqlite3 -header -"$1" "$2" "$3")
	run -0 sochdb-sql -d "$D" --format "$1" -c "$3"
	[ "$output" = "$want" ] || fail "--format $1, $3:
$output
--- sqlite3 -$1:
$want"
}

# The same script into sqlite3's file and our database.
both() {
	sqlite3 "$Q" <<<"$1"
	sochdb-sql -d "$D" <<<"$1"
}

DATA="CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, score REAL, n INTEGER, note TEXT);
INSERT INTO t VALUES(1, 'alice', 0.3, 10, 'plain'), (2, 'bob', 100.0, -5, 'has, comma'),
 (3, 'chen', 1e20, NULL, 'quote \"q\" and ''s'''), (4, 'dana', NULL, 0, 'two words'),
 (5, 'héllo wörld', -2.5e-7, 123456789012, ''), (6, 'z', 3.0, 7, NULL);"

QUERIES=(
	"SELECT * FROM t ORDER BY id"
	"SELECT name, score * 2 AS s2, n / 3, typeof(score) FROM t ORDER BY id"
	"SELECT count(*), sum(n), total(score), min(name), max(name) FROM t"
	"SELECT 1.0 / 3, 2.0 * 1.5, 1e15, 1e16, 123.456e-10, -0.5, 10 / 4, 10 % 4"
)

@test "sochdb-sql: --help, -h and --version on stdout; an unknown option or format is a usage error" {
	run -0 --separate-stderr sochdb-sql --help
	[ -z "$stderr" ]
	assert_line --index 0 'usage: sochdb-sql [-d DIR] [options] [FILE...]'
	help=$output
	run -0 sochdb-sql -h
	[ "$output" = "$help" ]
	run -0 sochdb-sql --version
	assert_output --regexp '^sochdb-sql [0-9]+\.[0-9]+\.[0-9]+$'
	run -2 --separate-stderr sochdb-sql --no-such-option
	[ "$stderr" = "sochdb-sql: unknown option '--no-such-option'
Try 'sochdb-sql -h' for more information." ]
	run -2 --separate-stderr sochdb-sql --format xml -c 'SELECT 1'
	[[ "$stderr" == "sochdb-sql: invalid value 'xml' for --format (expected table, box, csv, tsv, json, jsonl, toon, markdown or line)"* ]]
	run -2 sochdb-sql -c
}

@test "every format on rows of no table (VALUES, expressions) as sqlite3 writes them" {
	for q in "${QUERIES[3]}" \
		"SELECT * FROM (VALUES (1, 'alice', 0.3, NULL), (22, 'hé \"q\", x', 100.0, 'a''b'), (-3, '', 1e20, 2.5))" \
		"SELECT 'two
lines' AS t, 'tab	x' AS u"; do
		for m in csv table box markdown line; do
			same_as_sqlite3 "$m" :memory: "$q"
		done
	done
	q="SELECT * FROM (VALUES (1, 'alice', 0.3, NULL), (22, 'b c', 100.0, 'a''b'))"
	run -0 sochdb-sql -d "$D" -c "$q"
	[ "$output" = "$(sqlite3 -header -tabs -nullvalue '\N' :memory: "$q")" ]
	[ ! -e "$D" ]
}

@test "csv, table, box, markdown and line: byte for byte what sqlite3 writes" {
	need_tables
	run -0 both "$DATA"
	for q in "${QUERIES[@]}"; do
		for m in csv table box markdown line; do
			same_as_sqlite3 "$m" "$Q" "$q"
		done
	done
	# .mode and .headers off as in sqlite3
	want=$(sqlite3 -csv "$Q" "SELECT * FROM t ORDER BY id")
	run -0 sochdb-sql -d "$D" -c '.mode csv' -c '.headers off' -c "SELECT * FROM t ORDER BY id"
	[ "$output" = "$want" ]
	run -0 sochdb-sql -d "$D" --no-header --format csv -c "SELECT * FROM t ORDER BY id"
	[ "$output" = "$want" ]
	# .nullvalue
	want=$(sqlite3 -header -table -nullvalue NULL "$Q" "SELECT * FROM t ORDER BY id")
	run -0 sochdb-sql -d "$D" --format table -c '.nullvalue NULL' -c "SELECT * FROM t ORDER BY id"
	[ "$output" = "$want" ]
	# no rows: nothing at all, not even a header
	run -0 sochdb-sql -d "$D" --format csv -c "SELECT * FROM t WHERE id < 0"
	[ -z "$output" ]
}

@test "tsv: sqlite3's values with DESIGN.md's escaping and \\N for NULL (default when stdout is no terminal)" {
	need_tables
	run -0 both "$DATA"
	for q in "${QUERIES[@]}"; do
		want=$(sqlite3 -header -tabs -nullvalue '\N' "$Q" "$q")
		run -0 sochdb-sql -d "$D" -c "$q"
		[ "$output" = "$want" ] || fail "tsv, $q:
$output
--- want:
$want"
	done
	# bytes that need escaping: computed from the raw values in Python
	run -0 both "CREATE TABLE e(a TEXT); INSERT INTO e VALUES ('tab	x'), ('nl
y'), ('back\\slash'), ('cr' || char(13)), (char(1) || 'ctl' || char(127)), (NULL), ('\\N');"
	want=$(python3 - "$Q" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
out = ["a"]
for (v,) in c.execute("SELECT a FROM e ORDER BY rowid"):
    if v is None:
        out.append("\\N"); continue
    s = ""
    for ch in v:
        o = ord(ch)
        s += {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}.get(ch) or \
             ("\\x%02X" % o if o < 0x20 or o == 0x7f else ch)
    out.append(s)
print("\n".join(out))
PY
)
	run -0 sochdb-sql -d "$D" --format tsv -c "SELECT a FROM e ORDER BY rowid"
	[ "$output" = "$want" ]
}

@test "json, jsonl and toon: the same values as Python's sqlite3 module reads" {
	need_tables
	run -0 both "$DATA"
	for q in "${QUERIES[@]}"; do
		sochdb-sql -d "$D" --format json -c "$q" >"$BATS_TEST_TMPDIR/out.json"
		sochdb-sql -d "$D" --format jsonl -c "$q" >"$BATS_TEST_TMPDIR/out.jsonl"
		sochdb-sql -d "$D" --format toon -c "$q" | sochdb-toon decode >"$BATS_TEST_TMPDIR/out.toon.json"
		run -0 python3 - "$Q" "$q" "$BATS_TEST_TMPDIR" <<'PY'
import json, sqlite3, sys
db, q, d = sys.argv[1:]
c = sqlite3.connect(db)
cur = c.execute(q)
names = [x[0] for x in cur.description]
want = [dict(zip(names, r)) for r in cur.fetchall()]
def same(a, b):
    if len(a) != len(b): return False
    for x, y in zip(a, b):
        if x.keys() != y.keys(): return False
        for k in x:
            u, v = x[k], y[k]
            if isinstance(u, float) or isinstance(v, float):
                if u is None or v is None or abs(u - v) > 1e-12 * max(1, abs(u)): return False
            elif u != v: return False
    return True
got = json.load(open(d + "/out.json"))
lines = [json.loads(l) for l in open(d + "/out.jsonl")]
toon = json.load(open(d + "/out.toon.json"))
for what, g in (("json", got), ("jsonl", lines), ("toon", toon)):
    if not same(g, want):
        print(what, "differs:", g, "want", want); sys.exit(1)
print("same")
PY
		assert_output same
	done
	# REAL text as SQLite prints it, in json too
	run -0 sochdb-sql -d "$D" --format jsonl -c "SELECT 0.3 AS a, 100.0 AS b, 1e20 AS c"
	assert_output '{"a":0.3,"b":100.0,"c":1.0e+20}'
	# blobs: base64 under NAME_b64
	run -0 sochdb-sql -d "$D" --format jsonl -c "SELECT X'00ff' AS b"
	assert_output '{"b_b64":"AP8="}'
	# no rows: an empty array
	run -0 sochdb-sql -d "$D" --format json -c "SELECT 1 WHERE 0"
	assert_output '[]'
}

@test "-c texts and FILEs run in order; stdin only when '-' is named; the final statement needs no ';'" {
	printf 'SELECT 2;\n' >"$BATS_TEST_TMPDIR/two.sql"
	run -0 sh -c 'echo "SELECT 9;" | sochdb-sql -d "$1" --no-header -c "SELECT 1" "$2" -c "SELECT 3; SELECT 4"' _ "$D" "$BATS_TEST_TMPDIR/two.sql"
	[ "$output" = "$(printf '1\n2\n3\n4')" ]
	run -0 sh -c 'echo "SELECT 9" | sochdb-sql -d "$1" --no-header -c "SELECT 1" - "$2"' _ "$D" "$BATS_TEST_TMPDIR/two.sql"
	[ "$output" = "$(printf '1\n9\n2')" ]
	run -0 sh -c 'printf "SELECT 5;\nSELECT 6" | sochdb-sql -d "$1" --no-header' _ "$D"
	[ "$output" = "$(printf '5\n6')" ]
	# a dot-command in -c, and a ; inside strings, names and comments
	run -0 sochdb-sql -d "$D" --no-header -c "SELECT 'a;b' AS \"x;y\"; -- c;
SELECT /* ; */ 7"
	[ "$output" = "$(printf 'a;b\n7')" ]
}

@test "bad dot-commands: one line naming the problem, the script goes on, exit 3" {
	run -3 --separate-stderr sochdb-sql -d "$D" --no-header -c '.mode xml' -c '.import' -c '.headers maybe' \
		-c ".import $BATS_TEST_TMPDIR/nosuch.csv t" -c '.nosuch' -c 'SELECT 1'
	[ "$output" = 1 ]
	[ "$stderr" = "sochdb-sql: line 1, column 1: .mode: unknown mode 'xml' (expected table, box, csv, tsv, json, jsonl, toon, markdown or line)
sochdb-sql: line 1, column 1: usage: .import [--csv|--tsv|--jsonl] [--skip N] FILE TABLE
sochdb-sql: line 1, column 1: usage: .headers on|off
sochdb-sql: line 1, column 1: cannot open '$BATS_TEST_TMPDIR/nosuch.csv': No such file or directory
sochdb-sql: line 1, column 1: unknown command or invalid arguments: \"nosuch\". Enter \".help\" for help" ]
	run -3 --separate-stderr sochdb-sql -d "$D" "$BATS_TEST_TMPDIR/nosuch.sql"
	[ "$stderr" = "sochdb-sql: cannot open '$BATS_TEST_TMPDIR/nosuch.sql': No such file or directory" ]
}

@test "errors: one line with the statement's line and column in the script; the script goes on and exits 3; --bail stops" {
	need_tables
	script='SELECT 1;
SELECT 2,
  * FORM t;
SELECT 4;'
	# where FORM stands, found in the script itself
	line=$(grep -n FORM <<<"$script" | cut -d: -f1)
	col=$(($(awk '/FORM/ { print index($0, "FORM") }' <<<"$script")))
	run -3 --separate-stderr sochdb-sql -d "$D" --no-header <<<"$script"
	[ "$output" = "$(printf '1\n4')" ]
	[ "$stderr" = "sochdb-sql: line $line, column $col: syntax error near \"FORM\"" ]
	run -3 --separate-stderr sochdb-sql -d "$D" --no-header --bail <<<"$script"
	[ "$output" = 1 ]
	# the same in a FILE: its name comes first
	printf '%s\n' "$script" >"$BATS_TEST_TMPDIR/bad.sql"
	run -3 --separate-stderr sochdb-sql -d "$D" "$BATS_TEST_TMPDIR/bad.sql"
	[ "$stderr" = "sochdb-sql: $BATS_TEST_TMPDIR/bad.sql: line $line, column $col: syntax error near \"FORM\"" ]
	# on a later line of a -c text, after a statement on the same line
	run -3 --separate-stderr sochdb-sql -d "$D" -c 'SELECT 1; SELECT x FROM nosuch'
	[[ "$stderr" == "sochdb-sql: line 1, column "*": no such table: nosuch" ]]
	# a constraint: SQLite's words
	run -0 sochdb-sql -d "$D" -c 'CREATE TABLE u(a INTEGER PRIMARY KEY, b NOT NULL)'
	run -3 --separate-stderr sochdb-sql -d "$D" -c 'INSERT INTO u VALUES (1, NULL)'
	want=$(sqlite3 :memory: 'CREATE TABLE u(a INTEGER PRIMARY KEY, b NOT NULL)' 'INSERT INTO u VALUES (1, NULL)' 2>&1 |
		grep -o 'NOT NULL constraint failed: [a-z.]*')
	[[ "$stderr" == *"$want" ]] || fail "$stderr (sqlite3: $want)"
	# .bail on in the script
	run -3 --separate-stderr sochdb-sql -d "$D" --no-header -c ".bail on" -c "SELECT * FROM nosuch" -c "SELECT 5"
	[ -z "$output" ]
}

@test "--param and .parameter bind ?, ?N, :name, @name, \$name as sqlite3's .parameter set" {
	q='SELECT ?1 + 1, :x, @y, $z, typeof(:x), typeof(?1)'
	want=$(sqlite3 -header -csv :memory: '.parameter set ?1 41' ".parameter set :x 'text'" '.parameter set @y 2.5' '.parameter set $z NULL' "$q")
	run -0 sochdb-sql -d "$D" --format csv --param 41 --param x="'text'" --param y=2.5 --param 'z=NULL' -c "$q"
	[ "$output" = "$want" ]
	run -0 sochdb-sql -d "$D" --format csv -c '.parameter set ?1 41' -c ".parameter set :x 'text'" -c '.parameter set @y 2.5' -c '.parameter set $z NULL' -c "$q"
	[ "$output" = "$want" ]
	# a value that is no SQL is text as written; ? in turn
	run -0 sochdb-sql -d "$D" --no-header --param hello --param 7 -c 'SELECT ?, ? * 2'
	[ "$output" = "$(printf 'hello\t14')" ]
	run -0 sochdb-sql -d "$D" -c '.parameter set :a 1' -c '.parameter list' -c '.parameter clear' -c '.parameter list'
	assert_output ':a 1'
}

@test "a missing DIR is sqlite3's new file: reads of no table run, the first write creates it, --readonly exits 3" {
	need_tables
	run -0 sochdb-sql -d "$D" --no-header -c 'SELECT 1 + 1'
	[ "$output" = 2 ]
	[ ! -e "$D" ]
	run -3 --separate-stderr sochdb-sql -d "$D" --readonly -c 'SELECT 1'
	[ -n "$stderr" ]
	[ ! -e "$D" ]
	run -0 sochdb-sql -d "$D" -c 'CREATE TABLE a(x)' -c 'INSERT INTO a VALUES (1)'
	[ -d "$D" ]
	run -0 sochdb-sql -d "$D" --readonly --no-header -c 'SELECT x FROM a'
	[ "$output" = 1 ]
	run -3 sochdb-sql -d "$D" --readonly -c 'INSERT INTO a VALUES (2)'
	SOCHDB_DIR=$D run -0 sochdb-sql --no-header -c 'SELECT count(*) FROM a'
	[ "$output" = 1 ]
}

@test ".tables, .schema, .indexes as sqlite3 lists them" {
	need_tables
	need_schema
	ddl='CREATE TABLE zeta(a INTEGER PRIMARY KEY, b TEXT);
CREATE TABLE alpha(x, y);
CREATE INDEX alpha_y ON alpha(y);
CREATE INDEX zeta_b ON zeta(b);
CREATE VIEW v AS SELECT x FROM alpha;'
	run -0 both "$ddl"
	for c in .tables '.tables a%' .schema '.schema alpha' .indexes '.indexes zeta'; do
		want=$(sqlite3 "$Q" "$c")
		run -0 sochdb-sql -d "$D" -c "$c"
		[ "$output" = "$want" ] || fail "$c:
$output
--- sqlite3:
$want"
	done
}

@test ".mode, .output, .once, .read, .changes, .timer, .eqp, .help, .quit" {
	need_tables
	run -0 both "$DATA"
	run -0 sochdb-sql -d "$D" -c '.mode line' -c 'SELECT id, name FROM t WHERE id = 1'
	[ "$output" = "$(sqlite3 -line "$Q" 'SELECT id, name FROM t WHERE id = 1')" ]
	run -0 sochdb-sql -d "$D" --no-header -c ".output $BATS_TEST_TMPDIR/o.txt" -c 'SELECT 1' -c 'SELECT 2' \
		-c '.output' -c 'SELECT 3'
	[ "$output" = 3 ]
	[ "$(cat "$BATS_TEST_TMPDIR/o.txt")" = "$(printf '1\n2')" ]
	run -0 sochdb-sql -d "$D" --no-header -c ".once $BATS_TEST_TMPDIR/once.txt" -c 'SELECT 1' -c 'SELECT 2'
	[ "$output" = 2 ]
	[ "$(cat "$BATS_TEST_TMPDIR/once.txt")" = 1 ]
	printf 'SELECT 8;\n.mode csv\nSELECT 9 AS n;\n' >"$BATS_TEST_TMPDIR/r.sql"
	run -0 sochdb-sql -d "$D" --no-header -c ".read $BATS_TEST_TMPDIR/r.sql"
	[ "$output" = "$(printf '8\n9')" ]
	script='.changes on
UPDATE t SET n = n + 1 WHERE id < 3;
SELECT 1;
DELETE FROM t WHERE id = 6;'
	run -0 sochdb-sql -d "$D" --no-header <<<"$script"
	[ "$output" = "$(sqlite3 "$Q" <<<"$script")" ]
	run -0 sochdb-sql -d "$D" --no-header -c '.timer on' -c 'SELECT 1'
	assert_line --index 0 1
	assert_line --index 1 --regexp '^Run Time: real [0-9]+\.[0-9]{3} user [0-9.]+ sys [0-9.]+$'
	run -0 sochdb-sql -d "$D" --no-header -c '.eqp on' -c 'SELECT name FROM t WHERE id = 2'
	assert_line --index 0 'QUERY PLAN'
	assert_line --regexp '^`--'
	assert_line bob
	# a plain EXPLAIN QUERY PLAN statement: SQLite's four columns, as rows
	run -0 sochdb-sql -d "$D" -c 'EXPLAIN QUERY PLAN SELECT name FROM t WHERE id = 2'
	assert_output $'id\tparent\tnotused\tdetail\n2\t0\t0\tSEARCH t USING INTEGER PRIMARY KEY (rowid=?)'
	run -0 sochdb-sql -d "$D" -c .help
	for c in tables schema indexes import dump mode headers nullvalue output once read timer eqp changes bail parameter help quit; do
		assert_line --partial ".$c"
	done
	run -0 sochdb-sql -d "$D" --no-header -c 'SELECT 1' -c .quit -c 'SELECT 2'
	[ "$output" = 1 ]
	run -3 --separate-stderr sochdb-sql -d "$D" -c '.nosuch'
	[[ "$stderr" == 'sochdb-sql: line 1, column 1: unknown command'* ]]
}

@test ".import CSV: into a new table (header names the columns) and an existing one (affinity), as sqlite3 3.40" {
	need_tables
	cat >"$BATS_TEST_TMPDIR/in.csv" <<'CSV'
id,name,"a b",score
1,alice,"x, y",0.5
2,bob,"say ""hi""",10
3,"multi
line",,-3e2
CSV
	for db in ref ours; do
		if [ $db = ref ]; then
			sqlite3 "$Q" ".import --csv $BATS_TEST_TMPDIR/in.csv fresh" \
				'CREATE TABLE typed(id INTEGER PRIMARY KEY, name TEXT, c TEXT, score REAL)' \
				".import --csv --skip 1 $BATS_TEST_TMPDIR/in.csv typed"
		else
			run -0 sochdb-sql -d "$D" -c ".import --csv $BATS_TEST_TMPDIR/in.csv fresh" \
				-c 'CREATE TABLE typed(id INTEGER PRIMARY KEY, name TEXT, c TEXT, score REAL)' \
				-c ".import --csv --skip 1 $BATS_TEST_TMPDIR/in.csv typed"
		fi
	done
	for q in 'SELECT *, typeof(id), typeof(score) FROM fresh ORDER BY rowid' \
		'SELECT *, typeof(id), typeof(score) FROM typed ORDER BY id'; do
		want=$(sqlite3 -header -csv "$Q" "$q")
		run -0 sochdb-sql -d "$D" --format csv -c "$q"
		[ "$output" = "$want" ] || fail "$q:
$output
--- sqlite3:
$want"
	done
	need_schema
	run -0 sochdb-sql -d "$D" -c '.schema fresh'
	[ "$output" = "$(sqlite3 "$Q" '.schema fresh')" ]
}

@test ".import: a malformed line or a constraint names its line, and nothing is imported" {
	need_tables
	run -0 sochdb-sql -d "$D" -c 'CREATE TABLE t(a INTEGER PRIMARY KEY, b)' -c 'INSERT INTO t VALUES (100, 0)'
	printf '1,x\n2,y\n3\n4,z\n' >"$BATS_TEST_TMPDIR/short.csv"
	run -3 --separate-stderr sochdb-sql -d "$D" -c ".import --csv $BATS_TEST_TMPDIR/short.csv t"
	[ "$stderr" = "sochdb-sql: $BATS_TEST_TMPDIR/short.csv: line 3, column 1: expected 2 columns but found 1 (nothing imported)" ]
	printf '1,x\n2,"open\n3,y\n' >"$BATS_TEST_TMPDIR/quote.csv"
	run -3 --separate-stderr sochdb-sql -d "$D" -c ".import --csv $BATS_TEST_TMPDIR/quote.csv t"
	[[ "$stderr" == "sochdb-sql: $BATS_TEST_TMPDIR/quote.csv: line 2, column 3: unterminated \"-quoted field"* ]]
	printf '1,x\n100,dup\n' >"$BATS_TEST_TMPDIR/dup.csv"
	run -3 --separate-stderr sochdb-sql -d "$D" -c ".import --csv $BATS_TEST_TMPDIR/dup.csv t"
	[[ "$stderr" == *"line 2: UNIQUE constraint failed: t.a (nothing imported)" ]] || fail "$stderr"
	run -0 sochdb-sql -d "$D" --no-header -c 'SELECT count(*) FROM t'
	[ "$output" = 1 ]
	# inside BEGIN: a savepoint, the transaction goes on
	run -3 sochdb-sql -d "$D" -c 'BEGIN' -c 'INSERT INTO t VALUES (5, 5)' \
		-c ".import --csv $BATS_TEST_TMPDIR/short.csv t" -c 'COMMIT'
	run -0 sochdb-sql -d "$D" --no-header -c 'SELECT a FROM t ORDER BY a'
	[ "$output" = "$(printf '5\n100')" ]
	# a new table is not left behind either
	run -3 sochdb-sql -d "$D" -c ".import --csv $BATS_TEST_TMPDIR/short.csv newt"
	run -3 sochdb-sql -d "$D" -c 'SELECT * FROM newt'
}

@test ".import TSV (escapes, \\N) and JSONL (keys name columns)" {
	need_tables
	printf 'a\tb\n1\ttab\\there\n2\t\\N\n' >"$BATS_TEST_TMPDIR/in.tsv"
	run -0 sochdb-sql -d "$D" -c ".import $BATS_TEST_TMPDIR/in.tsv tt"
	run -0 sochdb-sql -d "$D" --format csv -c "SELECT a, b, typeof(b) FROM tt ORDER BY a"
	[ "$output" = "$(sqlite3 -header -csv :memory: "SELECT '1' AS a, 'tab' || char(9) || 'here' AS b, 'text' AS 'typeof(b)' UNION ALL SELECT '2', NULL, 'null'")" ]
	printf '{"id":1,"name":"a","v":1.5,"ok":true}\n{"id":2,"name":"b\\u00e9","v":null,"tags":[1,2]}\n' >"$BATS_TEST_TMPDIR/in.jsonl"
	run -0 sochdb-sql -d "$D" -c 'CREATE TABLE j(id INTEGER PRIMARY KEY, name TEXT, v REAL, ok, tags)' \
		-c ".import $BATS_TEST_TMPDIR/in.jsonl j"
	run -0 sochdb-sql -d "$D" --format jsonl -c 'SELECT * FROM j ORDER BY id'
	assert_line --index 0 '{"id":1,"name":"a","v":1.5,"ok":1,"tags":null}'
	assert_line --index 1 '{"id":2,"name":"bé","v":null,"ok":null,"tags":"[1,2]"}'
	printf '{"id":3}\nnot json\n' >"$BATS_TEST_TMPDIR/bad.jsonl"
	run -3 --separate-stderr sochdb-sql -d "$D" -c ".import $BATS_TEST_TMPDIR/bad.jsonl j"
	[[ "$stderr" == "sochdb-sql: $BATS_TEST_TMPDIR/bad.jsonl: line 2, "* ]]
	run -0 sochdb-sql -d "$D" --no-header -c 'SELECT count(*) FROM j'
	[ "$output" = 2 ]
}

@test ".dump: sqlite3's dump rebuilds our database, ours rebuilds sqlite3's and ours" {
	need_tables
	need_schema
	run -0 both "$DATA
CREATE TABLE k(a TEXT, b BLOB, c);
INSERT INTO k VALUES ('it''s', X'00ff10', 1.0 / 3), ('line
break', NULL, -0.0), (NULL, X'', 9007199254740993);
CREATE INDEX k_a ON k(a);
CREATE VIEW kv AS SELECT a FROM k;"
	check() { # DB-A (sqlite3 file) DIR-B: the same rows in every table
		for q in 'SELECT * FROM t ORDER BY id' 'SELECT a, hex(b), c, typeof(c) FROM k ORDER BY rowid' 'SELECT * FROM kv ORDER BY 1'; do
			want=$(sqlite3 -header -csv "$1" "$q")
			run -0 sochdb-sql -d "$2" --format csv -c "$q"
			[ "$output" = "$want" ] || fail "$q:
$output
--- sqlite3:
$want"
		done
	}
	# sqlite3 -> ours
	sqlite3 "$Q" .dump | sochdb-sql -d "$BATS_TEST_TMPDIR/from-sqlite"
	check "$Q" "$BATS_TEST_TMPDIR/from-sqlite"
	# ours -> sqlite3
	sochdb-sql -d "$D" -c .dump >"$BATS_TEST_TMPDIR/ours.sql"
	assert_equal "$(head -2 "$BATS_TEST_TMPDIR/ours.sql")" "$(sqlite3 "$Q" .dump | head -2)"
	sqlite3 "$BATS_TEST_TMPDIR/back.db" <"$BATS_TEST_TMPDIR/ours.sql"
	check "$BATS_TEST_TMPDIR/back.db" "$D"
	# ours -> ours
	sochdb-sql -d "$BATS_TEST_TMPDIR/again" <"$BATS_TEST_TMPDIR/ours.sql"
	check "$Q" "$BATS_TEST_TMPDIR/again"
	run -0 sochdb-sql -d "$BATS_TEST_TMPDIR/again" -c .dump
	[ "$output" = "$(cat "$BATS_TEST_TMPDIR/ours.sql")" ]
	# .dump TABLE
	run -0 sochdb-sql -d "$D" -c '.dump k'
	assert_line --partial 'INSERT INTO k VALUES('
	refute_line --partial 'INSERT INTO t VALUES('
}

@test "buffered formats spill past --memory-limit and write the same bytes" {
	need_tables
	{
		echo 'CREATE TABLE big(i INTEGER PRIMARY KEY, s TEXT); BEGIN;'
		seq 3000 | awk '{ printf "INSERT INTO big VALUES (%d, '"'"'row %d'"'"');\n", $1, $1 * 7919 % 1000 }'
		echo 'COMMIT;'
	} | sochdb-sql -d "$D"
	for f in table box markdown toon; do
		a=$(sochdb-sql -d "$D" --format $f -c 'SELECT * FROM big')
		b=$(sochdb-sql -d "$D" --format $f --memory-limit 16k -c 'SELECT * FROM big')
		[ "$a" = "$b" ] || fail "--format $f differs when spilled"
		[ "${#a}" -gt 30000 ]
	done
}

@test "make demo's SQL scene: a CSV import, a table, TOON for a prompt" {
	need_tables
	run -0 --separate-stderr env SOCHDB_BUILD="$BUILD" "$TOP/scripts/demo-sql.sh"
	assert_line '== sochdb-sql: SQL on the same store, results as TOON for a prompt'
	assert_line '[3]{customer,orders,total}:'
	assert_line '  Chen,1,310.0'
	[ -z "$stderr" ]
}
