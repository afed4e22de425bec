#!/usr/bin/env bats
# 0001-all-tools: every tool and subcommand follows the shared conventions
# (git t0012): -h, --help and help CMD give usage on stdout with empty
# stderr and exit 0; an unknown option gives exit 2 with the one-line reason
# and "Try 'sochdb-X CMD -h'"; --version; the common options before the
# subcommand; permutation, --, negative values; every subcommand listed in
# --help appears in the tool's man page with the synopsis of its -h.

load test_helper

tools() {
	for b in "$BUILD"/bin/sochdb-*; do [ -x "$b" ] && basename "$b"; done
}

# The tools with subcommands: all but sochdb-sql, which is sqlite3-shaped
# (sochdb-sql [options] [FILE...]; its conventions: t/2100-sql-cli.bats).
sub_tools() {
	tools | grep -vx sochdb-sql
}

# Subcommands: the lines of the "Commands:" section of --help.
subcommands() {
	"$1" --help | awk '/^Commands:/{on=1; next} on && /^$/{exit} on {print $1}'
}

@test "at least one tool is built" {
	run -0 tools
	[ -n "$output" ]
}

# try_line TOOL [CMD]: the second line of every usage error
try_line() {
	echo "Try '$* -h' for more information."
}

@test "every tool: --help, -h, help, --version, unknown option, missing subcommand" {
	for t in $(sub_tools); do
		run -0 --separate-stderr "$t" --help
		[ -z "$stderr" ] || fail "$t --help wrote to stderr"
		assert_output --partial "usage: $t"
		assert_output --partial "Commands:"
		help=$output
		run -0 --separate-stderr "$t" -h
		[ -z "$stderr" ]
		[ "$output" = "$help" ]
		run -0 --separate-stderr "$t" help
		[ -z "$stderr" ]
		[ "$output" = "$help" ] || fail "$t help differs from $t --help"
		run -0 "$t" --version
		assert_output --regexp "^$t [0-9]+\.[0-9]+\.[0-9]+$"
		# --version is long only
		run -2 --separate-stderr "$t" -V
		[[ "$stderr" == "$t: unknown option '-V'"* ]] || fail "$t -V: $stderr"
		# a usage error is one line and where to look, never the whole help
		run -2 --separate-stderr "$t" --no-such-option
		[ -z "$output" ]
		[ "$stderr" = "$t: unknown option '--no-such-option'
$(try_line "$t")" ] || fail "$t: $stderr"
		run -2 --separate-stderr "$t" --no-such-option=1
		[[ "$stderr" == "$t: unknown option '--no-such-option'"$'\n'* ]] || fail "$t: $stderr"
		run -2 --separate-stderr "$t"
		[ "$stderr" = "$t: missing subcommand
$(try_line "$t")" ]
		run -2 --separate-stderr "$t" no-such-subcommand
		[ "$stderr" = "$t: unknown subcommand 'no-such-subcommand'
$(try_line "$t")" ]
		run -2 --separate-stderr "$t" help no-such-subcommand
		[[ "$stderr" == "$t: unknown subcommand 'no-such-subcommand'"* ]]
	done
}

@test "every subcommand: -h, --help and help CMD on stdout, unknown option exits 2 with one line" {
	for t in $(sub_tools); do
		subs=$(subcommands "$t")
		[ -n "$subs" ] || fail "$t lists no commands"
		for s in $subs; do
			run -0 --separate-stderr "$t" "$s" -h
			[ -z "$stderr" ] || fail "$t $s -h wrote to stderr"
			[[ "$output" == "usage: $t $s"* ]] || fail "$t $s -h: $output"
			help=$output
			run -0 --separate-stderr "$t" "$s" --help
			[ -z "$stderr" ]
			[ "$output" = "$help" ]
			run -0 --separate-stderr "$t" help "$s"
			[ -z "$stderr" ]
			[ "$output" = "$help" ] || fail "$t help $s differs from $t $s -h"
			# -h after an argument still helps (options mix with arguments)
			run -0 --separate-stderr "$t" "$s" some-arg -h
			[ "$output" = "$help" ] || fail "$t $s some-arg -h"
			run -2 --separate-stderr "$t" "$s" --no-such-option
			[ -z "$output" ] || fail "$t $s: stdout not empty on usage error"
			[ "$stderr" = "$t: unknown option '--no-such-option'
$(try_line "$t" "$s")" ] || fail "$t $s: $stderr"
			run -2 --separate-stderr "$t" "$s" -Z
			[ "$stderr" = "$t: unknown option '-Z'
$(try_line "$t" "$s")" ] || fail "$t $s -Z: $stderr"
		done
	done
}

@test "every man page's SYNOPSIS has the usage line of each -h" {
	for t in $(tools); do
		m=$TOP/man/$t.1
		syn=$(MANWIDTH=300 man -l -P cat "$m" 2>/dev/null |
			sed -n '/^SYNOPSIS/,/^[A-Z]/{/^ /p}' | sed 's/^ *//' | tr -s ' ')
		for s in $(subcommands "$t") ""; do
			u=$("$t" $s -h | head -1 | sed 's/^usage: //' | tr -s ' ')
			grep -qxF -- "$u" <<<"$syn" || fail "$m: no SYNOPSIS line '$u'"
		done
		[ "$t" = sochdb-sql ] || grep -qxF -- "$t help [COMMAND]" <<<"$syn" || fail "$m: no help line"
	done
}

@test "options before the subcommand, as git's (the common ones only)" {
	cd "$BATS_TEST_TMPDIR"
	run -0 sochdb-kv -d db -n ns --sync off --lock-timeout 5 put k v
	run -0 sochdb-kv -q --db=db get k -n ns
	assert_output "v"
	# after the subcommand wins
	run -0 sochdb-kv -d nowhere -n other get k -d db -n ns
	assert_output "v"
	# a common option the subcommand does not take is ignored before it
	run -0 sochdb-kv --sync off -d db -n ns exists k
	run -0 sochdb-kv -v --progress --no-progress -d db -n ns exists k
	run -0 sochdb-wal -d db -q --lock-timeout 1 verify
	run -0 sochdb-wal --db db -v --sync normal checkpoint
	run -0 sochdb-toon -q -v encode <<<'{"a":1}'
	assert_output "a: 1"
	run -0 sochdb-toon --no-progress --encode <<<'{"a":1}'
	run -0 sochdb-bulk --quiet -v --no-progress info --help
	# the others are not common options
	run -2 --separate-stderr sochdb-kv --prefix a scan
	[ "$stderr" = "sochdb-kv: unknown option '--prefix'
$(try_line sochdb-kv)" ]
	run -2 --separate-stderr sochdb-kv -e put k v
	[[ "$stderr" == "sochdb-kv: unknown option '-e'"* ]]
	run -2 --separate-stderr sochdb-wal --level 1 compact
	[[ "$stderr" == "sochdb-wal: unknown option '--level'"* ]]
	# sochdb-bulk: -q is --query and -d --dimension, so quiet is long only
	run -2 --separate-stderr sochdb-bulk -q info
	[[ "$stderr" == "sochdb-bulk: unknown option '-q'"* ]]
	run -2 --separate-stderr sochdb-bulk -d x.idx info
	[[ "$stderr" == "sochdb-bulk: unknown option '-d'"* ]]
	run -2 --separate-stderr sochdb-toon -d
	[[ "$stderr" == "sochdb-toon: unknown option '-d'"* ]]
	# a missing value before the subcommand
	run -2 --separate-stderr sochdb-kv -d
	[ "$stderr" = "sochdb-kv: option '-d' requires a value
$(try_line sochdb-kv)" ]
}

@test "options and arguments mix (permutation) until --; --opt=value; bundles" {
	cd "$BATS_TEST_TMPDIR"
	export SOCHDB_DIR=$BATS_TEST_TMPDIR/db
	run -0 sochdb-kv put k --sync off v -n ns
	run -0 sochdb-kv get -n ns k
	assert_output "v"
	run -0 sochdb-kv put --ttl=100 -- -k -v
	run -0 sochdb-kv get -- -k
	assert_output "-v"
	run -0 sochdb-kv scan --prefix=- --format jsonl
	[[ "$output" == '{"key":"-k","value":"-v","expires_ms":'* ]]
	run -0 sochdb-kv put -qe 'a\tb' 'x\ny'
	run -0 sochdb-kv get -eq 'a\tb'
	assert_output "x"$'\n'"y"
	run -0 sochdb-kv put -ddb2 k2 v2
	run -0 sochdb-kv get -d db2 k2
	# unambiguous abbreviations of long options
	run -0 sochdb-kv scan --keys --pre k -n ns
	assert_output "k"
	run -2 --separate-stderr sochdb-kv scan --p x
	[[ "$stderr" == "sochdb-kv: ambiguous option '--p'"* ]]
	run -2 --separate-stderr sochdb-kv scan --reverse=1
	[ "$stderr" = "sochdb-kv: option '--reverse' takes no value
$(try_line sochdb-kv scan)" ]
	run -2 --separate-stderr sochdb-kv put k v --sync
	[ "$stderr" = "sochdb-kv: option '--sync' requires a value
$(try_line sochdb-kv put)" ]
	echo '{"a":[1,2]}' >in.json
	run -0 sochdb-toon encode --delimiter pipe in.json --indent=4 -o out.toon
	run -0 cat out.toon
	assert_output "a[2|]: 1|2"
	run -0 sochdb-toon decode -- out.toon
	assert_output '{"a":[1,2]}'
}

@test "a negative number is a value where a value is expected" {
	export SOCHDB_DIR=$BATS_TEST_TMPDIR/db
	run -0 sochdb-kv put n -1
	run -0 sochdb-kv get n
	assert_output "-1"
	run -0 sochdb-kv put -- -2 -3.5
	run -0 sochdb-kv get -2
	assert_output "-3.5"
	run -2 --separate-stderr sochdb-kv scan --limit -1
	[ "$stderr" = "sochdb-kv: invalid value '-1' for --limit (expected 0..9223372036854775807)
$(try_line sochdb-kv scan)" ]
	run -2 --separate-stderr sochdb-bulk query --index x.idx --vector 1 -k -1
	[[ "$stderr" == "sochdb-bulk: invalid value '-1' for --k (expected 1..1048576)"* ]]
	run -2 --separate-stderr sochdb-toon encode --indent -2
	[[ "$stderr" == "sochdb-toon: invalid value '-2' for --indent (expected 1..64)"* ]]
}

@test "--lock-timeout takes a finite number of seconds: nan, inf, negative are usage errors" {
	export SOCHDB_DIR=$BATS_TEST_TMPDIR/db
	for v in nan NaN inf infinity -1 -0.5 1e400 0x10 '' 1.2.3 5s; do
		run -2 --separate-stderr sochdb-kv put k v --lock-timeout "$v"
		[ "$stderr" = "sochdb-kv: invalid value '$v' for --lock-timeout (expected seconds: a number from 0 to 1e9)
$(try_line sochdb-kv put)" ] || fail "$v: $stderr"
		run -2 --separate-stderr sochdb-wal --lock-timeout="$v" checkpoint
		[[ "$stderr" == "sochdb-wal: invalid value '$v' for --lock-timeout"* ]] || fail "wal $v: $stderr"
	done
	run -0 sochdb-kv put k v --lock-timeout 0
	run -0 sochdb-kv put k v --lock-timeout 2.5
	run -0 sochdb-wal checkpoint --lock-timeout=.5
}

@test "closed standard streams: /dev/null is opened there, the LOCK file is never fd 2" {
	export SOCHDB_DIR=$BATS_TEST_TMPDIR/db
	run -0 sochdb-kv put k v
	size=$(stat -c %s "$SOCHDB_DIR/LOCK")
	for redir in '2>&-' '<&- >&- 2>&-'; do
		# a torn tail: the next writer cuts it and warns on stderr
		printf 'garbage-torn-tail' >>"$SOCHDB_DIR/wal-0000000000000000.log"
		bash -c "sochdb-kv put k2 v2 $redir; echo rc=\$? >$BATS_TEST_TMPDIR/rc"
		[ "$(cat "$BATS_TEST_TMPDIR/rc")" = rc=0 ]
		[ "$(stat -c %s "$SOCHDB_DIR/LOCK")" = "$size" ] ||
			fail "LOCK grew with $redir: $(od -c "$SOCHDB_DIR/LOCK" | head -3)"
		! grep -q sochdb "$SOCHDB_DIR/LOCK" || fail "a message in LOCK with $redir"
	done
	run -0 sochdb-wal verify
	run -0 sochdb-kv get k2
	assert_output "v2"
	# every tool starts with a closed stdin, stdout or stderr
	echo '{"a":1}' >"$BATS_TEST_TMPDIR/in.json"
	for redir in '<&-' '>&-' '2>&-'; do
		bash -c "sochdb-toon encode $BATS_TEST_TMPDIR/in.json -o $BATS_TEST_TMPDIR/o.toon $redir && sochdb-wal verify $redir && sochdb-kv exists k $redir && sochdb-bulk --help $redir >/dev/null; echo rc=\$? >$BATS_TEST_TMPDIR/rc"
		[ "$(cat "$BATS_TEST_TMPDIR/rc")" = rc=0 ] || fail "$redir: $(cat "$BATS_TEST_TMPDIR/rc")"
	done
	# stdin closed: put - reads an empty value
	run bash -c 'sochdb-kv put e - <&- && sochdb-kv get e | wc -c'
	assert_output "0"
}

@test "every tool has a man page whose synopsis names each subcommand" {
	for t in $(tools); do
		m=$TOP/man/$t.1
		[ -f "$m" ] || fail "no man page for $t"
		for s in $(subcommands "$t"); do
			grep -q "^\.B $t $s\|^$t $s\|\\\\fB$t $s\|B $t\" \"$s\|^\.B $s\b" "$m" ||
				grep -q "$s" "$m" || fail "$m does not mention $s"
		done
		run -0 man -l -P cat "$m"
		assert_output --partial "EXIT STATUS"
	done
}

@test "install and uninstall with DESTDIR leave nothing behind" {
	d=$BATS_TEST_TMPDIR/stage
	san=; [ "$(basename "$BUILD")" = build-san ] && san=1
	run -0 make -C "$TOP" --no-print-directory install DESTDIR="$d" PREFIX=/usr SANITIZE=$san
	for t in $(tools); do
		[ -x "$d/usr/bin/$t" ] || fail "$t not installed"
		[ -f "$d/usr/share/man/man1/$t.1" ] || fail "$t.1 not installed"
	done
	[ -f "$d/usr/share/man/man7/sochdb.7" ]
	run -0 make -C "$TOP" --no-print-directory uninstall DESTDIR="$d" PREFIX=/usr SANITIZE=$san
	run -0 find "$d" -type f
	[ -z "$output" ] || fail "left behind: $output"
}

@test "make says which dependency is missing and how to get it" {
	run -2 --separate-stderr make -C "$TOP" --no-print-directory check-deps CC='cc -nostdinc'
	[[ "$stderr" == *"make: missing lz4.h (Debian package liblz4-dev)"* ]] || fail "$stderr"
	[[ "$stderr" == *"make: missing zstd.h (Debian package libzstd-dev)"* ]]
	[[ "$stderr" == *"make: missing editline/readline.h (Debian package libedit-dev)"* ]]
	[[ "$stderr" == *"make: missing utf8proc.h (Debian package libutf8proc-dev)"* ]]
	[[ "$stderr" == *"make: missing libstemmer.h (Debian package libstemmer-dev)"* ]]
	[[ "$stderr" == *"scripts/install-deps.sh"* ]]
	run -2 --separate-stderr make -C "$TOP" --no-print-directory check-deps CC=no-such-cc
	[[ "$stderr" == *"make: missing no-such-cc (Debian package gcc)"* ]] || fail "$stderr"
	run -0 make -C "$TOP" --no-print-directory check-deps
	run -0 make -C "$TOP" --no-print-directory info CC='cc -nostdinc'
	assert_output --partial "deps: missing lz4.h:liblz4-dev zstd.h:libzstd-dev editline/readline.h:libedit-dev utf8proc.h:libutf8proc-dev libstemmer.h:libstemmer-dev (scripts/install-deps.sh)"
	run -0 make -C "$TOP" --no-print-directory info
	assert_output --partial "deps: all present"
}
