"""MinHash signature speed of rensa and datasketch on the shingles sapu's bench wrote.

    cargo run --release -p sapu-eval --bin bench_dedup -- speed --dump-shingles /tmp/shingles.jsonl
    /work/venvs/dedup/bin/python bench/peers/dedup_peers.py /tmp/shingles.jsonl

Each document's word 5-grams (sapu's normalisation) are given as strings; every tool builds
one 128-permutation signature per document on one thread. MB/s counts the documents' raw
text bytes, as bench_dedup does. Public APIs only: rensa.RMinHash, datasketch.MinHash.
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
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return statistics.median(out)


def main(path):
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

    t = timed(5, run_rensa)
    print(f"rensa {rensa.__version__ if hasattr(rensa, '__version__') else ''} RMinHash: {mb / t:7.1f} MB/s  {len(docs) / t:9.0f} docs/s")
    if hasattr(rensa, "CMinHash"):
        t = timed(5, run_rensa_c)
        print(f"rensa CMinHash:  {mb / t:7.1f} MB/s  {len(docs) / t:9.0f} docs/s")
    t = timed(3, run_datasketch)
    print(f"datasketch {datasketch.__version__} MinHash (update_batch): {mb / t:7.1f} MB/s  {len(docs) / t:9.0f} docs/s")


if __name__ == "__main__":
    main(sys.argv[1])
