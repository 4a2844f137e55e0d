#!/bin/bash
# Usage: examples/slurm/submit.sh INSTANCES.csv SUITE_DIR SHARDS [extra sbatch options]
# Submits SHARDS array tasks (shard k/SHARDS each) and a merge job that runs after all succeed.
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: $0 INSTANCES.csv SUITE_DIR SHARDS [sbatch options]" >&2; exit 2; }
here="$(cd "$(dirname "$0")" && pwd)"
export INSTANCES="$(realpath "$1")" SUITE_DIR="$(realpath -m "$2")" SHARDS="$3"
export TORCHLEAN="${TORCHLEAN:-$(command -v torchlean || realpath "$here/../../target/release/torchlean")}"
shift 3
mkdir -p "$SUITE_DIR"
array=$(sbatch --parsable --array=1-"$SHARDS" --export=ALL "$@" "$here/suite-shard.sbatch")
sbatch --dependency=afterok:"$array" --export=ALL "$@" "$here/suite-merge.sbatch"
echo "submitted shards as job $array; the merge runs after all $SHARDS succeed"
