#!/usr/bin/env bash
# Soak test of --resume: run the default pipeline over a looped corpus built from
# ../shared/data/text, kill it with SIGKILL at random moments, resume each time, and compare
# the final output (decompressed) with an uninterrupted run.
#
#   bench/soak.sh [SIZE_MB] [KILLS]      defaults: 2000 MB, 5 kills
set -euo pipefail
cd "$(dirname "$0")/.."
size_mb=${1:-2000}
kills=${2:-5}
data=${SAPU_DATA:-../shared/data}
work=bench/work/soak
if [ ! -d "$data/text" ]; then
  echo "soak: evaluation data not found at $data/text (set SAPU_DATA)" >&2
  exit 1
fi
cargo build --release -q -p sapu-cli
sapu=target/release/sapu
mkdir -p "$work"
corpus="$work/corpus-${size_mb}mb.jsonl.zst"
if [ ! -f "$corpus" ]; then
  echo "soak: building a ${size_mb} MB corpus from $data/text"
  python3 - "$data/text" "$size_mb" <<'PY' | zstd -q -3 -T2 -o "$corpus"
import gzip, json, os, sys
root, size_mb = sys.argv[1], int(sys.argv[2])
docs = []
for dirpath, _, files in sorted(os.walk(root)):
    for f in sorted(files):
        p = os.path.join(dirpath, f)
        if not (f.endswith(".jsonl") or f.endswith(".jsonl.gz")):
            continue
        op = gzip.open if f.endswith(".gz") else open
        with op(p, "rt", encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    d = json.loads(line)
                    if isinstance(d.get("text"), str):
                        docs.append(d["text"])
out, total, loop = sys.stdout, 0, 0
while total < size_mb * 1_000_000:
    for i, t in enumerate(docs):
        # Perturb later loops lightly so that not every copy is an exact duplicate.
        text = t if loop == 0 else t + f"\n(salinan {loop}-{i % 97})"
        line = json.dumps({"id": f"l{loop}-{i}", "text": text}, ensure_ascii=False) + "\n"
        out.write(line)
        total += len(line.encode())
        if total >= size_mb * 1_000_000:
            break
    loop += 1
PY
fi
rm -rf "$work/whole" "$work/cut"
start=$(date +%s)
"$sapu" run "$corpus" -o "$work/whole" --threads 2 --quiet
whole_s=$(( $(date +%s) - start ))
echo "soak: uninterrupted run took ${whole_s}s"
"$sapu" run "$corpus" -o "$work/cut" --threads 2 --quiet &
pid=$!
for k in $(seq 1 "$kills"); do
  delay=$(python3 -c "import random; print(round(random.uniform(0.1, 0.8) * $whole_s / $kills + 1, 1))")
  sleep "$delay"
  if kill -9 "$pid" 2>/dev/null; then
    wait "$pid" 2>/dev/null || true
    echo "soak: kill $k after ${delay}s"
  else
    echo "soak: run finished before kill $k"
    break
  fi
  "$sapu" run "$corpus" -o "$work/cut" --threads 2 --quiet --resume &
  pid=$!
done
wait "$pid"
compare() {
  for sub in kept removed; do
    a=$(cat "$work/whole/$sub"/part-* 2>/dev/null | zstd -dcq | sha256sum | cut -c1-16)
    b=$(cat "$work/cut/$sub"/part-* 2>/dev/null | zstd -dcq | sha256sum | cut -c1-16)
    n=$(cat "$work/whole/$sub"/part-* 2>/dev/null | zstd -dcq | wc -l)
    echo "soak: $sub: $n documents, uninterrupted $a, killed+resumed $b"
    [ "$a" = "$b" ] || return 1
  done
}
if compare; then echo "soak: identical"; else echo "soak: OUTPUTS DIFFER"; exit 1; fi
