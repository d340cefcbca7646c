"""``searchapp serve``: make sure the index is built and current, then serve the app.

The index is built from the corpus when it is missing or stale (another schema version,
another abbreviation table); then the Flask app is served by waitress, a production
WSGI server, bound to 127.0.0.1 unless told otherwise. ``flask --app searchapp run``
stays the development server.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from waitress import serve

from . import config, create_app
from .abbreviations import AbbreviationTable
from .indexer import BuildReport, IndexNotBuilt, build_index
from .search import SearchIndex

Echo = Callable[[str], None]


def index_problem(index_dir: Path, table: AbbreviationTable) -> str | None:
    """Why the index must be (re)built before serving, or None when it is ready."""
    try:
        index = SearchIndex(index_dir, table)
    except IndexNotBuilt as exc:
        return str(exc)
    try:
        return index.stale_reason()
    finally:
        index.close()


def url_for_host(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else "[::1]" if host == "::" else host
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def ensure_index(corpus: Path, index_dir: Path, table: AbbreviationTable, echo: Echo) -> BuildReport | None:
    """Build the index when it is missing or stale; echo why and what was built."""
    problem = index_problem(index_dir, table)
    if problem is None:
        return None
    echo(f"Building the index from {corpus}/ ({problem.split('; run')[0]}).")
    step = [0]

    def progress(done: int, total: int) -> None:
        # a line at each quarter: enough to show life on a big corpus, quiet on a small one
        quarter = done * 4 // max(total, 1)
        if total >= 20 and quarter > step[0]:
            step[0] = quarter
            echo(f"  {done}/{total} files")

    report = build_index(corpus, index_dir, table, progress)
    for line in report.summary_lines():
        echo(line)
    return report


def run_server(corpus: Path, index_dir: Path, table: AbbreviationTable, host: str, port: int, echo: Echo) -> None:
    """Build the index if needed, then serve the web app with waitress until interrupted."""
    ensure_index(Path(corpus), Path(index_dir), table, echo)
    app = create_app({"SEARCHAPP_INDEX": str(index_dir), "SEARCHAPP_CORPUS": str(corpus), "SEARCHAPP_TABLE": table})
    threads = int(config.setting("threads"))
    echo(f"Serving on {url_for_host(host, port)} with waitress ({threads} threads); open it in a browser. Ctrl+C stops.")
    serve(app, host=host, port=port, threads=threads, ident="searchapp")
