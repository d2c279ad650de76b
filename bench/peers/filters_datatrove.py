"""datatrove 0.10's four quality filters on a corpus built from ../shared/data/text, for the
agreement and throughput figures of sapu's filters (issue 5). Not run in CI.

    python bench/peers/filters_datatrove.py corpus   OUT/corpus.jsonl     # build the corpus
    python bench/peers/filters_datatrove.py run      OUT/corpus.jsonl OUT/datatrove.jsonl [SHARD/SHARDS]
    python bench/peers/filters_datatrove.py tokens   OUT/corpus.jsonl OUT/tokens.jsonl [N]

`run` applies GopherRepetitionFilter, GopherQualityFilter, C4QualityFilter and
FineWebQualityFilter to every document independently (each on its own copy), with FineWeb-2's
per-language settings for `ind` and `zsm` (configs/ind_Latn.yml, zsm_Latn.yml and
fineweb-2-pipeline.py) and datatrove's defaults for `eng`; C4 runs with its defaults in every
language. It writes one line per document: {"id", "lang", "<filter>": "keep" | reason,
"c4_text_len"} and prints the throughput of the four filters together (one core).
Compare with: cargo run --release -p sapu-eval --bin eval_filters -- OUT/corpus.jsonl OUT/datatrove.jsonl
"""

import gzip
import importlib.metadata  # noqa: F401  (datatrove 0.10 uses it without importing it)
import json
import os
import random
import sys
import time

DATA = os.environ.get("SAPU_DATA", os.path.join(os.path.dirname(__file__), "../../../shared/data"))

# FineWeb-2 settings (huggingface/fineweb-2 configs/<lang>_Latn.yml + fineweb-2-pipeline.py)
FW2 = {
    "ind": dict(
        dup_line_frac=0.25,
        top_n_grams=[(2, 0.088), (3, 0.104), (4, 0.12)],
        dup_n_grams=[(5, 0.176), (6, 0.158), (7, 0.142), (8, 0.128), (9, 0.119), (10, 0.109)],
        line_punct_thr=0.25,
        new_line_ratio=0.222,
        max_avg_word_length=11,
        min_avg_word_length=3,
        max_non_alpha_words_ratio=0.805,
        stopwords=["dan", "yang", "di", "pada", "dari", "ini", "dengan", "adalah", "untuk", "dalam"],
    ),
    "zsm": dict(
        dup_line_frac=0.375,
        top_n_grams=[(2, 0.087), (3, 0.104), (4, 0.115)],
        dup_n_grams=[(5, 0.244), (6, 0.225), (7, 0.212), (8, 0.201), (9, 0.192), (10, 0.183)],
        line_punct_thr=0.25,
        new_line_ratio=0.25,
        max_avg_word_length=10,
        min_avg_word_length=3,
        max_non_alpha_words_ratio=0.808,
        stopwords=["dan", "di", "yang", "pada", "dalam", "dengan", "untuk", "ini"],
    ),
}


def read(path):
    op = gzip.open if path.endswith(".gz") else open
    with op(path, "rt", encoding="utf-8") as f:
        for line in f.read().split("\n"):
            if line.strip():
                yield json.loads(line)


def build_corpus(out):
    rng = random.Random(5)
    t = os.path.join(DATA, "text")
    docs = []

    def add(path, lang, limit=None, pred=None):
        rows = [d for d in read(os.path.join(t, path)) if d.get("text", "").strip() and (pred is None or pred(d))]
        if limit and len(rows) > limit:
            rows = rng.sample(rows, limit)
        for d in rows:
            docs.append({"id": d["id"], "text": d["text"], "metadata": {"lang": lang, "source": path.split("/")[0]}})

    add("detik-news-1000/detik_news_1000.jsonl", "ind")
    add("indosum-dev/indosum_dev_folds.jsonl.gz", "ind", limit=2000)
    add("malaysian-dataset-extracts/indon_news.jsonl.gz", "ind")
    add("indonlu-text/indonlu_text.jsonl.gz", "ind", limit=8000)
    add("malaysian-dataset-extracts/bernama_headlines_ms_en.jsonl.gz", "eng", limit=6000, pred=lambda d: d.get("lang") == "eng")
    add("malaysian-dataset-extracts/motomalaya_ms_pages.part1.jsonl.gz", "zsm", limit=1000)
    add("malaysian-dataset-extracts/motomalaya_ms_pages.part2.jsonl.gz", "zsm", limit=1000)
    add("malaysian-dataset-extracts/karangan_ms_essays.jsonl", "zsm")
    add("malaysian-dataset-extracts/ms_news_articles_paragraphs.jsonl.gz", "zsm", limit=1000)
    seen = set()
    with open(out, "w", encoding="utf-8") as f:
        for d in docs:
            if d["id"] in seen:
                continue
            seen.add(d["id"])
            f.write(json.dumps(d, ensure_ascii=False) + "\n")
    print(f"{len(seen)} documents written to {out}", file=sys.stderr)


def filters_for(lang):
    from datatrove.pipeline.filters import (
        C4QualityFilter,
        FineWebQualityFilter,
        GopherQualityFilter,
        GopherRepetitionFilter,
    )

    if lang in FW2:
        c = FW2[lang]
        return [
            ("gopher_repetition", GopherRepetitionFilter(
                language=lang, dup_para_frac=0, dup_line_char_frac=0, dup_para_char_frac=0,
                dup_line_frac=c["dup_line_frac"], top_n_grams=c["top_n_grams"], dup_n_grams=c["dup_n_grams"])),
            ("gopher_quality", GopherQualityFilter(
                language=lang, max_avg_word_length=c["max_avg_word_length"],
                min_avg_word_length=c["min_avg_word_length"], stop_words=c["stopwords"],
                max_non_alpha_words_ratio=c["max_non_alpha_words_ratio"], min_stop_words=2)),
            ("c4_quality", C4QualityFilter(language=lang)),
            ("fineweb_quality", FineWebQualityFilter(
                language=lang, short_line_thr=999, char_duplicates_ratio=0.1,
                line_punct_thr=c["line_punct_thr"], new_line_ratio=c["new_line_ratio"])),
        ]
    return [
        ("gopher_repetition", GopherRepetitionFilter(language=lang)),
        ("gopher_quality", GopherQualityFilter(language=lang)),
        ("c4_quality", C4QualityFilter(language=lang)),
        ("fineweb_quality", FineWebQualityFilter(language=lang)),
    ]


def run(corpus, out, shard=0, shards=1):
    from datatrove.data import Document

    docs = list(read(corpus))[shard::shards]
    chains = {}
    total_bytes = sum(len(d["text"].encode()) for d in docs)
    elapsed = {}
    t_all = 0.0
    with open(out, "w", encoding="utf-8") as f:
        for d in docs:
            lang = d["metadata"]["lang"]
            if lang not in chains:
                chains[lang] = filters_for(lang)
                # warm up (spaCy loads lazily on the first call): not timed
                for _, flt in chains[lang]:
                    flt.filter(Document(text="Warm up. " * 20, id="warmup"))
            row = {"id": d["id"], "lang": lang}
            for name, flt in chains[lang]:
                doc = Document(text=d["text"], id=d["id"], metadata=dict(d["metadata"]))
                t0 = time.thread_time()
                try:
                    res = flt.filter(doc)
                except ZeroDivisionError:
                    res = (False, "error_zero_division")
                dt = time.thread_time() - t0
                elapsed[name] = elapsed.get(name, 0.0) + dt
                t_all += dt
                if res is True:
                    row[name] = "keep"
                else:
                    row[name] = res[1]
                if name == "c4_quality":
                    row["c4_text_len"] = len(doc.text) if res is True else None
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    mb = total_bytes / 1e6
    print(f"datatrove 0.10: {len(docs)} docs, {mb:.2f} MB; four filters {t_all:.1f} CPU s = {mb / t_all:.3f} MB/s per core")
    for name, s in elapsed.items():
        print(f"  {name}: {s:.1f} s ({mb / s:.3f} MB/s)")


def tokens(corpus, out, limit):
    from datatrove.utils.text import split_into_sentences, split_into_words

    docs = list(read(corpus))
    docs = docs[:: max(1, len(docs) // limit)]
    with open(out, "w", encoding="utf-8") as f:
        for d in docs:
            lang = d["metadata"]["lang"]
            words = split_into_words(d["text"], lang)
            lines = [ln.strip() for ln in d["text"].splitlines() if len(ln.strip().split()) >= 3]
            sents = [len(split_into_sentences(ln, lang)) for ln in lines]
            f.write(json.dumps({"id": d["id"], "lang": lang, "words": words, "sentences": sents}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "corpus":
        build_corpus(sys.argv[2])
    elif cmd == "run":
        shard, shards = (map(int, sys.argv[4].split("/")) if len(sys.argv) > 4 else (0, 1))
        run(sys.argv[2], sys.argv[3], shard, shards)
    elif cmd == "tokens":
        tokens(sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 10**9)
    else:
        sys.exit(__doc__)
