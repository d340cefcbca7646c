"""Time the hostile queries of the test suite against a built index (a measurement, not a
test): every one must answer, or be refused with a message, in bounded time.

    python scripts/hostile_timing.py INDEX_DIR
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from searchapp.search import QueryError, SearchIndex  # noqa: E402
from tests.hostile import HOSTILE_QUERIES  # noqa: E402


def main(index_dir: str) -> int:
    index = SearchIndex(Path(index_dir))
    index.search("warm up")
    rows = []
    for query in HOSTILE_QUERIES:
        started = time.perf_counter()
        try:
            result = index.search(query)
            outcome = f"{result.total} hits"
        except QueryError as exc:
            outcome = f"refused: {str(exc)[:60]}"
        rows.append(((time.perf_counter() - started) * 1000, query, outcome))
    rows.sort(reverse=True)
    times = sorted(ms for ms, _, _ in rows)
    print(f"{len(rows)} hostile queries on {index.info.paragraphs} paragraphs: "
          f"median {times[len(times) // 2]:.0f} ms, p95 {times[int(len(times) * 0.95)]:.0f} ms, max {times[-1]:.0f} ms")
    for ms, query, outcome in rows[:10]:
        shown = repr(query if len(query) < 50 else query[:47] + "...")
        print(f"{ms:8.0f} ms  {shown:<52} {outcome}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
