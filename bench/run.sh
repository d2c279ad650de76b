#!/usr/bin/env bash
# sapu side by side with its peers, in one command (issue 8).
#
#   bench/run.sh            # full run: < 1 hour on 2 cores
#   bench/run.sh --quick    # smaller inputs, 2 repetitions: < 10 minutes
#   bench/run.sh --only filters,extract [--reps 5]   # some tasks (any bench_all run flag)
#
# 1. creates bench/.venv (git-ignored) and installs bench/requirements.txt (every peer, pinned),
#    skipped when the installed set already matches that file;
# 2. builds sapu and bench_all in release mode;
# 3. `bench_all run`: builds the corpora under bench/work (git-ignored) from $SAPU_DATA
#    (default ../shared/data), runs every task, writes bench/results/latest.json, BENCHMARKS.md
#    and bench/results/ratios.svg.
# Environment: SAPU_DATA (data folder), PYTHON (interpreter for the venv, default python3).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

export SAPU_DATA=${SAPU_DATA:-$repo/../shared/data}
if [[ ! -d "$SAPU_DATA/text" || ! -d "$SAPU_DATA/extraction" ]]; then
    echo "run.sh: no benchmark data in $SAPU_DATA (needs text/ and extraction/)." >&2
    echo "Set SAPU_DATA to the shared data folder." >&2
    exit 1
fi
for tool in zstd wc sh cargo; do
    command -v "$tool" >/dev/null || { echo "run.sh: $tool is required" >&2; exit 1; }
done

# --- 1. the peers' virtualenv
venv=bench/.venv
req=bench/requirements.txt
stamp=$venv/.installed-requirements
if [[ ! -x $venv/bin/python ]]; then
    echo "run.sh: creating $venv" >&2
    "${PYTHON:-python3}" -m venv "$venv"
fi
if ! cmp -s "$req" "$stamp"; then
    echo "run.sh: installing the pinned peers from $req" >&2
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
    cp "$req" "$stamp"
else
    echo "run.sh: $venv already has $req" >&2
fi

# --- 2. the binaries
cargo build --release --quiet -p sapu-cli -p sapu-eval --bin sapu --bin bench_all

# --- 3. the measurements and the page
exec "$repo/target/release/bench_all" run "$@"
