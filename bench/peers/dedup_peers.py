"""MinHash signature speed of rensa and datasketch on the shingles sapu's bench wrote.

    cargo run --release -p sapu-eval --bin bench_dedup -- speed --dump-shingles /tmp/shingles.jsonl
    /work/venvs/dedup/bin/python bench/peers/dedup_peers.py /tmp/shingles.jsonl [RUNS] [rensa|all]

Each document's word 5-grams (sapu's normalisation) are given as strings; every tool builds
one 128-permutation signature per document on one thread. MB/s counts the documents' raw
text bytes, as bench_dedup does; times are this thread's CPU time (time.thread_time), median
of RUNS (default 5; datasketch 3). The last line is JSON for bench/dedup_speed.sh. Public APIs
only: rensa.RMinHash, rensa.CMinHash, datasketch.MinHash.
"""
import json
import statistics
import sys
import time

import datasketch
import rensa


def timed(reps, fn):
    out = []
    for _ in range(reps):
        t = time.thread_time()
        fn()
        out.append(time.thread_time() - t)
    return statistics.median(out)


def main(path, runs=5, which="all"):
    docs = [json.loads(l) for l in open(path, encoding="utf-8") if l.strip()]
    mb = sum(d["bytes"] for d in docs) / 1e6
    shingles = [d["shingles"] for d in docs]
    encoded = [[s.encode("utf-8") for s in sh] for sh in shingles]
    print(f"{len(docs)} documents, {mb:.1f} MB of text, {sum(map(len, shingles))} shingles, 128 permutations")

    def run_rensa():
        for sh in shingles:
            m = rensa.RMinHash(num_perm=128, seed=42)
            m.update(sh)
            m.digest()

    def run_rensa_c():
        for sh in shingles:
            m = rensa.CMinHash(num_perm=128, seed=42)
            m.update(sh)
            m.digest()

    def run_datasketch():
        for sh in encoded:
            m = datasketch.MinHash(num_perm=128, seed=1)
            m.update_batch(sh)
            m.digest()

    result = {}
    t = timed(runs, run_rensa)
    result["rensa_mb_s"] = mb / t
    print(f"rensa RMinHash: {mb / t:7.1f} MB/s  {len(docs) / t:9.0f} docs/s")
    if which == "all":
        if hasattr(rensa, "CMinHash"):
            t = timed(runs, run_rensa_c)
            result["rensa_c_mb_s"] = mb / t
            print(f"rensa CMinHash:  {mb / t:7.1f} MB/s  {len(docs) / t:9.0f} docs/s")
        t = timed(min(runs, 3), run_datasketch)
        result["datasketch_mb_s"] = mb / t
        print(f"datasketch {datasketch.__version__} MinHash (update_batch): {mb / t:7.1f} MB/s  {len(docs) / t:9.0f} docs/s")
    print(f"median thread CPU time of {runs} runs")
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 5, sys.argv[3] if len(sys.argv) > 3 else "all")
