#!/usr/bin/env bash
# Read -> write benchmark (issue 2): how fast `sapu run` with no stages moves a ~1 GB JSONL.zst
# corpus from input to output, against the floor `zstd -dc FILE | wc -l` on the same file.
#
# Usage (from anywhere inside the repo):
#   bench/read_write.sh                 # build the corpus if needed, 5 runs per variant
#   SAPU_DATA=/path/to/data bench/read_write.sh
# Environment:
#   SAPU_DATA        data folder holding text/ (default: ../shared/data from the repo root)
#   BENCH_TARGET_MB  uncompressed corpus size to build, in MB (default 1024)
#   BENCH_RUNS       runs per variant (default 5)
#   BENCH_RECIPE     recipe to benchmark (default bench/recipes/passthrough.toml)
#   BENCH_RECOMPRESS 0 to leave out the `recompress` reference variant (default 1)
#   BENCH_EXTRA      extra variants, space-separated recipe paths (each run with --threads 2), e.g.
#                    "bench/recipes/passthrough-zstd1.toml bench/recipes/passthrough-jsonl.toml"
# Output: a table on stdout and bench/results/read_write.json.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

data=${SAPU_DATA:-$repo/../shared/data}
if [[ ! -d "$data/text" ]]; then
    echo "read_write.sh: no benchmark data: $data/text does not exist." >&2
    echo "Set SAPU_DATA to the folder holding text/ (../shared/data from the repo root)." >&2
    exit 1
fi
for tool in zstd wc awk sed; do
    command -v "$tool" >/dev/null || { echo "read_write.sh: $tool is required" >&2; exit 1; }
done

target_mb=${BENCH_TARGET_MB:-1024}
runs=${BENCH_RUNS:-5}
recipe=${BENCH_RECIPE:-bench/recipes/passthrough.toml}
work=bench/work
corpus=$work/corpus-${target_mb}mb.jsonl.zst
mkdir -p "$work" bench/results

# --- 1. the corpus: every JSONL(.gz/.zst) under text/, looped with the loop number in the ids.
if [[ ! -s "$corpus" ]]; then
    mapfile -t sources < <(find "$data/text" -type f \( -name '*.jsonl' -o -name '*.jsonl.gz' \
        -o -name '*.jsonl.zst' \) | LC_ALL=C sort)
    if [[ ${#sources[@]} -eq 0 ]]; then
        echo "read_write.sh: no .jsonl files under $data/text" >&2
        exit 1
    fi
    base=$work/base.jsonl
    for f in "${sources[@]}"; do
        case "$f" in
            *.gz) gzip -dc "$f" ;;
            *.zst) zstd -dcq "$f" ;;
            *) cat "$f" ;;
        esac
    done >"$base"
    base_bytes=$(wc -c <"$base")
    loops=$(( (target_mb * 1024 * 1024 + base_bytes - 1) / base_bytes ))
    echo "building $corpus: ${#sources[@]} files, $base_bytes bytes, $loops loops" >&2
    # Perturbation per loop: the loop number goes into every id (`{"id": "` starts every line of
    # these files; a line without it is copied unchanged) so ids stay unique across loops.
    for ((i = 0; i < loops; i++)); do
        sed "s/^{\"id\": \"/{\"id\": \"loop${i}-/" "$base"
    done | zstd -q -3 -T0 -o "$corpus.tmp"
    mv "$corpus.tmp" "$corpus"
    rm -f "$base"
fi
input_bytes=$(zstd -dcq "$corpus" | wc -c)
input_lines=$(zstd -dcq "$corpus" | wc -l)
compressed_bytes=$(wc -c <"$corpus")
echo "corpus: $corpus: $input_lines lines, $input_bytes bytes uncompressed, $compressed_bytes compressed" >&2

# --- 2. the binary.
cargo build --release -q -p sapu-cli
sapu=$repo/target/release/sapu
out=$work/out

# --- 3. timing. Each measurement appends "wall user sys" to a file.
have_time=0
[[ -x /usr/bin/time ]] && have_time=1

measure() { # measure NAME COMMAND...
    local name=$1
    shift
    if [[ $have_time == 1 ]]; then
        /usr/bin/time -f "%e %U %S" -o "$work/time.tmp" "$@"
        cat "$work/time.tmp" >>"$work/times-$name"
    else
        local t0 t1 before after
        before=$(times | tail -1)
        t0=$(date +%s.%N)
        "$@"
        t1=$(date +%s.%N)
        after=$(times | tail -1)
        # bash `times` second line: children user and sys, e.g. "0m1.234s 0m0.100s".
        awk -v t0="$t0" -v t1="$t1" -v b="$before" -v a="$after" 'function s(x,  m) {
                split(x, m, /[ms]/); return m[1] * 60 + m[2] }
            BEGIN { split(b, B, " "); split(a, A, " ");
                printf "%.3f %.3f %.3f\n", t1 - t0, s(A[1]) - s(B[1]), s(A[2]) - s(B[2]) }' \
            >>"$work/times-$name"
    fi
}

# recompress: the floor plus zstd -3 recompression on 2 threads, what any jsonl.zst -> jsonl.zst
# tool has to do at least (a reference, not the target's floor).
variants=(floor sapu_t1 sapu_t2)
[[ ${BENCH_RECOMPRESS:-1} == 1 ]] && variants=(floor recompress sapu_t1 sapu_t2)
extra=(${BENCH_EXTRA:-})
for r in "${extra[@]}"; do variants+=("extra_$(basename "$r" .toml)"); done
for v in "${variants[@]}"; do rm -f "$work/times-$v"; done

run_variant() {
    case "$1" in
        floor) measure floor bash -c "zstd -dcq '$corpus' | wc -l >/dev/null" ;;
        recompress) measure recompress bash -c "zstd -dcq '$corpus' | zstd -q -3 -T2 -c >/dev/null" ;;
        sapu_t1) measure sapu_t1 "$sapu" run "$corpus" -o "$out" --config "$recipe" \
            --overwrite --quiet --threads 1 ;;
        sapu_t2) measure sapu_t2 "$sapu" run "$corpus" -o "$out" --config "$recipe" \
            --overwrite --quiet --threads 2 ;;
        extra_*)
            local r
            for r in "${extra[@]}"; do
                if [[ "extra_$(basename "$r" .toml)" == "$1" ]]; then
                    measure "$1" "$sapu" run "$corpus" -o "$out" --config "$r" \
                        --overwrite --quiet --threads 2
                fi
            done ;;
    esac
}

# Alternate the variants within each round so machine load hits all of them alike.
for ((round = 1; round <= runs; round++)); do
    for v in "${variants[@]}"; do
        run_variant "$v"
        echo "round $round $v: $(tail -1 "$work/times-$v")" >&2
    done
done

# Check the last sapu run accounted for every line.
kept=$(grep -o '"kept_docs": *[0-9]*' "$out/summary.json" | head -1 | grep -o '[0-9]*$')
if [[ "$kept" != "$input_lines" ]]; then
    echo "read_write.sh: warning: sapu kept $kept documents of $input_lines lines" >&2
fi

# --- 4. report.
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2];
    else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
floor_s=$(awk '{ print $1 }' "$work/times-floor" | median)
mb=$(awk -v b="$input_bytes" 'BEGIN { printf "%.1f", b / 1e6 }')
printf '\n%-22s %9s %9s %9s %9s %8s\n' variant "median_s" "MB/s" "cpu_s" "ratio" "runs"
json_rows=()
for v in "${variants[@]}"; do
    wall=$(awk '{ print $1 }' "$work/times-$v" | median)
    cpu=$(awk '{ print $2 + $3 }' "$work/times-$v" | median)
    rate=$(awk -v b="$input_bytes" -v s="$wall" 'BEGIN { printf "%.1f", b / 1e6 / s }')
    ratio=$(awk -v f="$floor_s" -v s="$wall" 'BEGIN { printf "%.3f", f / s }')
    all=$(awk '{ print $1 }' "$work/times-$v" | paste -sd, -)
    printf '%-22s %9s %9s %9s %9s %8s\n' "$v" "$wall" "$rate" "$cpu" "$ratio" "$all"
    json_rows+=("    \"$v\": {\"median_s\": $wall, \"mb_per_s\": $rate, \"median_cpu_s\": $cpu, \"ratio_to_floor\": $ratio, \"runs_s\": [$all]}")
done
echo "(MB = 10^6 uncompressed input bytes; ratio = floor time / variant time; cpu = user + sys)"

{
    echo "{"
    echo "  \"date\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\","
    echo "  \"commit\": \"$(git rev-parse --short HEAD 2>/dev/null || echo unknown)\","
    echo "  \"cores\": $(nproc),"
    echo "  \"corpus\": {\"path\": \"$corpus\", \"lines\": $input_lines, \"uncompressed_bytes\": $input_bytes, \"compressed_bytes\": $compressed_bytes, \"mb\": $mb},"
    echo "  \"recipe\": \"$recipe\","
    echo "  \"floor_command\": \"zstd -dc FILE | wc -l\","
    echo "  \"variants\": {"
    for ((k = 0; k < ${#json_rows[@]}; k++)); do
        sep=,
        [[ $k -eq $((${#json_rows[@]} - 1)) ]] && sep=
        echo "${json_rows[$k]}$sep"
    done
    echo "  }"
    echo "}"
} >bench/results/read_write.json
echo "wrote bench/results/read_write.json" >&2
