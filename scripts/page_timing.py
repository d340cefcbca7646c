"""Server time of the search page and the document page over a built index (a
measurement, not a test): the Flask app in process (no network), the benchmark's query
mix, each query ``--rounds`` times after one warm-up round; then the document page of
each query's first hit. Also reports this process's peak memory (it is the server here).

    python scripts/page_timing.py INDEX_DIR [--rounds 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from searchapp import create_app  # noqa: E402
from searchapp.bench import peak_rss_mb, percentile, query_mix  # noqa: E402

#: issue 6: the search page's server time p95 at 100k paragraphs
TARGET_SEARCH_PAGE_P95_MS = 100.0


def _timed(client, url: str) -> tuple[float, object]:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    return elapsed, response


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("index", type=Path)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    app = create_app({"SEARCHAPP_INDEX": str(args.index), "TESTING": True})
    client = app.test_client()
    mix = query_mix(("Muccio", "Kennan"))
    urls = [f"/search?{urllib.parse.urlencode({'q': q, 'sort': sort})}" for _, q, sort in mix]
    for url in urls:  # warm-up: searchers, columns, cached postings
        _timed(client, url)
    search_ms, doc_urls = [], []
    for _ in range(args.rounds):
        for url in urls:
            ms, _ = _timed(client, url)
            search_ms.append(ms)
    for _, q, _sort in mix:
        data = client.get(f"/api/search?{urllib.parse.urlencode({'q': q})}").get_json()
        if data.get("hits"):
            doc_urls.append(data["hits"][0]["url"])
    doc_ms = [_timed(client, url)[0] for url in doc_urls for _ in range(args.rounds)]
    report = {
        "search_page_requests": len(search_ms),
        "search_page_p50_ms": round(percentile(search_ms, 50), 1),
        "search_page_p95_ms": round(percentile(search_ms, 95), 1),
        "search_page_max_ms": round(max(search_ms), 1),
        "document_page_requests": len(doc_ms),
        "document_page_p50_ms": round(percentile(doc_ms, 50), 1) if doc_ms else None,
        "document_page_p95_ms": round(percentile(doc_ms, 95), 1) if doc_ms else None,
        # this process is the server here: the Flask app, the index, its caches
        "peak_memory_mb": round(peak_rss_mb(), 1),
        "search_page_p95_target_ms": TARGET_SEARCH_PAGE_P95_MS,
        "search_page_p95_target_met": percentile(search_ms, 95) <= TARGET_SEARCH_PAGE_P95_MS,
    }
    for name, value in report.items():
        print(f"{name:<28} {value}")
    if args.json:
        print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
