"""Our side of the benchmark's query timing on an index already built (a measurement, not
a test): each query of ``searchapp bench``'s mix once on the freshly opened index ("first
run"), then ``--queries`` of them after two warm-up rounds; p50/p95/p99, p95 by class, this
process's peak memory and what the array cache holds. The two "rare" queries use the two
words of the index with the fewest paragraphs (for a generated corpus, the ones the
benchmark picks).

    python scripts/query_timing.py INDEX_DIR [--queries 80]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from searchapp.bench import peak_rss_mb, percentile, query_mix, time_first_queries, time_queries  # noqa: E402
from searchapp.search import SearchIndex  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("index", type=Path)
    ap.add_argument("--queries", type=int, default=80)
    args = ap.parse_args()
    index = SearchIndex(args.index)
    reader = index.searcher().reader()
    words = sorted((reader.doc_frequency("text", t), t.decode()) for t in reader.lexicon("text")
                   if t.decode().isalpha() and b"_" not in t)
    mix = query_mix(tuple(w for _, w in words[:2]))
    first = time_first_queries(index, None, mix)["ours"]
    times = time_queries(index, None, mix, args.queries)["ours"]
    every = [t for ts in times.values() for t in ts]
    print(f"rare words: {words[:2]}")
    print("first run: " + " | ".join(f"{q} {ms:.0f} ms" for ms, (_, q, _) in zip(first, mix)))
    print(f"first run p50 {percentile(first, 50):.1f} ms, max {max(first):.1f} ms")
    print(f"p50 {percentile(every, 50):.1f} ms, p95 {percentile(every, 95):.1f} ms, p99 {percentile(every, 99):.1f} ms "
          f"over {len(every)} queries")
    print("p95 by class: " + ", ".join(f"{c} {percentile(ts, 95):.1f}" for c, ts in times.items()))
    print(f"peak memory of this process: {peak_rss_mb():.1f} MB")
    arrays = index._arrays[1] if index._arrays else None
    if arrays is not None:
        print(f"array cache: {arrays._cache_bytes / 2**20:.1f} MB in {len(arrays._cache)} entries")
    index.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
