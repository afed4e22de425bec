#!/usr/bin/env bats
# 4003-toon-errors: bad input gives one line "sochdb-toon: line L, column
# C: what", exit 3, nothing on stdout, and no output file left behind.

load test_helper

setup() {
	cd "$BATS_TEST_TMPDIR"
}

bad_json() { # $1 input, $2 expected stderr
	printf '%s' "$1" >in.json
	run -3 --separate-stderr sochdb-toon encode in.json
	[ -z "$output" ] || fail "stdout not empty: $output"
	assert_equal "$stderr" "sochdb-toon: $2"
}

@test "malformed JSON is reported with line and column" {
	bad_json '{"a":1,}' "line 1, column 8: trailing comma in object"
	bad_json '[1,2,]' "line 1, column 6: trailing comma in array"
	bad_json $'{\n  "a": 01\n}' "line 2, column 8: number with leading zeros"
	bad_json '{"a":1} // c' "line 1, column 9: unexpected content after the JSON value"
	bad_json '{"a":"\q"}' "line 1, column 7: invalid escape '\\q' in string"
	bad_json '["\ud800"]' "line 1, column 3: lone surrogate in \\u escape"
	bad_json '["\udc00\ud800"]' "line 1, column 3: lone surrogate in \\u escape"
	bad_json $'["a\tb"]' "line 1, column 4: control character in string (must be escaped)"
	bad_json '{"a" 1}' "line 1, column 6: expected ':' after object key"
	bad_json '{"a":1' "line 1, column 7: unexpected end of input"
	bad_json "{'a':1}" "line 1, column 2: expected a string key"
	bad_json 'tru' "line 1, column 1: unexpected 't'"
	bad_json '' "line 1, column 1: unexpected end of input"
	bad_json '[1.]' "line 1, column 4: invalid number: digit expected after '.'"
	bad_json '"abc' "line 1, column 1: unterminated string"
	bad_json '[NaN]' "line 1, column 2: unexpected 'N'"
}

@test "invalid UTF-8 is rejected in JSON and TOON" {
	printf '["caf\xe9"]' >in.json
	run -3 --separate-stderr sochdb-toon encode in.json
	assert_equal "$stderr" "sochdb-toon: line 1, column 6: invalid UTF-8 in string"
	printf 'a: ok\nb: caf\xc3\x28' >in.toon
	run -3 --separate-stderr sochdb-toon decode in.toon
	assert_equal "$stderr" "sochdb-toon: line 2, column 7: invalid UTF-8"
	[ -z "$output" ]
}

@test "malformed TOON: counts, widths, indentation, escapes, missing colons" {
	bad_toon() {
		printf '%s' "$1" >in.toon
		run -3 --separate-stderr sochdb-toon decode in.toon
		[ -z "$output" ] || fail "stdout not empty: $output"
		assert_equal "$stderr" "sochdb-toon: $2"
	}
	bad_toon $'tags[3]: a,b' "line 1, column 1: expected 3 inline array items, but got 2"
	bad_toon $'t[2]{a,b}:\n  1,2' "line 2, column 3: expected 2 tabular rows, but got 1"
	bad_toon $'t[1]{a,b}:\n  1,2,3' "line 2, column 3: expected 2 tabular row values, but got 3"
	bad_toon $'l[1]:\n  - a\n  - b' "line 3, column 3: expected 1 list array items, but found more"
	bad_toon $'a:\n\tb: 1' "line 2, column 1: tabs are not allowed in indentation"
	bad_toon 'a: "x\z"' "line 1, column 6: invalid escape '\\z'"
	bad_toon 'a: "open' "line 1, column 4: unterminated string: missing closing quote"
	bad_toon $'a: 1\nnot a pair' "line 2, column 11: missing colon after key"
	bad_toon $'x\ny' "line 1, column 1: the document must start with a key-value or array-header line"
	bad_toon 'a[03]: x' "line 1, column 2: invalid array length '03' (expected a non-negative integer without leading zeros)"
	bad_toon $'t[2]:\n  - a\n\n  - b' "line 3, column 1: blank lines inside list array are not allowed in strict mode"
	bad_toon $'u[1]{"x\\q",b}:\n  1,2' "line 1, column 8: invalid escape '\\q'"
	bad_toon 'a: "\ud83d\ude00"' "line 1, column 5: invalid escape: \\ud83d is a surrogate; write the character as UTF-8"
}

@test "strict decode never drops a line: over-indented, indented first, skipped level (regression: printed {\"a\":1}, exit 0)" {
	bad_indent() {
		printf '%s' "$1" >in.toon
		run -3 --separate-stderr sochdb-toon decode in.toon
		[ -z "$output" ] || fail "stdout not empty: $output"
		assert_equal "$stderr" "sochdb-toon: $2"
	}
	# a nested line under a primitive value
	bad_indent $'a: 1\n  b: 2\n' "line 2, column 3: unexpected indentation: the line before takes no nested lines, found 2 spaces"
	# an indented first line
	bad_indent $'  a: 1\n  b: 2\n' "line 1, column 3: unexpected indentation: expected 0 spaces here, found 2"
	bad_indent $'  x' "line 1, column 3: unexpected indentation: expected 0 spaces here, found 2"
	# a skipped indentation level (the fields of a at depth 2)
	bad_indent $'a:\n    b: 1\n  c: 2\n' "line 2, column 5: unexpected indentation: expected 2 spaces here, found 4"
	bad_indent $'a:\n  b:\n      c: 1' "line 3, column 7: unexpected indentation: expected 4 spaces here, found 6"
	# an over-indented line after a table row, a list item, a list-item object
	bad_indent $'t[1]{a}:\n  1\n    2\n' "line 3, column 5: unexpected indentation: the line before takes no nested lines, found 4 spaces"
	bad_indent $'l[1]:\n  - x\n      y: 1' "line 3, column 7: unexpected indentation: the line before takes no nested lines, found 6 spaces"
	bad_indent $'l[1]:\n  - k: v\n        z: 1' "line 3, column 9: unexpected indentation: the line before takes no nested lines, found 8 spaces"
	# a second value after a root array
	bad_indent $'[1]: a\nb: 1' "line 2, column 1: unexpected line after the root array"
	# with --indent 4 the levels are 4 spaces
	printf 'a:\n        b: 1' >in.toon
	run -3 --separate-stderr sochdb-toon decode --indent 4 in.toon
	assert_equal "$stderr" "sochdb-toon: line 2, column 9: unexpected indentation: expected 4 spaces here, found 8"
	# well-formed nesting still decodes, and --no-strict keeps the 2.3.1 reading
	run -0 sochdb-toon decode - <<<$'a:\n  b: 1\n  c:\n    d: 2\ne: 3'
	assert_output '{"a":{"b":1,"c":{"d":2}},"e":3}'
	run -0 sochdb-toon decode --no-strict - <<<$'a: 1\n  b: 2'
	assert_output '{"a":1}'
	run -0 sochdb-toon decode --no-strict - <<<$'a:\n    b: 1'
	assert_output '{"a":{"b":1}}'
}

@test "a failed -o leaves neither the file nor a temporary behind" {
	printf '{"a":[1,2,}' >in.json
	run -3 sochdb-toon encode in.json -o out.toon
	[ ! -e out.toon ]
	[ -z "$(ls | grep -v in.json)" ]
	printf 'a: 1\nold' >prev.toon
	printf 't[2]: 1' >in.toon
	run -3 sochdb-toon decode in.toon -o prev.toon
	[ "$(cat prev.toon)" = $'a: 1\nold' ]  # the old file is untouched
	[ "$(ls | wc -l)" -eq 3 ]
}

@test "missing files, directories and unwritable outputs" {
	run -3 --separate-stderr sochdb-toon encode nope.json
	assert_equal "$stderr" "sochdb-toon: cannot open 'nope.json': No such file or directory"
	run -3 --separate-stderr sochdb-toon decode .
	assert_equal "$stderr" "sochdb-toon: cannot read '.': Is a directory"
	printf '{}' >in.json
	run -3 --separate-stderr sochdb-toon encode in.json -o no/such/dir/out.toon
	assert_equal "$stderr" "sochdb-toon: cannot create 'no/such/dir/out.toon': No such file or directory"
}

@test "a full disk is an error, not a success" {
	[ -w /dev/full ] || fail "/dev/full is not available: cannot run this check"
	printf '{"a":[1,2,3]}' >in.json
	run -3 --separate-stderr bash -c 'sochdb-toon encode in.json >/dev/full'
	assert_equal "$stderr" "sochdb-toon: cannot write 'standard output': No space left on device"
	printf 'a: 1' >in.toon
	run -3 --separate-stderr bash -c 'sochdb-toon decode in.toon >/dev/full'
	assert_equal "$stderr" "sochdb-toon: write failure on standard output: No space left on device"
}

@test "usage errors exit 2 with one line and where to look" {
	run -2 --separate-stderr sochdb-toon encode --indent
	[[ "$stderr" == "sochdb-toon: option '--indent' requires a value"* ]]
	run -2 --separate-stderr sochdb-toon encode --indent x
	[[ "$stderr" == "sochdb-toon: invalid value 'x' for --indent (expected 1..64)"* ]]
	run -2 --separate-stderr sochdb-toon decode --no-strict --key-folding safe
	[[ "$stderr" == "sochdb-toon: unknown option '--key-folding'"* ]]
	run -2 --separate-stderr sochdb-toon encode a b
	assert_equal "$stderr" "sochdb-toon: unexpected argument 'b'
Try 'sochdb-toon encode -h' for more information."
	# no -d in sochdb-toon (the reference CLI's -d is --decode here)
	run -2 --separate-stderr sochdb-toon -d
	assert_equal "$stderr" "sochdb-toon: unknown option '-d'
Try 'sochdb-toon -h' for more information."
	run -2 --separate-stderr sochdb-toon decode -d x
	[[ "$stderr" == "sochdb-toon: unknown option '-d'"* ]]
}
