#!/usr/bin/env bats
# 0001-all-tools: every tool and subcommand follows the shared conventions
# (git t0012): -h gives usage on stdout with empty stderr and exit 0; an
# unknown option gives exit 2 with a reason and the short usage; --version;
# every subcommand listed in --help appears in the tool's man page.

load test_helper

tools() {
	for b in "$BUILD"/bin/sochdb-*; do [ -x "$b" ] && basename "$b"; done
}

# Subcommands: the lines of the "Commands:" section of --help.
subcommands() {
	"$1" --help | awk '/^Commands:/{on=1; next} on && /^$/{exit} on {print $1}'
}

@test "at least one tool is built" {
	run -0 tools
	[ -n "$output" ]
}

@test "every tool: --help, -h, --version, unknown option, missing subcommand" {
	for t in $(tools); do
		run -0 --separate-stderr "$t" --help
		[ -z "$stderr" ] || fail "$t --help wrote to stderr"
		assert_output --partial "usage: $t"
		assert_output --partial "Commands:"
		run -0 --separate-stderr "$t" -h
		[ -z "$stderr" ]
		run -0 "$t" --version
		assert_output --regexp "^$t [0-9]+\.[0-9]+\.[0-9]+$"
		run -2 --separate-stderr "$t" --no-such-option
		[ -z "$output" ]
		[[ "$stderr" == "$t: unknown option '--no-such-option'"* ]] || fail "$t: $stderr"
		[[ "$stderr" == *"usage: $t"* ]]
		run -2 --separate-stderr "$t"
		[[ "$stderr" == "$t: missing subcommand"* ]]
		run -2 --separate-stderr "$t" no-such-subcommand
		[[ "$stderr" == "$t: unknown subcommand 'no-such-subcommand'"* ]]
	done
}

@test "every subcommand: -h on stdout, unknown option exits 2" {
	for t in $(tools); do
		subs=$(subcommands "$t")
		[ -n "$subs" ] || fail "$t lists no commands"
		for s in $subs; do
			run -0 --separate-stderr "$t" "$s" -h
			[ -z "$stderr" ] || fail "$t $s -h wrote to stderr"
			[[ "$output" == "usage: $t $s"* ]] || fail "$t $s -h: $output"
			run -0 --separate-stderr "$t" "$s" --help
			[[ "$output" == "usage: $t $s"* ]]
			run -2 --separate-stderr "$t" "$s" --no-such-option
			[ -z "$output" ] || fail "$t $s: stdout not empty on usage error"
			[[ "$stderr" == "$t: unknown option '--no-such-option'"* ]] || fail "$t $s: $stderr"
			[[ "$stderr" == *"usage: $t $s"* ]] || fail "$t $s: no short usage"
		done
	done
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
