#!/usr/bin/env bats
# 6012-bulk-slurm (make stress): the sharded build of scripts/cluster/
# under a real single-node Slurm (Debian's slurm-wlm and munge: munged,
# slurmctld and slurmd on loopback, private key, config and state in the
# test's directory, started and stopped here by t/helpers/slurm_single.sh).
# slurm-submit.sh submits the array (--array=0-3) and the afterok query;
# the shards and the merged answers are checked against brute force.
# When Slurm cannot start, the test says so loudly (SLURM NOT TESTED, with
# the daemons' logs) and is skipped: it never passes silently.

load ../test_helper

PY=/usr/bin/python3

setup_file() {
	S=$BATS_FILE_TMPDIR/slurm
	mkdir -p "$S"
	if out=$("$TOP/t/helpers/slurm_single.sh" start "$S" 2>"$S/why"); then
		eval "$out"
		echo "$SLURM_CONF" >"$BATS_FILE_TMPDIR/conf"
	fi
}

teardown_file() {
	"$TOP/t/helpers/slurm_single.sh" stop "$BATS_FILE_TMPDIR/slurm"
}

@test "slurm-submit.sh: 4 array tasks build the shards, the afterok job merges them" {
	D=$BATS_FILE_TMPDIR
	if [ ! -s "$D/conf" ]; then
		{
			echo "#"
			echo "# ******** SLURM NOT TESTED: a single-node Slurm could not start ********"
			sed 's/^/#   /' "$D/slurm/why"
			echo "#"
		} >&3
		skip "SLURM NOT TESTED: $(head -n 1 "$D/slurm/why")"
	fi
	export SLURM_CONF=$(cat "$D/conf")
	n=$(awk -v s="$STRESS_SCALE" 'BEGIN { n = int(20000 * s); print (n < 4000) ? 4000 : n }')
	$PY "$TOP/scripts/vecgen.py" "$D/v" --n $n --dim 32 --queries 200 --k 10 --seed 31
	run -0 "$TOP/scripts/cluster/slurm-submit.sh" "$D/v.base.npy" "$D/shards" 4 "$D/v.query.npy" \
		--cpus-per-task=1 --chdir="$D"
	[[ "$output" =~ ^build\ array\ job\ ([0-9]+)\ \(tasks\ 0-3\),\ query\ job\ ([0-9]+)$ ]] || fail "$output"
	array=${BASH_REMATCH[1]} query=${BASH_REMATCH[2]}
	# wait for both jobs to leave the queue (5 minutes at most)
	for _ in $(seq 1 1500); do
		[ -z "$(squeue -h -j "$array,$query" 2>/dev/null)" ] && break
		sleep 0.2
	done
	[ -z "$(squeue -h -j "$array,$query" 2>/dev/null)" ] || fail "jobs still queued: $(squeue)"
	for s in 0 1 2 3; do
		[ -f "$D/sochdb-shard-${array}_$s.out" ] || fail "no output of task $s: $(ls "$D")"
		[ ! -s "$D/sochdb-shard-${array}_$s.out" ] || fail "task $s: $(cat "$D/sochdb-shard-${array}_$s.out")"
		run -0 sochdb-bulk info --index "$D/shards/shard-$s-of-4.hnsw"
		assert_line "shard: $s/4"
		assert_line "first_row: $((s * n / 4))"
		assert_line "last_row: $(((s + 1) * n / 4 - 1))"
	done
	[ -s "$D/shards/result.csv" ] || fail "no result: $(cat "$D"/sochdb-merge-*.out)"
	run -0 $PY - "$D" <<'PYEOF'
import csv, sys
import numpy as np
d = sys.argv[1]
truth = np.load(d + "/v.truth.npy")[:, :10]
rows = list(csv.DictReader(open(d + "/shards/result.csv")))
assert len(rows) == 10 * len(truth), len(rows)
got = np.array([int(r["id"]) for r in rows]).reshape(len(truth), 10)
hit = np.mean([len(set(got[i]) & set(truth[i])) / 10 for i in range(len(truth))])
print("merged recall@10 %.4f" % hit)
assert hit >= 0.95, hit
PYEOF
	echo "# slurm: $output" >&3
}
