"""Whole-pipeline near-duplicate removal: datatrove's 4-stage MinHash pipeline on a corpus of real
news with injected near-copies, for the side-by-side with `sapu dedup` (issue 6). Not run in CI.

    python bench/peers/dedup_pipeline.py corpus    OUT/corpus.jsonl
    python bench/peers/dedup_pipeline.py datatrove OUT/corpus.jsonl OUT/dt [WORKERS]
    bench/dedup_pipeline.sh OUT RUNS      # both tools, alternating runs, wall + CPU, ratios

`corpus` writes every article of three real news sets in ../shared/data/text (IndoSum dev,
detik-news-1000, indon_news), then near-copies of 20% of them (word substitutions, insertions
or deletions at 1-5% of the words, or two paragraphs swapped), shuffled deterministically.
Ids are `<set>-<n>` and `copy-<k>-of-<id>`.

`datatrove` runs datatrove 0.10's public pipeline with its defaults (MinhashConfig(): 5-grams,
14 buckets x 8 hashes, 64-bit) and language "ind" (spaCy tokenizer), on the local executor:
MinhashDedupSignature (1 task), MinhashDedupBuckets (14 tasks, one per bucket),
MinhashDedupCluster (1 task), MinhashDedupFilter + JsonlWriter (1 task); WORKERS processes
(default 1) for each. It prints one JSON line: wall seconds of the 4 stages, CPU seconds
(this process and its children), documents kept and removed. Imports are outside the timing.
"""

import json
import os
import random
import sys
import time

DATA = os.environ.get("SAPU_DATA", os.path.join(os.path.dirname(__file__), "../../../shared/data"))
SETS = [
    ("indosum", "text/indosum-dev/indosum_dev_folds.jsonl.gz"),
    ("detik", "text/detik-news-1000/detik_news_1000.jsonl"),
    ("indon", "text/malaysian-dataset-extracts/indon_news.jsonl.gz"),
]


def read_jsonl(path):
    import gzip

    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def near_copy(text, rng, pool):
    paras = [p.split() for p in text.split("\n") if p.strip()]
    kind = rng.randrange(4)
    if kind == 3 and len(paras) >= 2:
        a, b = rng.sample(range(len(paras)), 2)
        paras[a], paras[b] = paras[b], paras[a]
        return "\n".join(" ".join(p) for p in paras)
    total = sum(len(p) for p in paras)
    for _ in range(max(1, round(total * rng.choice([0.01, 0.02, 0.03, 0.05])))):
        p = rng.randrange(len(paras))
        if not paras[p]:
            continue
        w = rng.randrange(len(paras[p]))
        if kind == 0:
            paras[p][w] = rng.choice(pool)
        elif kind == 1:
            paras[p].insert(w, rng.choice(pool))
        elif len(paras[p]) > 1:
            del paras[p][w]
    return "\n".join(" ".join(p) for p in paras)


def corpus(out):
    docs = []
    for name, rel in SETS:
        for n, row in enumerate(read_jsonl(os.path.join(DATA, rel))):
            if row.get("text", "").strip():
                docs.append({"id": f"{name}-{n}", "text": row["text"]})
    rng = random.Random(2026)
    pool = [w for d in docs[::7] for w in d["text"].split()[::13]]
    originals = len(docs)
    for k, i in enumerate(rng.sample(range(originals), originals // 5)):
        docs.append({"id": f"copy-{k}-of-{docs[i]['id']}", "text": near_copy(docs[i]["text"], rng, pool)})
    rng.shuffle(docs)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")
    mb = sum(len(d["text"].encode()) for d in docs) / 1e6
    print(f"{len(docs)} documents ({originals} real news + {len(docs) - originals} near-copies), {mb:.1f} MB of text")


def datatrove(corpus_path, out, workers):
    import importlib.metadata  # noqa: F401  (datatrove 0.10 uses it without importing it)

    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup import (
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupFilter,
        MinhashDedupSignature,
    )
    from datatrove.pipeline.dedup.minhash import MinhashConfig
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter

    import spacy  # noqa: F401  (the "ind" word tokenizer; imported here so timing excludes it)

    config = MinhashConfig()
    src, name = os.path.split(os.path.abspath(corpus_path))
    reader = lambda: JsonlReader(src, glob_pattern=name)  # noqa: E731
    logs = f"{out}/logs"
    s1 = LocalPipelineExecutor(
        pipeline=[reader(), MinhashDedupSignature(output_folder=f"{out}/signatures", config=config, language="ind")],
        tasks=1, workers=workers, logging_dir=f"{logs}/1",
    )
    s2 = LocalPipelineExecutor(
        pipeline=[MinhashDedupBuckets(input_folder=f"{out}/signatures", output_folder=f"{out}/buckets", config=config)],
        tasks=config.num_buckets, workers=workers, logging_dir=f"{logs}/2", depends=s1,
    )
    s3 = LocalPipelineExecutor(
        pipeline=[MinhashDedupCluster(input_folder=f"{out}/buckets", output_folder=f"{out}/remove_ids", config=config)],
        tasks=1, workers=workers, logging_dir=f"{logs}/3", depends=s2,
    )
    s4 = LocalPipelineExecutor(
        pipeline=[
            reader(),
            MinhashDedupFilter(input_folder=f"{out}/remove_ids",
                               exclusion_writer=JsonlWriter(f"{out}/removed", compression=None)),
            JsonlWriter(f"{out}/kept", compression=None),
        ],
        tasks=1, workers=workers, logging_dir=f"{logs}/4", depends=s3,
    )
    t0, c0 = time.perf_counter(), os.times()
    s4.run()
    wall, c1 = time.perf_counter() - t0, os.times()
    cpu = (c1.user - c0.user) + (c1.system - c0.system) + (c1.children_user - c0.children_user) + (
        c1.children_system - c0.children_system)

    def count(d):
        return sum(1 for f in os.listdir(d) for line in open(os.path.join(d, f), encoding="utf-8") if line.strip())

    print(json.dumps({"tool": "datatrove", "wall_s": round(wall, 3), "cpu_s": round(cpu, 3), "workers": workers,
                      "kept": count(f"{out}/kept"), "removed": count(f"{out}/removed")}))


if __name__ == "__main__":
    import logging

    logging.disable(logging.WARNING)
    if sys.argv[1] == "corpus":
        corpus(sys.argv[2])
    elif sys.argv[1] == "datatrove":
        datatrove(sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 1)
    else:
        sys.exit(f"unknown mode {sys.argv[1]}: corpus or datatrove")
