#!/usr/bin/env bash
# A few seconds of each fuzz target, to check that they build and run (not part of .ci/run:
# it needs a nightly toolchain and cargo-fuzz). Exits non-zero on any crash.
#
#   fuzz/smoke.sh [SECONDS_PER_TARGET]      default 10
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-10}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
targets=(jsonl_reader warc_reader html_extract clean_stage)
cargo +nightly fuzz build --sanitizer none 2>&1 | tail -3
for t in "${targets[@]}"; do
  mkdir -p "$work/$t"
  if cargo +nightly fuzz run --sanitizer none "$t" "$work/$t" "seeds/$t" -- \
      -max_total_time="$secs" -max_len=65536 -timeout=20 \
      -artifact_prefix="$work/" >"$work/$t.log" 2>&1; then
    echo "fuzz smoke: $t ok ($(grep -o 'Done [0-9]* runs' "$work/$t.log" || echo 'ran'))"
  else
    echo "fuzz smoke: $t FAILED"
    tail -30 "$work/$t.log"
    exit 1
  fi
done
