#!/usr/bin/env bats
# 6011-bulk-cluster: the recipes in scripts/cluster/ run as written. The
# Slurm array scripts get the variables Slurm would set, one process per
# task in parallel (xargs -P 4); the Kubernetes manifests are read as YAML
# and their pods' shell run with JOB_COMPLETION_INDEX, input and output on
# a folder standing in for the shared volume. The merged answers are
# compared with brute force (numpy). A real Slurm runs them in make stress
# (t/stress/6012-bulk-slurm.bats, when slurm-wlm is installed).

load test_helper

PY=/usr/bin/python3
C=$(cd "$BATS_TEST_DIRNAME/../scripts/cluster" && pwd)

setup_file() {
	D=$BATS_FILE_TMPDIR
	$PY "$BATS_TEST_DIRNAME/../scripts/vecgen.py" "$D/v" --n 6000 --dim 16 --queries 100 --k 10 --seed 21
}

# check_result CSV: 10 rows per query, ids and order as brute force
check_result() {
	$PY - "$BATS_FILE_TMPDIR" "$1" <<'EOF'
import csv, sys
import numpy as np
d, res = sys.argv[1], sys.argv[2]
truth = np.load(d + "/v.truth.npy")[:, :10]
rows = list(csv.DictReader(open(res)))
assert len(rows) == 10 * len(truth), len(rows)
got = np.array([int(r["id"]) for r in rows]).reshape(len(truth), 10)
hit = np.mean([len(set(got[i]) & set(truth[i])) / 10 for i in range(len(truth))])
assert hit >= 0.97, hit
EOF
}

@test "slurm-build.sbatch per array task (xargs -P 4), slurm-query.sbatch merges" {
	D=$BATS_FILE_TMPDIR
	export SOCHDB_INPUT=$D/v.base.npy SOCHDB_OUT=$D/slurm SOCHDB_QUERY=$D/v.query.npy
	export SLURM_ARRAY_TASK_COUNT=4 SLURM_CPUS_PER_TASK=1
	run -0 bash -c "seq 0 3 | xargs -P 4 -I{} env SLURM_ARRAY_TASK_ID={} bash '$C/slurm-build.sbatch'"
	for s in 0 1 2 3; do
		[ -f "$D/slurm/shard-$s-of-4.hnsw" ] || fail "shard $s missing"
		j=$(cat "$D/slurm/shard-$s-of-4.json")
		[[ "$j" == *'"vectors":1500,'* && "$j" == *"\"shard\":\"$s/4\",\"first_row\":$((s * 1500)),"* ]] ||
			fail "summary of task $s: $j"
	done
	run -0 sochdb-bulk info --index "$D/slurm/shard-2-of-4.hnsw"
	assert_line "shard: 2/4"
	assert_line "first_row: 3000"
	SOCHDB_SHARDS=4 run -0 bash "$C/slurm-query.sbatch"
	check_result "$D/slurm/result.csv"
	# outside an array, or with a shard missing, the scripts stop with a message
	run -1 env -u SLURM_ARRAY_TASK_ID bash "$C/slurm-build.sbatch"
	assert_output --partial "run as an array job"
	rm "$D/slurm/shard-3-of-4.hnsw"
	SOCHDB_SHARDS=4 run -3 bash "$C/slurm-query.sbatch"
	assert_output "slurm-query: missing shard $D/slurm/shard-3-of-4.hnsw"
}

@test "slurm-submit.sh submits the array and the afterok query (sbatch recorded)" {
	D=$BATS_TEST_TMPDIR
	mkdir "$D/bin"
	# a recording sbatch: prints a job id and keeps its arguments
	cat >"$D/bin/sbatch" <<EOF
#!/bin/sh
echo "\$*" >>"$D/sbatch.log"
echo \$((\$(wc -l <"$D/sbatch.log") + 100))
EOF
	chmod +x "$D/bin/sbatch"
	PATH=$D/bin:$PATH run -0 "$C/slurm-submit.sh" /s/in.npy /s/out 8 /s/q.npy --partition=batch
	assert_output "build array job 101 (tasks 0-7), query job 102"
	run cat "$D/sbatch.log"
	assert_line --index 0 "--parsable --export=ALL --array=0-7 --partition=batch $C/slurm-build.sbatch"
	assert_line --index 1 "--parsable --export=ALL --dependency=afterok:101 --partition=batch $C/slurm-query.sbatch"
	run -2 "$C/slurm-submit.sh" /s/in.npy /s/out 0 /s/q.npy
	run -2 "$C/slurm-submit.sh" /s/in.npy
}

@test "the Kubernetes Indexed Job's pods and the query Job, run from the manifests" {
	D=$BATS_FILE_TMPDIR
	mkdir -p "$D/k8s"
	cp "$D/v.base.npy" "$D/k8s/emb.npy"
	cp "$D/v.query.npy" "$D/k8s/queries.npy"
	# pod script, env and shape of each Job, with /data -> $D/k8s
	$PY - "$C" "$D" <<'EOF'
import sys, yaml
c, d = sys.argv[1], sys.argv[2]
for name in ("k8s-indexed-job.yaml", "k8s-query-job.yaml"):
    job = yaml.safe_load(open(c + "/" + name))
    assert job["kind"] == "Job" and job["apiVersion"] == "batch/v1"
    spec = job["spec"]
    pod = spec["template"]["spec"]
    ctr = pod["containers"][0]
    assert pod["restartPolicy"] == "Never"
    assert pod["volumes"][0]["persistentVolumeClaim"]["claimName"] == "sochdb-data"
    assert ctr["volumeMounts"][0]["mountPath"] == "/data"
    env = {e["name"]: e["value"].replace("/data", d + "/k8s") for e in ctr["env"]}
    if name == "k8s-indexed-job.yaml":
        assert spec["completionMode"] == "Indexed"
        assert spec["completions"] == spec["parallelism"] == int(env["SOCHDB_SHARDS"])
        env["SOCHDB_BUILD_OPTS"] = ""   # the sample asks for cosine; test l2 truth
    with open(d + "/" + name + ".env", "w") as f:
        for k, v in env.items():
            f.write("export %s='%s'\n" % (k, v))
    with open(d + "/" + name + ".sh", "w") as f:
        f.write(ctr["args"][0])
    assert ctr["command"] == ["/bin/sh", "-c"]
EOF
	run -0 sh -c ". '$D/k8s-indexed-job.yaml.env'; seq 0 3 | xargs -P 4 -I{} env JOB_COMPLETION_INDEX={} sh '$D/k8s-indexed-job.yaml.sh'"
	run -0 sochdb-bulk info --index "$D/k8s/shards/shard-3-of-4.hnsw"
	assert_line "shard: 3/4"
	assert_line "last_row: 5999"
	run -0 sh -c ". '$D/k8s-query-job.yaml.env'; sh '$D/k8s-query-job.yaml.sh'"
	check_result "$D/k8s/shards/result.csv"
}
