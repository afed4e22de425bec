#!/usr/bin/env bash
# run-all.sh - run every benchmark in scripts/bench (each *.sh but this
# one), in name order; a failing bench is reported and the others still run.
cd "$(dirname "$0")" || exit 3
rc=0
for b in *.sh; do
	[ "$b" = run-all.sh ] && continue
	echo "### $b"
	bash "./$b" || { echo "### $b failed" >&2; rc=1; }
done
exit $rc
