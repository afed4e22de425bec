# test_helper.bash - loaded by every t/*.bats file.
#
# Puts the built tools first on PATH, gives each test its own database
# directory, loads bats-assert/bats-support, and honours EXE_PREFIX to run
# the tools under a wrapper (EXE_PREFIX="valgrind -q" make test).

bats_require_minimum_version 1.7.0

export BATS_LIB_PATH=${BATS_LIB_PATH:-/usr/lib/bats}
bats_load_library bats-support
bats_load_library bats-assert

TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
# suites one level deeper (t/stress/*.bats) load ../test_helper
[ -f "$TOP/GNUmakefile" ] || TOP=$(cd "$TOP/.." && pwd)
export TOP
SOCHDB_BUILD=${SOCHDB_BUILD:-build}
case $SOCHDB_BUILD in /*) BUILD=$SOCHDB_BUILD ;; *) BUILD=$TOP/$SOCHDB_BUILD ;; esac
export BUILD
STRESS_SCALE=${STRESS_SCALE:-1}
export STRESS_SCALE

if [ -n "${EXE_PREFIX:-}" ]; then
	# Wrap each tool in a small script that runs it under EXE_PREFIX.
	WRAP=$BATS_RUN_TMPDIR/wrap
	mkdir -p "$WRAP"
	for b in "$BUILD"/bin/*; do
		n=$(basename "$b")
		printf '#!/bin/sh\nexec %s %s "$@"\n' "$EXE_PREFIX" "$b" >"$WRAP/$n"
		chmod +x "$WRAP/$n"
	done
	PATH=$WRAP:$PATH
else
	PATH=$BUILD/bin:$PATH
fi
export PATH

# sqlite_ref [SCRIPT]: the setup of a test that compares with sqlite3: it
# skips without sqlite3; D is the sochdb database, Q sqlite3's, S the
# generated SQL script (SCRIPT, default data.sql) in the test's directory.
sqlite_ref() {
	command -v sqlite3 >/dev/null || skip "sqlite3 not installed (scripts/install-deps.sh test)"
	D=$BATS_TEST_TMPDIR/db
	Q=$BATS_TEST_TMPDIR/ref.db
	S=$BATS_TEST_TMPDIR/${1:-data.sql}
}

# wait_until CMD...: runs CMD (its stderr dropped) every 0.05 s until it
# succeeds, for up to 10 s. @return 0 when it did, 1 when it never did.
wait_until() {
	local _
	for _ in $(seq 200); do
		"$@" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# kill_after MS CMD...: starts CMD in the background (its output dropped)
# and kills it with SIGKILL after a random 0..MS milliseconds (crash tests:
# whatever point it reached, the outcome checked must hold).
kill_after() {
	local ms=$1
	shift
	"$@" >/dev/null 2>&1 &
	local pid=$!
	sleep "$(awk -v m="$ms" -v r="$RANDOM" 'BEGIN { printf "%.3f", (r % (m + 1)) / 1000 }')"
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# numpy_setup: setup() of a sochdb-sql test that checks against numpy
# (/usr/bin/python3, as PY): skips without sochdb-sql or numpy; F is the
# file's directory (setup_file's data), D the test's database.
# have_numpy_sql (for setup_file): 0 when both are there, PY set.
numpy_setup() {
	PY=/usr/bin/python3
	[ -x "$BUILD/bin/sochdb-sql" ] || skip "sochdb-sql is not built"
	$PY -c 'import numpy' 2>/dev/null || skip "python3-numpy missing (scripts/install-deps.sh test)"
	F=$BATS_FILE_TMPDIR
	D=$BATS_TEST_TMPDIR/db
	unset SOCHDB_DIR
}

have_numpy_sql() {
	PY=/usr/bin/python3
	[ -x "$BUILD/bin/sochdb-sql" ] && $PY -c 'import numpy' 2>/dev/null
}

# Each test gets its own database directory.
setup_db() {
	export SOCHDB_DIR=$BATS_TEST_TMPDIR/db
}

# scaled N: N times STRESS_SCALE, at least 1.
scaled() {
	awk -v n="$1" -v s="$STRESS_SCALE" 'BEGIN { v = int(n * s); if (v < 1) v = 1; print v }'
}

# The TOON spec fixtures: $TOON_SPEC_DIR, ../shared/toon-spec beside the
# clone, or the npm cache filled by scripts/fetch-toon.sh.
toon_spec_dir() {
	"$TOP/scripts/fetch-toon.sh" spec
}
