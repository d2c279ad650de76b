#!/usr/bin/env bash
# Long fuzzing of one or more targets (nightly toolchain and `cargo install cargo-fuzz` needed).
#
#   fuzz/run.sh SECONDS TARGET...      e.g. fuzz/run.sh 1800 jsonl_reader warc_reader
#
# Targets run side by side at low priority; the growing corpus, crash artifacts and logs go
# to $FUZZ_WORK (default /work/fuzzlogs, outside the repository); the committed seeds in
# fuzz/seeds/<target> start each corpus. A crash leaves its input in $FUZZ_WORK/artifacts.
set -euo pipefail
cd "$(dirname "$0")"
secs=$1
shift
work=${FUZZ_WORK:-/work/fuzzlogs}
mkdir -p "$work"
cargo +nightly fuzz build --sanitizer none 2>&1 | tail -3
pids=()
for t in "$@"; do
  mkdir -p "$work/corpus/$t" "$work/artifacts/$t"
  echo "fuzz: $t for ${secs}s, log $work/$t.log"
  nice -n 15 cargo +nightly fuzz run --sanitizer none "$t" "$work/corpus/$t" "seeds/$t" -- \
    -max_total_time="$secs" -max_len=65536 -timeout=20 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/$t/" >"$work/$t.log" 2>&1 &
  pids+=($!)
done
status=0
for p in "${pids[@]}"; do wait "$p" || status=1; done
for t in "$@"; do
  echo "== $t"
  grep -E "^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)|^Done|SUMMARY|panicked|deadly signal|Test unit written" "$work/$t.log" || true
done
exit $status
