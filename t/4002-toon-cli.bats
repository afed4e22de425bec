#!/usr/bin/env bats
# 4002-toon-cli: the sochdb-toon surface - subcommands, options, output
# files, newlines, numbers, JSON lines, stats, the compact form.

load test_helper

setup() {
	cd "$BATS_TEST_TMPDIR"
	printf '{"users":[{"id":1,"name":"Alice","role":"admin"},{"id":2,"name":"Bob","role":"user"}]}' >users.json
}

@test "encode: a uniform array becomes a table; stdout ends with one newline" {
	run -0 --separate-stderr sochdb-toon encode users.json
	assert_output $'users[2]{id,name,role}:\n  1,Alice,admin\n  2,Bob,user'
	[ -z "$stderr" ]
	sochdb-toon encode users.json >out.toon
	[ "$(tail -c 2 out.toon | od -An -c | tr -d ' ')" = 'r\n' ]
}

@test "encode reads stdin from a file, from a pipe and from '-'" {
	a=$(sochdb-toon encode <users.json)
	b=$(cat users.json | sochdb-toon encode)
	c=$(sochdb-toon encode - <users.json)
	[ "$a" = "$b" ] && [ "$b" = "$c" ]
	[[ "$a" == "users[2]{id,name,role}:"* ]]
}

@test "-o - means standard output" {
	run -0 sochdb-toon encode -o - users.json
	assert_line --index 0 'users[2]{id,name,role}:'
	[ ! -e ./- ]
}

@test "encode -o writes the file without a trailing newline" {
	run -0 sochdb-toon encode users.json -o out.toon
	[ -z "$output" ]
	[ "$(tail -c 1 out.toon)" = "r" ]
	run -0 cat out.toon
	assert_output $'users[2]{id,name,role}:\n  1,Alice,admin\n  2,Bob,user'
}

@test "decode: compact JSON and one newline; -o; --json-indent" {
	sochdb-toon encode users.json -o u.toon
	run -0 sochdb-toon decode u.toon
	assert_output '{"users":[{"id":1,"name":"Alice","role":"admin"},{"id":2,"name":"Bob","role":"user"}]}'
	sochdb-toon decode u.toon -o back.json
	cmp <(cat users.json; echo) back.json
	run -0 sochdb-toon decode --json-indent 2 u.toon
	assert_line --index 0 '{'
	assert_line --index 1 '  "users": ['
	assert_line --index 3 '      "id": 1,'
	run -0 sochdb-toon decode --json-indent 2 - <<<'a: []'
	assert_output $'{\n  "a": []\n}'
}

@test "--encode and --decode are aliases of the subcommands" {
	run -0 sochdb-toon --encode users.json
	assert_line --index 0 'users[2]{id,name,role}:'
	printf 'a: 1' >a.toon
	run -0 sochdb-toon --decode a.toon
	assert_output '{"a":1}'
}

@test "--delimiter takes a character or a word" {
	for d in '|' pipe; do
		run -0 sochdb-toon encode --delimiter "$d" users.json
		assert_line --index 0 'users[2|]{id|name|role}:'
		assert_line --index 1 '  1|Alice|admin'
	done
	for d in $'\t' tab '\t'; do
		run -0 sochdb-toon encode --delimiter "$d" users.json
		assert_line --index 0 $'users[2\t]{id\tname\trole}:'
	done
	run -0 sochdb-toon encode --delimiter comma users.json
	assert_line --index 1 '  1,Alice,admin'
	# each spelling named once (regression: 'tab' was listed twice)
	run -2 --separate-stderr sochdb-toon encode --delimiter ';' users.json
	[[ "$stderr" == "sochdb-toon: invalid delimiter ';' (expected a ',', '|' or tab character, or comma, pipe, tab or \\t)"* ]]
}

@test "--indent changes the indentation of encode and decode" {
	run -0 sochdb-toon encode --indent 4 - <<<'{"a":{"b":1}}'
	assert_output $'a:\n    b: 1'
	run -0 sochdb-toon decode --indent 4 - <<<$'a:\n    b: 1'
	assert_output '{"a":{"b":1}}'
	run -3 --separate-stderr sochdb-toon decode - <<<$'a:\n   b: 1'
	assert_equal "$stderr" "sochdb-toon: line 2, column 1: indentation must be a multiple of 2 spaces, found 3"
	run -2 sochdb-toon encode --indent 0 users.json
}

@test "key folding and path expansion, kebab-case and camelCase" {
	printf '{"a":{"b":{"c":1}},"d":{"e":{"f":2}}}' >n.json
	run -0 sochdb-toon encode --key-folding safe n.json
	assert_output $'a.b.c: 1\nd.e.f: 2'
	run -0 sochdb-toon encode --keyFolding safe --flattenDepth 2 n.json
	assert_output $'a.b:\n  c: 1\nd.e:\n  f: 2'
	run -0 sochdb-toon encode --key-folding safe --flatten-depth 2 n.json
	assert_line --index 0 'a.b:'
	run -0 sochdb-toon decode --expand-paths safe - <<<$'a.b.c: 1\na.b.d: 2'
	assert_output '{"a":{"b":{"c":1,"d":2}}}'
	run -0 sochdb-toon decode --expandPaths safe - <<<'x.y: 1'
	assert_output '{"x":{"y":1}}'
	run -0 sochdb-toon decode - <<<'x.y: 1'
	assert_output '{"x.y":1}'
	# a conflict names its line and column (regression: it had none)
	run -3 --separate-stderr sochdb-toon decode --expand-paths safe - <<<$'a.b: 1\na: 2'
	assert_equal "$stderr" "sochdb-toon: line 2, column 1: path expansion conflict at key 'a'"
	run -3 --separate-stderr sochdb-toon decode --expand-paths safe - <<<$'x: 1\nl[1]:\n  - a.b: 1\n    a.b.c: 2'
	assert_equal "$stderr" "sochdb-toon: line 4, column 5: path expansion conflict at key 'b'"
	run -3 --separate-stderr sochdb-toon decode --expand-paths safe - <<<$'t[1]{a.b,a}:\n  1,2'
	assert_equal "$stderr" "sochdb-toon: line 2, column 3: path expansion conflict at key 'a'"
	run -0 sochdb-toon decode --no-strict --expand-paths safe - <<<$'a.b: 1\na: 2'
	assert_output '{"a":2}'
	run -2 sochdb-toon encode --key-folding maybe n.json
}

@test "strict and non-strict decoding" {
	run -3 --separate-stderr sochdb-toon decode - <<<$'a: 1\na: 2'
	assert_equal "$stderr" "sochdb-toon: line 2, column 1: duplicate sibling key 'a'"
	run -0 sochdb-toon decode --no-strict - <<<$'a: 1\nb: 3\na: 2'
	assert_output '{"a":2,"b":3}'
	run -0 sochdb-toon decode --strict - <<<'a: 1'
	run -3 sochdb-toon decode - <<<$'t[3]: a,b'
	run -0 sochdb-toon decode --no-strict - <<<$'t[3]: a,b'
	assert_output '{"t":["a","b"]}'
}

@test "numbers: shortest round-trip doubles laid out as the spec says" {
	run -0 sochdb-toon encode - <<<'[1.0, -0, 1e-7, 1e21, 1e20, 0.000001, 1.5e300, 0.1, 100, 1E400, -1.25e-8]'
	assert_output '[11]: 1,0,1e-7,1e+21,100000000000000000000,0.000001,1.5e+300,0.1,100,null,-1.25e-8'
	run -0 sochdb-toon encode - <<<'{"n":12345678901234567890,"f":0.30000000000000004,"g":0.10000000000000001}'
	assert_output $'n: 12345678901234567000\nf: 0.30000000000000004\ng: 0.1'
	run -0 sochdb-toon decode - <<<$'a: 1.5000\nb: -1E+03\nc: -0\nd: 05\ne: 1e999'
	assert_output '{"a":1.5,"b":-1000,"c":0,"d":"05","e":"1e999"}'
}

@test "--exact-numbers keeps digits a double cannot hold" {
	run -0 sochdb-toon encode --exact-numbers - <<<'{"n":12345678901234567890,"g":0.10000000000000001,"e":1.50e2,"b":1e400}'
	assert_output $'n: 12345678901234567890\ng: 0.10000000000000001\ne: 150\nb: 1e+400'
	run -0 sochdb-toon decode --exact-numbers - <<<'n: 12345678901234567890'
	assert_output '{"n":12345678901234567890}'
	run -0 sochdb-toon decode - <<<'n: 12345678901234567890'
	assert_output '{"n":12345678901234567000}'
}

@test "JSON lines: encode --jsonl makes one array, decode --jsonl one value per line" {
	printf '{"id":1,"ok":true}\n\n{"id":2,"ok":false}\n' >r.jsonl
	run -0 sochdb-toon encode --jsonl r.jsonl
	assert_output $'[2]{id,ok}:\n  1,true\n  2,false'
	sochdb-toon encode --jsonl r.jsonl -o r.toon
	run -0 sochdb-toon decode --jsonl r.toon
	assert_output $'{"id":1,"ok":true}\n{"id":2,"ok":false}'
	run -3 --separate-stderr sochdb-toon encode --jsonl - <<<$'{"a":1} {"b":2}'
	assert_equal "$stderr" "sochdb-toon: line 1, column 9: expected one JSON value per line"
	run -0 sochdb-toon decode --jsonl - <<<'a: 1'
	assert_output '{"a":1}'
}

@test "duplicate JSON keys: the last value wins at the first position (JSON.parse)" {
	run -0 sochdb-toon encode - <<<'{"a":1,"b":2,"a":3}'
	assert_output $'a: 3\nb: 2'
}

@test "strings are quoted exactly when the spec requires it" {
	run -0 sochdb-toon encode - <<<'{"a":"","b":" x","c":"true","d":"42","e":"a:b","f":"-x","g":"a,b","h":"a|b","i":"hé 世界","j":"line\nbreak","k":"\u0001"}'
	assert_output $'a: ""\nb: " x"\nc: "true"\nd: "42"\ne: "a:b"\nf: "-x"\ng: "a,b"\nh: a|b\ni: hé 世界\nj: "line\\nbreak"\nk: "\\u0001"'
}

@test "stats: a TOON table of bytes and tokens with savings against compact JSON" {
	/usr/bin/python3 -c 'import json; print(json.dumps([{"id":i,"name":"user%d"%i,"active":i%2==0} for i in range(200)]))' >t.json
	run -0 --separate-stderr sochdb-toon stats t.json
	assert_line --index 0 'formats[3]{format,bytes,tokens,savings_pct}:'
	assert_line --partial '  json-compact,'
	assert_line 'tokenizer: estimate of o200k_base'
	toon_bytes=$(sochdb-toon encode t.json -o t.toon && stat -c %s t.toon)
	assert_line --regexp "^  toon,$toon_bytes,[0-9]+,[0-9]+(\.[0-9])?$"
	# deeply nested, non-uniform data: TOON costs more than compact JSON
	printf '{"a":{"b":{"c":{"d":[{"x":[1,{"y":2}]},{"z":{"w":[3]}}]}}}}' >nest.json
	run -0 sochdb-toon stats nest.json
	assert_line --regexp '^  toon,[0-9]+,[0-9]+,-[0-9]+(\.[0-9])?$'
}

@test "--compact: SochDB's one-line table form, a separate mode" {
	run -0 sochdb-toon encode --compact users.json
	assert_output 'users[2]{id,name,role}:1,Alice,admin;2,Bob,user'
	printf 'users[2]{name,email}:Alice,alice@example.com;Bob,bob@example.com' >c.txt
	run -0 sochdb-toon decode --compact c.txt
	assert_output '{"users":[{"name":"Alice","email":"alice@example.com"},{"name":"Bob","email":"bob@example.com"}]}'
	# strict TOON rejects it, also with one column, where the values
	# would pass as an inline array (regression: users[1]{name}:Alice
	# decoded as {"users":["Alice"]}); non-strict keeps the 2.3.1 reading
	run -3 --separate-stderr sochdb-toon decode c.txt
	assert_equal "$stderr" "sochdb-toon: line 1, column 22: a tabular header takes its rows on the lines below (the compact form needs decode --compact)"
	run -0 sochdb-toon encode --compact - <<<'{"users":[{"name":"Alice"}]}'
	assert_output 'users[1]{name}:Alice'
	run -3 --separate-stderr sochdb-toon decode - <<<"$output"
	assert_equal "$stderr" "sochdb-toon: line 1, column 16: a tabular header takes its rows on the lines below (the compact form needs decode --compact)"
	run -3 sochdb-toon decode - <<<'users[2]{name}:a,b;c'
	run -0 sochdb-toon decode --no-strict - <<<'users[1]{name}:Alice'
	assert_output '{"users":["Alice"]}'
	# quoting in the compact form: separators, look-alikes, empties
	run -0 sochdb-toon encode --compact - <<<'[{"s":"a;b","t":"1","u":"","v":null}]'
	assert_output '[1]{s,t,u,v}:"a;b","1","",null'
	run -0 sochdb-toon decode --compact - <<<'[1]{s,t,u,v}:"a;b","1","",null'
	assert_output '[{"s":"a;b","t":"1","u":"","v":null}]'
	run -3 --separate-stderr sochdb-toon decode --compact - <<<'t[2]{a}:1'
	assert_equal "$stderr" "sochdb-toon: line 1, column 10: fewer rows than the declared count"
	run -3 --separate-stderr sochdb-toon encode --compact - <<<'{"a":1}'
	assert_equal "$stderr" "sochdb-toon: compact form needs arrays of objects"
}
