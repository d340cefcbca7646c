"""The index as a resource of the Flask app (the role of flaskr's ``db.py``).

One :class:`~searchapp.search.SearchIndex` is shared by every request of an app: it is
thread-safe (one Whoosh searcher per thread) and moves to a new generation by itself
after ``searchapp build``, so it is opened once and never per request. A missing index
is not cached: the next request tries again, so building it while the server runs works.
"""

from __future__ import annotations

import threading
from pathlib import Path

from flask import Flask, current_app

from .abbreviations import AbbreviationTable
from .search import SearchIndex

EXTENSION = "searchapp.index"
_lock = threading.Lock()


def _configured_table(app: Flask) -> AbbreviationTable | None:
    """The table the index should have been built with (only used to tell it is stale)."""
    table = app.config.get("SEARCHAPP_TABLE")
    if table is None and app.config.get("SEARCHAPP_ABBREVIATIONS"):
        table = AbbreviationTable.load([Path(app.config["SEARCHAPP_ABBREVIATIONS"])])
        app.config["SEARCHAPP_TABLE"] = table
    return table


def get_index() -> SearchIndex:
    """The app's shared SearchIndex; IndexNotBuilt (with the command to run) if none."""
    app = current_app._get_current_object()
    index = app.extensions.get(EXTENSION)
    if index is None:
        with _lock:
            index = app.extensions.get(EXTENSION)
            if index is None:
                index = SearchIndex(Path(app.config["SEARCHAPP_INDEX"]), _configured_table(app))
                app.extensions[EXTENSION] = index
    return index


def close_index(app: Flask) -> None:
    """Close this thread's searcher (for tests and shutdown; requests keep theirs open)."""
    index = app.extensions.pop(EXTENSION, None)
    if index is not None:
        index.close()


def init_app(app: Flask) -> None:
    app.extensions.setdefault(EXTENSION, None)
