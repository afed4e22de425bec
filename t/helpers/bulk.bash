# bulk.bash - shared checks of the sochdb-bulk error suites
# (t/6003-bulk-errors.bats, t/6007-bulk-inputs.bats). Load with
# `load helpers/bulk`; run the tests in a scratch directory (cd "$D").

# expect_fail STATUS MESSAGE CMD...: exact stderr, empty stdout, no index
# (o.idx) and no temporary file left in the current directory
expect_fail() {
	local status=$1 msg=$2
	shift 2
	run "-$status" --separate-stderr "$@"
	[ -z "$output" ] || fail "stdout not empty: $output"
	[ "$stderr" = "$msg" ] || fail "stderr: '$stderr', expected '$msg'"
	[ ! -e o.idx ] || fail "o.idx was written"
	[ -z "$(ls | grep '\.tmp\.')" ] || fail "temporary file left: $(ls)"
}
