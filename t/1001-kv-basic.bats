#!/usr/bin/env bats
# 1001-kv-basic: put/get/del/exists, escaping, stdin values, namespaces,
# TTL, limits, missing and foreign directories, exit codes.

load test_helper

setup() { setup_db; }

@test "put then get prints the exact bytes, no newline" {
	run -0 --separate-stderr sochdb-kv put greeting "hello world"
	[ -z "$output" ] && [ -z "$stderr" ]
	run -0 --separate-stderr sochdb-kv get greeting
	[ "$output" = "hello world" ]
	sochdb-kv get greeting >"$BATS_TEST_TMPDIR/out"
	[ "$(wc -c <"$BATS_TEST_TMPDIR/out")" -eq 11 ]
}

@test "get of an absent key exits 1 with nothing printed" {
	sochdb-kv put a 1
	run -1 --separate-stderr sochdb-kv get b
	[ -z "$output" ] && [ -z "$stderr" ]
}

@test "reading commands on a missing directory exit 3: no database" {
	for sub in "get k" "exists k" "scan" "ls" "dump" "stats"; do
		run -3 --separate-stderr sochdb-kv $sub
		[ "$stderr" = "sochdb-kv: no database at '$SOCHDB_DIR'" ] || fail "$sub: $stderr"
		[ ! -e "$SOCHDB_DIR" ]
	done
}

@test "-d/--db names the directory; \$SOCHDB_DIR and ./sochdb_data are defaults" {
	run -0 sochdb-kv put -d "$BATS_TEST_TMPDIR/other" k v
	run -0 sochdb-kv get --db "$BATS_TEST_TMPDIR/other" k
	[ "$output" = v ]
	run -0 sochdb-kv get --db="$BATS_TEST_TMPDIR/other" k
	cd "$BATS_TEST_TMPDIR"
	unset SOCHDB_DIR
	run -0 sochdb-kv put here yes
	[ -f sochdb_data/MANIFEST ]
	run -0 sochdb-kv get here
	[ "$output" = yes ]
}

@test "a non-empty directory that is not a database is refused, untouched" {
	mkdir -p "$SOCHDB_DIR"
	echo data >"$SOCHDB_DIR/notes.txt"
	run -3 --separate-stderr sochdb-kv put k v
	[ "$stderr" = "sochdb-kv: '$SOCHDB_DIR' is not a sochdb database" ]
	run -3 --separate-stderr sochdb-kv get k
	[ "$stderr" = "sochdb-kv: '$SOCHDB_DIR' is not a sochdb database" ]
	[ "$(ls "$SOCHDB_DIR")" = notes.txt ]
}

@test "an empty existing directory becomes a database on the first write" {
	mkdir -p "$SOCHDB_DIR"
	run -3 sochdb-kv get k
	run -0 sochdb-kv put k v
	[ -f "$SOCHDB_DIR/MANIFEST" ]
}

@test "put KEY - stores stdin's exact bytes (binary, newlines)" {
	printf 'line1\nline2\n\000\377tail' >"$BATS_TEST_TMPDIR/in"
	run -0 sochdb-kv put blob - <"$BATS_TEST_TMPDIR/in"
	sochdb-kv get blob >"$BATS_TEST_TMPDIR/out"
	cmp "$BATS_TEST_TMPDIR/in" "$BATS_TEST_TMPDIR/out"
	: >"$BATS_TEST_TMPDIR/empty"
	run -0 sochdb-kv put empty - <"$BATS_TEST_TMPDIR/empty"
	run -0 sochdb-kv get empty
	[ -z "$output" ]
}

@test "-e/--escaped names any byte in KEY and VALUE" {
	run -0 sochdb-kv put -e 'tab\there' 'a\nb\x01'
	run -0 sochdb-kv get -e 'tab\there'
	[ "$output" = "$(printf 'a\nb\001')" ]
	run -0 sochdb-kv scan
	[ "$output" = 'tab\there	a\nb\x01' ]
	run -0 sochdb-kv exists --escaped 'tab\there'
	run -2 --separate-stderr sochdb-kv put -e 'bad\q' v
	[[ "$stderr" == "sochdb-kv: invalid escape in KEY at column 4"* ]]
}

@test "arguments are literal without -e; -- ends options" {
	run -0 sochdb-kv put 'a\tb' '\x41'
	run -0 sochdb-kv get 'a\tb'
	[ "$output" = '\x41' ]
	run -0 sochdb-kv put -- -dash value
	run -0 sochdb-kv get -- -dash
	[ "$output" = value ]
}

@test "del is idempotent; exists answers by exit status only" {
	sochdb-kv put k v
	run -0 --separate-stderr sochdb-kv exists k
	[ -z "$output" ]
	run -0 sochdb-kv del k
	run -1 --separate-stderr sochdb-kv exists k
	[ -z "$output" ] && [ -z "$stderr" ]
	run -0 sochdb-kv del k
	run -0 sochdb-kv del never-existed
	run -1 sochdb-kv get k
}

@test "overwrites: the newest value wins, also across checkpoints" {
	for i in 1 2 3; do sochdb-kv put k "v$i"; done
	run -0 sochdb-kv get k
	[ "$output" = v3 ]
	sochdb-wal checkpoint
	sochdb-kv put k v4
	run -0 sochdb-kv get k
	[ "$output" = v4 ]
	sochdb-kv del k
	sochdb-wal checkpoint
	run -1 sochdb-kv get k
	sochdb-wal compact
	run -1 sochdb-kv get k
}

@test "get --stdin: escaped keys in, one value or \\N per line out; exit 1 if any absent" {
	sochdb-kv put a 1
	sochdb-kv put 'b c' $'two\tcols'
	run -0 --separate-stderr bash -c 'printf "a\nb c\n" | sochdb-kv get --stdin'
	[ "$output" = $'1\ntwo\\tcols' ]
	run -1 --separate-stderr bash -c 'printf "a\nzz\na\n" | sochdb-kv get --stdin'
	[ "$output" = $'1\n\\N\n1' ]
	run -0 bash -c 'printf "a" | sochdb-kv get --stdin'
	[ "$output" = 1 ]
	printf 'a\nb c\nnone\n' >"$BATS_TEST_TMPDIR/keys"
	run -1 sochdb-kv get --stdin <"$BATS_TEST_TMPDIR/keys"
	[ "$output" = $'1\ntwo\\tcols\n\\N' ]
	run -2 --separate-stderr sochdb-kv get --stdin a
	[[ "$stderr" == "sochdb-kv: KEY and --stdin exclude each other"* ]]
}

@test "get --stdin answers a co-process line by line" {
	sochdb-kv put a 1
	run -0 bash -c 'coproc K { sochdb-kv get --stdin; }
		echo a >&"${K[1]}"; read -r -t 5 ans <&"${K[0]}"; echo "got:$ans"
		exec {K[1]}>&-; wait'
	[ "$output" = "got:1" ]
}

@test "-n NAMESPACE scopes every key" {
	sochdb-kv put k default
	sochdb-kv put -n users k scoped
	run -0 sochdb-kv get k
	[ "$output" = default ]
	run -0 sochdb-kv get -n users k
	[ "$output" = scoped ]
	run -1 sochdb-kv get -n other k
	run -0 sochdb-kv scan -n users
	[ "$output" = $'k\tscoped' ]
	run -0 sochdb-kv scan
	[ "$output" = $'k\tdefault' ]
	sochdb-kv del -n users k
	run -0 sochdb-kv get k
	run -2 --separate-stderr sochdb-kv get -n '' k
	[[ "$stderr" == "sochdb-kv: empty namespace"* ]]
}

@test "--ttl: keys expire (invisible at once), compaction drops them" {
	now=$(date +%s%3N)
	run -0 sochdb-kv put --ttl 10 k v
	sochdb-kv put keep v
	run -0 sochdb-kv get k
	SDB_NOW_MS=$((now + 14000)) run -1 sochdb-kv get k
	SDB_NOW_MS=$((now + 14000)) run -0 sochdb-kv scan
	[ "$output" = $'keep\tv' ]
	run -0 sochdb-kv dump --format jsonl
	[[ "$output" == *'{"key":"k","value":"v","expires_ms":'* ]]
	sochdb-wal checkpoint
	SDB_NOW_MS=$((now + 14000)) sochdb-wal compact
	run -0 sochdb-kv dump
	[ "$output" = $'keep\tv' ]
	run -2 --separate-stderr sochdb-kv put --ttl 0 k v
	[[ "$stderr" == "sochdb-kv: invalid value '0' for --ttl"* ]]
}

@test "limits: empty key, key over 4096 bytes, value over 16 MiB, namespace over 255 bytes" {
	run -2 --separate-stderr sochdb-kv put '' v
	[ "$stderr" = "sochdb-kv: empty key" ]
	long=$(head -c 4097 /dev/zero | tr '\0' k)
	run -3 --separate-stderr sochdb-kv put "$long" v
	[ "$stderr" = "sochdb-kv: key longer than 4096 bytes" ]
	run -0 sochdb-kv put "${long:1}" v
	head -c $((16 * 1024 * 1024 + 1)) /dev/zero >"$BATS_TEST_TMPDIR/big"
	run -3 --separate-stderr sochdb-kv put big - <"$BATS_TEST_TMPDIR/big"
	[ "$stderr" = "sochdb-kv: value longer than 16777216 bytes" ]
	run -1 sochdb-kv get big
	# a size limit exits 3 as man/sochdb-kv.1 says (was 2, a usage error)
	ns=$(head -c 256 /dev/zero | tr '\0' n)
	run -3 --separate-stderr sochdb-kv put -n "$ns" k v
	[ "$stderr" = "sochdb-kv: namespace longer than 255 bytes" ] || fail "$stderr"
	run -3 --separate-stderr sochdb-kv get -n "$ns" k
	run -0 sochdb-kv put -n "${ns:1}" k v
}

@test "usage errors exit 2: missing arguments, bad option values" {
	run -2 --separate-stderr sochdb-kv put k
	[[ "$stderr" == "sochdb-kv: missing VALUE"* ]]
	run -2 --separate-stderr sochdb-kv get
	[[ "$stderr" == "sochdb-kv: missing KEY"* ]]
	run -2 --separate-stderr sochdb-kv put k v --sync sometimes
	[[ "$stderr" == "sochdb-kv: invalid value 'sometimes' for --sync (expected full, normal or off)"* ]]
	run -2 --separate-stderr sochdb-kv put k v --lock-timeout
	[[ "$stderr" == "sochdb-kv: option '--lock-timeout' requires a value"* ]]
	run -2 --separate-stderr sochdb-kv get a b
	[[ "$stderr" == "sochdb-kv: unexpected argument 'b'"* ]]
}

@test "a database of a newer format version is refused" {
	sochdb-kv put k v
	# bump the version field and fix the manifest's checksum
	/usr/bin/python3 - "$SOCHDB_DIR/MANIFEST" <<'PY'
import sys, struct, zlib
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
b[8:12] = struct.pack('<I', 2)
def crc32c(data):
    crc = 0xffffffff
    for x in data:
        crc ^= x
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xffffffff
b[-4:] = struct.pack('<I', crc32c(bytes(b[:-4])))
open(p, 'wb').write(b)
PY
	run -3 --separate-stderr sochdb-kv get k
	[[ "$stderr" == "sochdb-kv: unsupported database format in '$SOCHDB_DIR/MANIFEST': format version 2 is not supported (this build reads 1)" ]] || fail "$stderr"
	run -3 sochdb-kv put k v2
}
