#!/usr/bin/env bash
# Whole near-duplicate pipeline (issue 6): `sapu dedup` (exact_dedup + minhash_dedup, defaults)
# against datatrove 0.10's 4-stage MinHash pipeline (bench/peers/dedup_pipeline.py), on the same
# corpus of real news with injected near-copies. Runs alternate (sapu, datatrove, sapu, ...);
# each tool's figure is the median of its runs. Wall and CPU (user + system) seconds per run come
# from /usr/bin/time for sapu (the whole process) and from the driver for datatrove (its four
# stages; Python and library imports not counted).
#
# Usage (from anywhere inside the repo; build first: cargo build --release -p sapu-cli):
#   SAPU_DATA=/work/shared/data bench/dedup_pipeline.sh [WORK_DIR] [RUNS] [THREADS]
# Environment:
#   SAPU_DATA    data folder holding text/ (default: ../shared/data from the repo root)
#   DEDUP_PY     Python with datatrove 0.10 + spaCy (default /work/venvs/dedup/bin/python;
#                pip install -r bench/requirements-dedup.txt)
# THREADS: sapu --threads and datatrove workers (default 1).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
export SAPU_DATA=${SAPU_DATA:-$repo/../shared/data}
py=${DEDUP_PY:-/work/venvs/dedup/bin/python}
work=${1:-${TMPDIR:-/tmp}/sapu-dedup-pipeline}
runs=${2:-3}
threads=${3:-1}
sapu=${CARGO_TARGET_DIR:-$repo/target}/release/sapu
[[ -x "$sapu" ]] || { echo "dedup_pipeline.sh: build first: cargo build --release -p sapu-cli" >&2; exit 1; }

mkdir -p "$work"
corpus=$work/corpus.jsonl
[[ -s "$corpus" ]] || "$py" bench/peers/dedup_pipeline.py corpus "$corpus"

sapu_walls=() sapu_cpus=() dt_walls=() dt_cpus=()
for ((r = 1; r <= runs; r++)); do
    rm -rf "$work/sapu-out"
    /usr/bin/time -f "%e %U %S" -o "$work/sapu.time" \
        "$sapu" dedup "$corpus" -o "$work/sapu-out" --threads "$threads" --quiet
    read -r wall user sys <"$work/sapu.time"
    cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.3f", u + s }')
    sapu_walls+=("$wall") sapu_cpus+=("$cpu")
    echo "run $r sapu: wall $wall s, cpu $cpu s"
    rm -rf "$work/dt-out"
    line=$("$py" bench/peers/dedup_pipeline.py datatrove "$corpus" "$work/dt-out" "$threads" | tail -1)
    dt_walls+=("$(echo "$line" | sed 's/.*"wall_s": \([0-9.]*\).*/\1/')")
    dt_cpus+=("$(echo "$line" | sed 's/.*"cpu_s": \([0-9.]*\).*/\1/')")
    echo "run $r datatrove: $line"
done

median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
sw=$(median "${sapu_walls[@]}") sc=$(median "${sapu_cpus[@]}")
dw=$(median "${dt_walls[@]}") dc=$(median "${dt_cpus[@]}")
removed=$(python3 -c "import json; s = json.load(open('$work/sapu-out/summary.json')); print(s['removed_docs'], s['removed'])" 2>/dev/null || echo "?")
echo
echo "corpus: $(wc -l <"$corpus") documents, $(du -m "$corpus" | cut -f1) MB; threads/workers: $threads; runs: $runs (median)"
echo "sapu dedup:          wall $sw s, cpu $sc s (removed: $removed)"
echo "datatrove 4 stages:  wall $dw s, cpu $dc s"
awk -v sw="$sw" -v sc="$sc" -v dw="$dw" -v dc="$dc" \
    'BEGIN { printf "ratio (datatrove / sapu): wall %.1fx, cpu %.1fx\n", dw / sw, dc / sc }'
