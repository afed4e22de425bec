#!/usr/bin/env bats
# 2101-sql-cli-prompt: the interactive prompt of sochdb-sql, driven through
# tmux as a person would type: the prompt and the continuation prompt of an
# unfinished statement, results as a table (what sqlite3 -table shows for
# the same rows), an error that leaves the prompt running, line editing
# (C-a) and history (Up) through libedit, a ';' in a string over lines, ~/.sochdb_history across
# sessions, .quit.

load test_helper

setup() {
	command -v tmux >/dev/null ||
		skip "tmux not installed (scripts/install-deps.sh test): the prompt is not driven"
	[ -x "$BUILD/bin/sochdb-sql" ] ||
		skip "sochdb-sql is not built (the SQL engine, lib/sql/sql.c, is not there yet)"
	[ "$(sochdb-sql -d "$BATS_TEST_TMPDIR/probe" --no-header -c 'CREATE TABLE p(a)' \
		-c 'INSERT INTO p VALUES (1)' -c 'SELECT a FROM p' 2>/dev/null)" = 1 ] ||
		skip "the SQL engine does not store tables yet (CREATE, INSERT, SELECT of a table fail): the prompt is not driven"
	SOCK=sochdb-sql-test-$$-$BATS_TEST_NUMBER
	D=$BATS_TEST_TMPDIR/db
	export HOME=$BATS_TEST_TMPDIR/home
	mkdir -p "$HOME"
	unset SOCHDB_DIR SOCHDB_HISTORY
}

teardown() {
	tmux -L "$SOCK" kill-server 2>/dev/null || true
	tmux -L "${SOCK%-again}" kill-server 2>/dev/null || true
}

start() {
	tmux -L "$SOCK" -f /dev/null new-session -d -s t -x 150 -y 50 \
		"env HOME='$HOME' PATH='$PATH' TERM=screen sochdb-sql -d '$D'; sleep 30"
}

pane() {
	tmux -L "$SOCK" capture-pane -p -t t -S -200
}

# Waits until the pane shows the fixed string $1 (at least $2 times).
wait_for() {
	local want=${2:-1} i
	for i in $(seq 1 150); do
		[ "$(pane | grep -cF -- "$1")" -ge "$want" ] && return 0
		sleep 0.1
	done
	echo "--- pane:"
	pane
	return 1
}

# Types the text $1 literally (a trailing ';' is no tmux separator), then
# presses the keys named after it.
keys() {
	local text=$1
	[[ "$text" != *";" ]] || text="${text%;}\\;"
	[ -z "$text" ] || tmux -L "$SOCK" send-keys -t t -l "$text"
	shift
	[ $# -eq 0 ] || tmux -L "$SOCK" send-keys -t t "$@"
}

@test "the prompt: statements over lines, a table as sqlite3 draws it, errors, C-a, Up, history, .quit" {
	start
	wait_for 'sochdb>'
	keys "CREATE TABLE t(a INTEGER, b TEXT);" Enter
	keys "INSERT INTO t VALUES (1, 'x'), (2, 'yy');" Enter
	keys "SELECT a, b" Enter
	wait_for '   ...>'
	keys "FROM t ORDER BY a;" Enter
	want=$(sqlite3 -table :memory: "CREATE TABLE t(a INTEGER, b TEXT); INSERT INTO t VALUES (1, 'x'), (2, 'yy'); SELECT a, b FROM t ORDER BY a")
	wait_for "$(tail -2 <<<"$want" | head -1)"
	while IFS= read -r l; do
		pane | grep -qxF -- "$l" || fail "no line '$l' in the pane: $(pane)"
	done <<<"$want"
	# a ';' inside a string that goes on over lines does not end the statement
	keys "SELECT 'semi;" Enter
	wait_for '   ...>' 2
	keys "colon' AS s;" Enter
	wait_for '| colon |'
	# an error: one line, the prompt goes on
	keys "SELECT * FORM t;" Enter
	wait_for 'sochdb-sql: line 1, column 10: syntax error near "FORM"'
	# line editing: C-a goes to the start of the line
	keys "ELECT 40 + 2 AS answer;" C-a
	keys "S" Enter
	wait_for '| 42     |'
	# history: Up recalls the last statement
	keys "" Up Enter
	wait_for '| 42     |' 2
	keys ".quit" Enter
	for i in $(seq 1 50); do pane | grep -q 'sochdb> \.quit' && break; sleep 0.1; done
	run -0 sochdb-sql -d "$D" --no-header -c 'SELECT count(*) FROM t'
	[ "$output" = 2 ]
	# the history file, and a second session recalls from it
	[ -f "$HOME/.sochdb_history" ]
	grep -q 'INSERT' "$HOME/.sochdb_history"
	tmux -L "$SOCK" kill-server
	SOCK=$SOCK-again # a fresh server: the old one may still be going away
	start
	wait_for 'sochdb>'
	keys "" Up Up Enter
	wait_for '| 42     |'
	keys "" C-d
}
