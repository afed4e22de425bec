#!/usr/bin/env bash
# run-all.sh - run every benchmark script scripts/bench/*.sh (except this
# one) in turn; `make bench` calls it. Each script prints its own ratio
# lines; a failing script is reported and the others still run.
set -u
cd "$(dirname "$0")/../.." || exit 3
echo "bench: $(date -u '+%F %T') UTC, loadavg $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs"
rc=0
for s in scripts/bench/*.sh; do
	[ "$(basename "$s")" = run-all.sh ] && continue
	echo "== $s"
	bash "$s" || { echo "bench: $s failed (exit $?)"; rc=1; }
done
exit $rc
