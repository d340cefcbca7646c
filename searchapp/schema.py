"""The one Whoosh schema: one index document per paragraph.

Each paragraph carries its document's fields (title, date, file number, ...) so that a
hit renders without reading any file. ``text`` is stored verbatim (the source text) and
indexed from a masked copy in which page and footnote markers are blanked out, so that
``[Page 972]`` is never a word and ``fit.2`` indexes as ``fit``.

Bump :data:`SCHEMA_VERSION` whenever fields or analysis change: an index stamped with
another version is rebuilt.
"""

from __future__ import annotations

from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from .abbreviations import AbbreviationTable
from .analysis import TelegramAnalyzer

SCHEMA_VERSION = 4

#: BM25F weights: a word in the title says less about a paragraph than one in its text
FIELD_WEIGHTS = {"text": 1.0, "title": 0.4}

#: BM25F length normalisation per field (others: 0.75); titles are short and alike
FIELD_B = {"text": 0.75, "title": 0.5}

#: fields a user may name in a query (``title:korea``), with the index field they map to
QUERY_FIELDS = {
    "title": "title",
    "sender": "sender",
    "from": "sender",
    "recipient": "recipient",
    "to": "recipient",
    "kind": "kind",
    "doc": "doc_id",
    "classification": "classification",
    "type": "doc_type",
    "volume": "volume",
    "file": "file_number",
}


def make_schema(table: AbbreviationTable) -> Schema:
    analyzer = TelegramAnalyzer(table)
    return Schema(
        # ids and numbers that are only displayed or sorted in Python are stored, not
        # indexed: every indexed term costs build time
        para_id=STORED,
        doc_id=ID(stored=True, sortable=True),
        n=STORED,
        kind=ID(stored=True),
        text=TEXT(analyzer=analyzer, stored=True, phrase=True),
        # header fields repeat on every paragraph of a document: no positions
        title=TEXT(analyzer=analyzer, stored=True, phrase=False),
        sender=TEXT(analyzer=analyzer, stored=True, phrase=False),
        recipient=TEXT(analyzer=analyzer, stored=True, phrase=False),
        classification=KEYWORD(stored=True, lowercase=True, commas=False, scorable=False),
        doc_type=KEYWORD(stored=True, lowercase=True, commas=True, scorable=False),
        file_number=ID(stored=True),
        volume=ID(stored=True, sortable=True),
        # yyyymmdd, 0 when the date is unknown: for sorting and date ranges (one term a value)
        date=NUMERIC(int, bits=32, stored=False, sortable=True, signed=False, shift_step=32),
        date_iso=STORED,
        pages=STORED,
        markers=STORED,
        label=STORED,
        emphasis=STORED,
    )
