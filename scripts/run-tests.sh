#!/usr/bin/env bash
# run-tests.sh - run bats suites, print their TAP to a log and a summary.
#
#   scripts/run-tests.sh [SUITE.bats ...]     (default: t/*.bats)
#
# The last line is the plain summary CI counts: "N passed, M failed".
# A suite that dies without reporting counts as one failure.
set -u
cd "$(dirname "$0")/.." || exit 3
export BATS_LIB_PATH=${BATS_LIB_PATH:-/usr/lib/bats}
export SOCHDB_BUILD=${SOCHDB_BUILD:-build}
suites=("$@")
[ ${#suites[@]} -eq 0 ] && suites=(t/*.bats)
log=${TEST_LOG:-$SOCHDB_BUILD/test.log}
mkdir -p "$(dirname "$log")"
: >"$log"

# The durability harnesses append their figures here; printed at the end.
results=$SOCHDB_BUILD/results-table.txt
printf '%s\n' "durability results (every failure count must be 0):" >"$results"

passed=0 failed=0 skipped=0
start=$(date +%s)
for s in "${suites[@]}"; do
	[ -f "$s" ] || continue
	t0=$(date +%s)
	out=$(bats --formatter tap "$s" 2>&1)
	rc=$?
	printf '%s\n' "$out" >>"$log"
	p=$(grep -Ec '^ok [0-9]+' <<<"$out")
	sk=$(grep -Ec '^ok [0-9]+ .*# skip' <<<"$out")
	f=$(grep -Ec '^not ok [0-9]+' <<<"$out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		printf '%s\n' "$out" | tail -n 20
	fi
	p=$((p - sk))
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + sk))
	printf '%-40s %4d passed %3d failed %3d skipped  %4ds\n' \
		"$s" "$p" "$f" "$sk" $(( $(date +%s) - t0 ))
	if [ "$f" -gt 0 ]; then
		# show the failing tests with their diagnostics
		awk '/^not ok/{show=1; print; next} /^(ok|not ok) /{show=0} show && /^#/' <<<"$out" | head -n 60
	fi
done
echo "total time $(( $(date +%s) - start ))s; full TAP in $log"
# executions of the last `make fuzz`, when there was one
if [ -f build-fuzz/summary.txt ]; then
	awk 'NR > 1 { printf "%-34s %12s   failures %s\n", "make fuzz execs: " $1, $2, $4 }' \
		build-fuzz/summary.txt >>"$results"
fi
[ "$(wc -l <"$results")" -gt 1 ] && cat "$results"
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
