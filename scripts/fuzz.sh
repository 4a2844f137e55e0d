#!/usr/bin/env bash
# The long fuzzing campaign (issue 29): every reader, one process per reader so an abort (stack
# overflow, allocation failure under the cap) is attributed, with the address space capped and the
# peak resident memory reported.
#   scripts/fuzz.sh [PER_READER=1000000] [MEMORY_CAP_BYTES=4000000000]
set -euo pipefail
cd "$(dirname "$0")/.."
per=${1:-1000000}
cap=${2:-4000000000}
cargo build --release --quiet
cargo build --release --quiet --example fuzz_readers
status=0
for reader in nnet vnnlib payload graph property certificate counterexample manifest; do
  log=$(mktemp)
  if /usr/bin/time -f "%M" -o "$log.mem" prlimit --as="$cap" target/release/examples/fuzz_readers --per-reader "$per" --reader "$reader" > "$log" 2>&1; then rc=0; else rc=$?; fi
  tail -n +2 "$log" | sed "s/\$/   peak $(($(tail -1 "$log.mem" 2>/dev/null || echo 0) / 1024)) MiB, exit $rc/"
  [ "$rc" = 0 ] || status=1
  rm -f "$log" "$log.mem"
done
exit $status
