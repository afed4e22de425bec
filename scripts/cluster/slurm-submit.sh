#!/bin/bash
# slurm-submit.sh - submit a sharded sochdb-bulk build as a Slurm job array
# and the merge query after it.
#
#   scripts/cluster/slurm-submit.sh INPUT OUTDIR N QUERY [sbatch options...]
#
# Submits slurm-build.sbatch with --array=0-(N-1) (one shard per task) and
# slurm-query.sbatch with --dependency=afterok on the whole array; prints
# the two job ids. INPUT, OUTDIR and QUERY must be on shared storage.
set -euo pipefail
[ $# -ge 4 ] || { echo "usage: slurm-submit.sh INPUT OUTDIR N QUERY [sbatch options...]" >&2; exit 2; }
in=$1 out=$2 n=$3 q=$4
shift 4
case $n in '' | *[!0-9]* | 0) echo "slurm-submit.sh: N must be a positive integer" >&2; exit 2 ;; esac
here=$(cd "$(dirname "$0")" && pwd)
export SOCHDB_INPUT=$in SOCHDB_OUT=$out SOCHDB_SHARDS=$n SOCHDB_QUERY=$q
build=$(sbatch --parsable --export=ALL --array=0-$((n - 1)) "$@" "$here/slurm-build.sbatch")
build=${build%%;*}
query=$(sbatch --parsable --export=ALL --dependency=afterok:"$build" "$@" "$here/slurm-query.sbatch")
echo "build array job $build (tasks 0-$((n - 1))), query job ${query%%;*}"
