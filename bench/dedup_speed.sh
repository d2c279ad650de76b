#!/usr/bin/env bash
# MinHash signature speed (issue 6): sapu against rensa on the same shingle strings, 128
# signature values, one thread: sapu's default sketch ("bins", one hash per shingle into 128
# bins, empty bins from their own permutation) against rensa's RMinHash (Fast Similarity
# Sketching, the same family). Rounds alternate (sapu, rensa, sapu, ...); each round reports the
# median thread CPU time of RUNS repetitions; the ratio printed is the median over rounds of
# sapu / rensa throughput, plus the smallest and largest round ratios.
#
# Usage (from anywhere inside the repo; build first: cargo build --release -p sapu-eval):
#   SAPU_DATA=/work/shared/data bench/dedup_speed.sh [ROUNDS] [RUNS]
# Environment: DEDUP_PY (default /work/venvs/dedup/bin/python; pip install -r
# bench/requirements-dedup.txt).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
export SAPU_DATA=${SAPU_DATA:-$repo/../shared/data}
py=${DEDUP_PY:-/work/venvs/dedup/bin/python}
rounds=${1:-5}
runs=${2:-3}
bench=${CARGO_TARGET_DIR:-$repo/target}/release/bench_dedup
[[ -x "$bench" ]] || { echo "dedup_speed.sh: build first: cargo build --release -p sapu-eval" >&2; exit 1; }
shingles=${TMPDIR:-/tmp}/sapu-dedup-shingles.jsonl
[[ -s "$shingles" ]] || "$bench" speed --runs 1 --bits 32 --dump-shingles "$shingles" >/dev/null

ratios=()
for ((r = 1; r <= rounds; r++)); do
    s=$("$bench" speed --runs "$runs" --bits 32 | tail -1 | sed 's/.*"strings_mb_s_32":\([0-9.e+-]*\).*/\1/')
    p=$("$py" bench/peers/dedup_peers.py "$shingles" "$runs" rensa | tail -1 | sed 's/.*"rensa_mb_s": \([0-9.e+-]*\).*/\1/')
    ratio=$(awk -v s="$s" -v p="$p" 'BEGIN { printf "%.2f", s / p }')
    ratios+=("$ratio")
    printf 'round %d: sapu %.1f MB/s, rensa %.1f MB/s, ratio %sx\n' "$r" "$s" "$p" "$ratio"
done
printf '%s\n' "${ratios[@]}" | sort -g | awk '{ a[NR] = $1 } END {
    m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
    printf "sapu / rensa (shingle strings -> 128-value signature, default sketch, thread CPU time): median %.2fx, min %.2fx, max %.2fx over %d rounds\n", m, a[1], a[NR], NR }'
