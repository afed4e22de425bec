#!/usr/bin/env bats
# 1007-kv-output: the listings through lib/fmt and the faults a new user
# found in them (issue 9: B4 dump -n | load, B5 exit 4 after a commit,
# B7 ls of keys that begin with '/', B13 get --stdin, toon _b64 columns,
# empty results).

load test_helper

setup() {
	setup_db
}

@test "B4: dump -n NS | load (default format, no flags) restores the keys into NS" {
	sochdb-kv put -n app k1 v1
	sochdb-kv put -n app --ttl 1000 k2 v2
	sochdb-kv put top t
	sochdb-kv dump -n app >"$BATS_TEST_TMPDIR/app.tsv"
	run -0 sochdb-kv load -d "$BATS_TEST_TMPDIR/copy" "$BATS_TEST_TMPDIR/app.tsv"
	run -0 sochdb-kv get -d "$BATS_TEST_TMPDIR/copy" -n app k1
	[ "$output" = v1 ]
	run -0 sochdb-kv get -d "$BATS_TEST_TMPDIR/copy" -n app k2
	run -1 sochdb-kv get -d "$BATS_TEST_TMPDIR/copy" k1
	run -1 sochdb-kv get -d "$BATS_TEST_TMPDIR/copy" top
	run -0 sochdb-kv dump -d "$BATS_TEST_TMPDIR/copy" -n app
	[ "$output" = "$(cat "$BATS_TEST_TMPDIR/app.tsv")" ]
}

@test "B4: load reads every format dump writes (tsv, jsonl, json, toon), namespaces included" {
	sochdb-kv put -n app k1 v1
	sochdb-kv put -e 'b\xFF' 'x'
	sochdb-kv put -e 'c' 'y\xFE'
	sochdb-kv put --ttl 1000 plain 42
	for fmt in tsv jsonl json toon; do
		sochdb-kv dump --format $fmt >"$BATS_TEST_TMPDIR/d.$fmt"
		run -0 sochdb-kv load --format $fmt -d "$BATS_TEST_TMPDIR/c.$fmt" "$BATS_TEST_TMPDIR/d.$fmt"
		run -0 sochdb-kv dump -d "$BATS_TEST_TMPDIR/c.$fmt"
		[ "$output" = "$(sochdb-kv dump)" ] || fail "$fmt: $output"
		run -0 sochdb-kv dump -n app --format $fmt
		run -0 sochdb-kv load --format $fmt -d "$BATS_TEST_TMPDIR/n.$fmt" <<<"$output"
		run -0 sochdb-kv get -d "$BATS_TEST_TMPDIR/n.$fmt" -n app k1
		[ "$output" = v1 ]
	done
	run -3 --separate-stderr sochdb-kv load --format json <<<'{"key":"a"}'
	[ "$stderr" = "sochdb-kv: expected an array of records (nothing loaded)" ]
	run -3 --separate-stderr sochdb-kv load --format json <<<'[{"key":"a","value":"1"},{"key":"b"}]'
	[ "$stderr" = "sochdb-kv: record 2: object needs \"key\" and \"value\" (nothing loaded)" ]
	run -3 --separate-stderr sochdb-kv load --format toon <<<$'[1]{key,value}:\n  a'
	[[ "$stderr" == "sochdb-kv: line 2"* ]]
	run -1 sochdb-kv get a
}

@test "B5: txn that committed and cannot write its output exits 4, not 3" {
	[ -w /dev/full ] || skip "no /dev/full"
	run -4 --separate-stderr bash -c "printf 'put\tx\t1\nget\tx\n' | sochdb-kv txn >/dev/full"
	[ "$stderr" = "sochdb-kv: committed; writing output failed: No space left on device" ]
	run -0 sochdb-kv get x
	[ "$output" = 1 ]
	# a conflict still exits 3 with nothing applied
	run -3 bash -c "printf 'put\ty\t1\ncas\tx\t2\t3\nget\tx\n' | sochdb-kv txn >/dev/full"
	run -1 sochdb-kv get y
	# a read-only command that cannot write is a plain failure (3)
	run -3 --separate-stderr bash -c "sochdb-kv scan >/dev/full"
	[ "$stderr" = "sochdb-kv: write failure on standard output: No space left on device" ]
	# writers that print nothing succeed on a full stdout
	run -0 bash -c "sochdb-kv put z 1 >/dev/full && sochdb-kv del z >/dev/full"
	run -0 bash -c "printf 'l\t1\n' | sochdb-kv load >/dev/full"
	run -0 bash -c "sochdb-wal checkpoint >/dev/full"
}

@test "B7: ls / lists the children of keys that begin with /" {
	sochdb-kv put /config/app 1
	sochdb-kv put /users/alice 2
	sochdb-kv put /top 3
	sochdb-kv put plain/x 4
	run -0 sochdb-kv ls /
	[ "$output" = $'config/\ntop\nusers/' ]
	run -0 sochdb-kv ls /config
	[ "$output" = app ]
	run -0 sochdb-kv ls
	[ "$output" = $'/\nplain/' ]
}

@test "B13: get --stdin answers the lines before a bad one, then exit 3 names it" {
	sochdb-kv put a 1
	sochdb-kv put c 3
	printf 'a\nzz\nb\\q\nc\n' >"$BATS_TEST_TMPDIR/keys"
	run -3 --separate-stderr sochdb-kv get --stdin <"$BATS_TEST_TMPDIR/keys"
	[ "$output" = $'1\n\\N' ]
	[ "$stderr" = "sochdb-kv: line 3, column 2: invalid escape" ]
	run -3 --separate-stderr bash -c "cat '$BATS_TEST_TMPDIR/keys' | sochdb-kv get --stdin"
	[ "$output" = $'1\n\\N' ]
}

@test "B13: toon keeps readable rows readable: _b64 cells only where needed" {
	sochdb-kv put a 1
	sochdb-kv put -e 'b\xFF' two
	sochdb-kv put -e c 'x\xFE'
	run -0 sochdb-kv scan --format toon
	[ "$output" = $'[3]{key,key_b64,value,value_b64}:\n  a,null,"1",null\n  null,"Yv8=",two,null\n  c,null,null,"eP4="' ]
	run -0 sochdb-kv scan --format toon --keys-only --prefix a
	[ "$output" = $'[1]{key}:\n  a' ]
	run -0 sochdb-kv scan --format toon --prefix b
	[ "$output" = $'[1]{key_b64,value}:\n  "Yv8=",two' ]
	run -0 sochdb-kv scan --format jsonl
	[ "${lines[1]}" = '{"key_b64":"Yv8=","value":"two"}' ]
	# the table decodes to the same records as json
	run -0 --separate-stderr sochdb-toon decode <<<"$(sochdb-kv scan --format toon)"
	[ "$output" = '[{"key":"a","key_b64":null,"value":"1","value_b64":null},{"key":null,"key_b64":"Yv8=","value":"two","value_b64":null},{"key":"c","key_b64":null,"value":null,"value_b64":"eP4="}]' ]
}

@test "B13: an empty result is [] in toon for every tool, [] in json, nothing in tsv/jsonl" {
	sochdb-kv put a 1
	run -0 sochdb-kv scan --format toon --prefix none
	[ "$output" = '[]' ]
	run -0 sochdb-kv scan --format json --prefix none
	[ "$output" = '[]' ]
	run -0 sochdb-kv scan --format jsonl --prefix none
	[ -z "$output" ]
	run -0 sochdb-kv dump --format toon -n empty
	[ "$output" = '[]' ]
	run -0 sochdb-wal dump --from 999999 --format toon
	[ "$output" = '[]' ]
	run -0 sochdb-toon encode <<<'[]'
	[ "$output" = '[]' ]
	run -0 sochdb-toon decode <<<'[]'
	[ "$output" = '[]' ]
}

@test "stats: toon record and json object through the row writer" {
	sochdb-kv put a 1
	run -0 sochdb-kv stats
	[ "${lines[0]}" = 'keys: 1' ]
	[ "${lines[8]}" = 'tables_per_level[7]: 0,0,0,0,0,0,0' ]
	[ "${lines[10]}" = 'compression_ratio: 0' ]
	run -0 sochdb-kv stats --format json
	[[ "$output" == '{"keys":1,"live_bytes":'*',"tables_per_level":[0,0,0,0,0,0,0],"table_bytes":0,"compression_ratio":0.00}' ]]
	run -2 --separate-stderr sochdb-kv stats --format csv
	[ "${stderr%%$'\n'*}" = "sochdb-kv: invalid value 'csv' for --format (expected json or toon)" ]
}
