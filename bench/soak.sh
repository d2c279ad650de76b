#!/usr/bin/env bash
# Soak test of --resume: run the default pipeline over a looped corpus built from
# ../shared/data/text, kill it with SIGKILL at random moments, resume each time, and compare
# the final output (decompressed) with an uninterrupted run.
#
#   bench/soak.sh [SIZE_MB] [KILLS]      defaults: 2000 MB, 5 kills
#   SOAK_PARALLEL_RATE=1.5 bench/soak.sh  run both at once, kills spread over SIZE_MB/1.5 seconds
#   SOAK_REUSE_WHOLE=1 bench/soak.sh      compare with the last uninterrupted run of the same binary
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
# Each text is JSON-encoded once; later loops append a short suffix inside the string, so
# that not every copy is an exact duplicate (cheap enough to build gigabytes quickly).
encoded = [json.dumps(t, ensure_ascii=False)[1:-1] for t in docs]
out, total, loop, limit = sys.stdout, 0, 0, size_mb * 1_000_000
while total < limit:
    chunk = []
    for i, t in enumerate(encoded):
        tail = "" if loop == 0 else f"\\n(salinan {loop}-{i % 97})"
        line = f'{{"id": "l{loop}-{i}", "text": "{t}{tail}"}}\n'
        chunk.append(line)
        total += len(line.encode())
        if total >= limit:
            break
    out.write("".join(chunk))
    loop += 1
PY
fi
# A private copy, so that a rebuild during a long soak cannot swap the binary between resumes
# (SOAK_BIN: use an already built binary instead of building one).
if [ -z "${SOAK_BIN:-}" ]; then
  cargo build --release -q -p sapu-cli
fi
cp "${SOAK_BIN:-target/release/sapu}" "$work/sapu"
sapu=$work/sapu
echo "soak: corpus $(du -b "$corpus" | cut -f1) bytes compressed, ${size_mb} MB of JSONL; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
rm -rf "$work/cut"
if [ -n "${SOAK_REUSE_WHOLE:-}" ] && [ -f "$work/whole/summary.json" ] && [ -f "$work/whole.seconds" ] \
  && cmp -s "$sapu" "$work/whole.sapu"; then
  # The same binary already produced an uninterrupted run of this corpus: compare against it.
  whole_s=$(cat "$work/whole.seconds")
  echo "soak: reusing the uninterrupted run of the same binary (${whole_s}s)"
elif [ -n "${SOAK_PARALLEL_RATE:-}" ]; then
  rm -rf "$work/whole"
  # On a crowded machine: run the uninterrupted run alongside the killed one, and spread the
  # kills over the duration expected at SOAK_PARALLEL_RATE MB/s instead of a measured one.
  ( start=$(date +%s)
    "$sapu" run "$corpus" -o "$work/whole" --threads 2 --quiet
    echo "soak: uninterrupted run took $(( $(date +%s) - start ))s (alongside the killed one)" ) &
  whole_pid=$!
  whole_s=$(python3 -c "print(int($size_mb / $SOAK_PARALLEL_RATE))")
  echo "soak: expecting about ${whole_s}s per run at ${SOAK_PARALLEL_RATE} MB/s"
else
  rm -rf "$work/whole"
  start=$(date +%s)
  "$sapu" run "$corpus" -o "$work/whole" --threads 2 --quiet
  whole_s=$(( $(date +%s) - start ))
  echo "$whole_s" >"$work/whole.seconds"
  cp "$sapu" "$work/whole.sapu"
  echo "soak: uninterrupted run took ${whole_s}s"
fi
cut_start=$(date +%s)
"$sapu" run "$corpus" -o "$work/cut" --threads 2 --quiet &
pid=$!
# Kill points spread over the whole run (observation and write phases alike): sorted random
# fractions of the uninterrupted duration. Each delay counts from the start of its attempt, so
# the time a resume spends catching up pushes the later kills further into the work.
read -r -a delays <<<"$(python3 -c "
import random
pts = sorted(random.uniform(0.05, 0.95) * $whole_s for _ in range($kills))
prev = 0.0
out = []
for p in pts:
    out.append(round(max(p - prev, 5.0), 1)); prev = p
print(' '.join(map(str, out)))")"
for k in $(seq 1 "$kills"); do
  delay=${delays[$((k - 1))]}
  sleep "$delay"
  if kill -9 "$pid" 2>/dev/null; then
    wait "$pid" 2>/dev/null || true
    done_bytes=$( (cat "$work/cut/kept"/part-* 2>/dev/null || true) | wc -c)
    phase=$(python3 -c "import json,sys; c=json.load(open(sys.argv[1])); print('phase', c.get('phase'), 'position', c.get('position'))" "$work/cut/.sapu-tmp/checkpoint.json" 2>/dev/null || echo "no checkpoint")
    echo "soak: kill $k (SIGKILL) after ${delay}s of this attempt, $(( $(date +%s) - cut_start ))s into the soak; kept/ held ${done_bytes} compressed bytes; checkpoint: $phase"
  else
    echo "soak: run finished before kill $k"
    break
  fi
  "$sapu" run "$corpus" -o "$work/cut" --threads 2 --quiet --resume &
  pid=$!
done
wait "$pid"
echo "soak: killed and resumed run took $(( $(date +%s) - cut_start ))s in all"
if [ -n "${whole_pid:-}" ]; then wait "$whole_pid"; fi
compare() {
  for sub in kept removed; do
    a=$(cat "$work/whole/$sub"/part-* 2>/dev/null | zstd -dcq | sha256sum | cut -c1-16)
    b=$(cat "$work/cut/$sub"/part-* 2>/dev/null | zstd -dcq | sha256sum | cut -c1-16)
    n=$(cat "$work/whole/$sub"/part-* 2>/dev/null | zstd -dcq | wc -l)
    echo "soak: $sub: $n documents, uninterrupted $a, killed+resumed $b"
    [ "$a" = "$b" ] || return 1
  done
}
for d in whole cut; do
  python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print('soak: $d summary: input', s['input_docs'], 'kept', s['kept_docs'], 'removed', s['removed_docs'])" "$work/$d/summary.json"
done
if compare; then echo "soak: identical"; else echo "soak: OUTPUTS DIFFER"; exit 1; fi
