"""Speed (and ScrapingHub outputs) of trafilatura and resiliparse on the 181 + 990 pages that
eval_extract uses, one thread, same machine, through their public APIs. Prints the thread CPU
median and the best wall time of N runs, as `eval_extract --speed-only --speed-runs N` does.

  /work/venvs/extract/bin/python bench/peers/extract_peers.py [--runs N] [--out DIR]
      [--tools resiliparse,trafilatura]

Writes DIR/<tool>.json in the benchmark's baseline format ({"output": {id: {"articleBody"}}})
so `eval_extract --baseline DIR/<tool>.json` scores them with the same code as sapu.
"""

import argparse
import gzip
import json
import os
import statistics
import time
from pathlib import Path

import resiliparse.extract.html2text as r_h2t
import resiliparse.parse.html as r_html
import trafilatura
from importlib.metadata import version

DATA = Path(os.environ.get("SAPU_DATA", Path(__file__).resolve().parents[3] / "shared" / "data"))


def load():
    ex = DATA / "extraction"
    pages = []
    gt = json.load(open(ex / "scrapinghub-aeb" / "ground-truth.json"))
    for pid in sorted(gt):
        raw = gzip.open(ex / "scrapinghub-aeb" / "html" / f"{pid}.html.gz").read()
        pages.append(("sh", pid, raw.decode("utf-8", errors="replace")))
    for line in open(ex / "trafilatura-eval" / "evaldata.jsonl", encoding="utf-8"):
        row = json.loads(line)
        raw = gzip.open(ex / "trafilatura-eval" / row["html_file"]).read()
        pages.append(("tr", row["id"], raw.decode("utf-8", errors="replace")))
    return pages


def run_trafilatura(html):
    return trafilatura.extract(html) or ""


def run_resiliparse(html):
    tree = r_html.HTMLTree.parse(html)
    return r_h2t.extract_plain_text(tree, main_content=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--out", type=Path, default=Path("/tmp/extract_peers"))
    ap.add_argument("--tools", default="resiliparse,trafilatura",
                    help="comma-separated: which peers to run")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    pages = load()
    mb = sum(len(h.encode("utf-8")) for _, _, h in pages) / 1e6
    print(f"pages: {len(pages)}, {mb:.1f} MB")
    for name, fn, ver in [
        ("resiliparse", run_resiliparse, version("resiliparse")),
        ("trafilatura", run_trafilatura, version("trafilatura")),
    ]:
        if name not in args.tools.split(","):
            continue
        best = None
        cpus = []
        outputs = {}
        for _ in range(args.runs):
            t, c = time.perf_counter(), time.thread_time()
            for kind, pid, html in pages:
                text = fn(html)
                if kind == "sh":
                    outputs[pid] = {"articleBody": text}
            cpus.append(time.thread_time() - c)
            dt = time.perf_counter() - t
            best = dt if best is None else min(best, dt)
        cpu = statistics.median(cpus)
        # The same two figures as eval_extract's speed line: thread CPU median, wall best.
        print(f"{name} {ver}: {len(pages)} pages, {mb:.1f} MB; CPU {cpu:.3f} s: "
              f"{len(pages) / cpu:.0f} pages/s, {mb / cpu:.1f} MB/s per core (wall best {best:.3f} s)")
        json.dump({"output": outputs, "version": ver}, open(args.out / f"{name}.json", "w"))


if __name__ == "__main__":
    main()
