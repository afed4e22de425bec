#!/usr/bin/env bash
# run-all.sh - every benchmark in scripts/bench/*.sh, one after another
# (one at a time: this machine has two cores).
cd "$(dirname "$0")" || exit 3
status=0
for b in *.sh; do
	[ "$b" = run-all.sh ] && continue
	echo "### $b"
	bash "./$b" || status=1
done
exit $status
