#!/usr/bin/env bats
# 1002-kv-scan: scan (ranges, order, limit, formats), ls, dump and load.

load test_helper

setup() {
	setup_db
	printf 'b\t2\na\t1\nc/x\t3\nc/y\t4\nd\tfour\n' >"$BATS_TEST_TMPDIR/in.tsv"
	sochdb-kv load "$BATS_TEST_TMPDIR/in.tsv"
}

@test "scan: all keys in order as KEY<TAB>VALUE" {
	run -0 --separate-stderr sochdb-kv scan
	[ "$output" = $'a\t1\nb\t2\nc/x\t3\nc/y\t4\nd\tfour' ]
}

@test "scan --prefix, --start/--end (half-open), --reverse, --limit, --keys-only" {
	run -0 sochdb-kv scan --prefix c/
	[ "$output" = $'c/x\t3\nc/y\t4' ]
	run -0 sochdb-kv scan --start b --end c/y
	[ "$output" = $'b\t2\nc/x\t3' ]
	run -0 sochdb-kv scan --reverse
	[ "$output" = $'d\tfour\nc/y\t4\nc/x\t3\nb\t2\na\t1' ]
	run -0 sochdb-kv scan --reverse --start b --end d
	[ "$output" = $'c/y\t4\nc/x\t3\nb\t2' ]
	run -0 sochdb-kv scan --limit 2
	[ "$output" = $'a\t1\nb\t2' ]
	run -0 sochdb-kv scan --limit 0
	[ -z "$output" ]
	run -0 sochdb-kv scan --keys-only --prefix c
	[ "$output" = $'c/x\nc/y' ]
	run -0 sochdb-kv scan --prefix zz
	[ -z "$output" ]
}

@test "scan merges the WAL, several tables and deletions" {
	sochdb-wal checkpoint
	sochdb-kv put b 22
	sochdb-kv del c/x
	sochdb-wal checkpoint
	sochdb-kv put aa new
	sochdb-kv del d
	run -0 sochdb-kv scan
	[ "$output" = $'a\t1\naa\tnew\nb\t22\nc/y\t4' ]
	run -0 sochdb-kv scan --reverse
	[ "$output" = $'c/y\t4\nb\t22\naa\tnew\na\t1' ]
}

@test "scan --format jsonl, json, toon; non-UTF-8 as _b64" {
	run -0 sochdb-kv scan --format jsonl --limit 2
	[ "$output" = $'{"key":"a","value":"1"}\n{"key":"b","value":"2"}' ]
	run -0 sochdb-kv scan --format json --prefix c/
	[ "$output" = '[{"key":"c/x","value":"3"},{"key":"c/y","value":"4"}]' ]
	run -0 sochdb-kv scan --format toon --start c
	[ "$output" = $'[3]{key,value}:\n  c/x,"3"\n  c/y,"4"\n  d,four' ]
	run -0 sochdb-kv scan --format toon --prefix none
	[ "$output" = '[]' ]
	run -0 sochdb-kv scan --format json --prefix none
	[ "$output" = '[]' ]
	sochdb-kv put -e 'bin\xFF' 'v\xFE'
	run -0 sochdb-kv scan --format jsonl --prefix bin
	[ "$output" = '{"key_b64":"YmluLw==","value_b64":"dv4="}' ] || [ "$output" = '{"key_b64":"Ymlu/w==","value_b64":"dv4="}' ]
	run -0 sochdb-kv scan --format jsonl --keys-only --prefix c/
	[ "$output" = $'{"key":"c/x"}\n{"key":"c/y"}' ]
	run -2 --separate-stderr sochdb-kv scan --format xml
	[[ "$stderr" == "sochdb-kv: invalid value 'xml' for --format"* ]]
}

@test "ls PATH/: immediate children, sorted, prefixes with a trailing /" {
	sochdb-kv put users/alice/email a@x
	sochdb-kv put users/alice 1
	sochdb-kv put users/bob/age 30
	sochdb-kv put users/carol x
	run -0 sochdb-kv ls users/
	[ "$output" = $'alice\nalice/\nbob/\ncarol' ]
	run -0 sochdb-kv ls users
	[ "$output" = $'alice\nalice/\nbob/\ncarol' ]
	run -0 sochdb-kv ls users/alice/
	[ "$output" = email ]
	run -0 sochdb-kv ls
	[ "$output" = $'a\nb\nc/\nd\nusers/' ]
	run -0 sochdb-kv ls nothing/
	[ -z "$output" ]
}

@test "dump and load round-trip TTLs, namespaces and odd bytes (tsv, jsonl, json, toon)" {
	sochdb-kv put --ttl 1000 t v
	sochdb-kv put -n ns1 k 'in ns'
	sochdb-kv put -e 'x\ty' 'a\nb\xFF'
	for fmt in tsv jsonl json toon; do
		sochdb-kv dump --format $fmt >"$BATS_TEST_TMPDIR/dump.$fmt"
		run -0 sochdb-kv load --format $fmt -d "$BATS_TEST_TMPDIR/copy.$fmt" "$BATS_TEST_TMPDIR/dump.$fmt"
		run -0 sochdb-kv dump --format $fmt -d "$BATS_TEST_TMPDIR/copy.$fmt"
		[ "$output" = "$(cat "$BATS_TEST_TMPDIR/dump.$fmt")" ] || fail "$fmt differs"
	done
	run -0 sochdb-kv get -d "$BATS_TEST_TMPDIR/copy.tsv" -n ns1 k
	[ "$output" = "in ns" ]
	run -0 sochdb-kv dump -n ns1
	[ "$output" = $'k\tin ns\t\\N\tns1' ]
	grep -q $'^k\tin ns\t\\\\N\tns1$' "$BATS_TEST_TMPDIR/dump.tsv"
	grep -q '"ns":"ns1"' "$BATS_TEST_TMPDIR/dump.jsonl"
	run -0 sochdb-kv dump --format toon -n ns1
	[ "$output" = $'[1]{key,value,ns}:\n  k,in ns,ns1' ]
}

@test "load: one transaction; a malformed line is reported and nothing applied" {
	printf 'n1\tv1\nn2 no tab\nn3\tv3\n' >"$BATS_TEST_TMPDIR/bad.tsv"
	run -3 --separate-stderr sochdb-kv load "$BATS_TEST_TMPDIR/bad.tsv"
	[ "$stderr" = "sochdb-kv: line 2: expected KEY<TAB>VALUE[<TAB>EXPIRES_MS[<TAB>NS]] (nothing loaded)" ]
	run -1 sochdb-kv get n1
	run -3 --separate-stderr sochdb-kv load --partial "$BATS_TEST_TMPDIR/bad.tsv"
	[ "$stderr" = "sochdb-kv: line 2: expected KEY<TAB>VALUE[<TAB>EXPIRES_MS[<TAB>NS]] (the lines before it were committed)" ]
	run -0 sochdb-kv get n1
	run -1 sochdb-kv get n3
	printf 'e1\tok\ne2\tbad\\q\n' >"$BATS_TEST_TMPDIR/esc.tsv"
	run -3 --separate-stderr sochdb-kv load "$BATS_TEST_TMPDIR/esc.tsv"
	[ "$stderr" = "sochdb-kv: line 2, column 7: invalid escape (nothing loaded)" ]
}

@test "load from stdin, jsonl errors with line and column, \\N deletes" {
	run -0 bash -c 'printf "s1\tv\ns2\tw\n" | sochdb-kv load'
	run -0 sochdb-kv get s2
	run -0 bash -c 'printf "s1\t\\\\N\n" | sochdb-kv load -'
	run -1 sochdb-kv get s1
	printf '{"key":"j1","value":"x"}\n{"key":"j2","value":}\n' >"$BATS_TEST_TMPDIR/bad.jsonl"
	run -3 --separate-stderr sochdb-kv load --format jsonl "$BATS_TEST_TMPDIR/bad.jsonl"
	[ "$stderr" = "sochdb-kv: line 2, column 21: unexpected '}' (nothing loaded)" ]
	printf '{"key":"j1"}\n' >"$BATS_TEST_TMPDIR/nokey.jsonl"
	run -3 --separate-stderr sochdb-kv load --format jsonl "$BATS_TEST_TMPDIR/nokey.jsonl"
	[ "$stderr" = "sochdb-kv: line 1: object needs \"key\" and \"value\" (nothing loaded)" ]
	printf '{"key":"u\\u00e9","value_b64":"/wA="}\n' >"$BATS_TEST_TMPDIR/ok.jsonl"
	run -0 sochdb-kv load --format jsonl "$BATS_TEST_TMPDIR/ok.jsonl"
	run -0 sochdb-kv scan --format jsonl --prefix u
	[ "$output" = '{"key":"ué","value_b64":"/wA="}' ]
	run -2 sochdb-kv load --format xml
}

@test "load --ttl applies to records without an expiry" {
	now=$(date +%s%3N)
	printf 'l1\tv\n' | sochdb-kv load --ttl 5
	run -0 sochdb-kv get l1
	SDB_NOW_MS=$((now + 9000)) run -1 sochdb-kv get l1
}

@test "scan --format toon decodes (sochdb-toon) to the same records as --format json" {
	command -v sochdb-toon >/dev/null || skip "sochdb-toon is not built"
	sochdb-kv put q1 ' lead'
	sochdb-kv put q2 'x,y'
	sochdb-kv put q3 'true'
	sochdb-kv put q4 'q"uote: [x]'
	sochdb-kv put -e q5 'tab\there'
	sochdb-kv put q6 '05'
	sochdb-kv put q7 'héllo wörld'
	sochdb-kv put q8 ''
	sochdb-kv put -- q9 '-dash'
	sochdb-kv scan --format toon >"$BATS_TEST_TMPDIR/t.toon"
	run -0 sochdb-toon decode "$BATS_TEST_TMPDIR/t.toon"
	[ "$output" = "$(sochdb-kv scan --format json)" ]
}
