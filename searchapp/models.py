"""Plain values passed between the layers of searchapp.

The reader (``corpus`` for text files, ``tei`` for FRUS TEI volumes) turns files into
:class:`Document` values; the indexer turns each :class:`Paragraph` into one index
document; the search layer returns :class:`Hit` values inside a :class:`SearchResult`.
Nothing here imports Whoosh or Flask.

The paragraph ordinal ``n`` is the anchor contract: the web page gives each paragraph
the element id ``p<n>`` and every hit links to ``/doc/<doc_id>#p<n>``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

MarkerKind = Literal["page", "footnote", "label"]


@dataclass(frozen=True)
class Marker:
    """A span of a paragraph's source text that is not words.

    ``page``: a page marker such as ``[Page 972]`` (``value`` is ``"972"``).
    ``footnote``: a footnote reference glued to a word, such as the ``2`` of ``fit.2``
    (``value`` is ``"2"``). ``label``: the number that opens a footnote (``5`` of
    ``5. The Department sent...``). Markers are shown, never indexed as words.
    ``start``/``end`` are character offsets into the text.
    """

    start: int
    end: int
    kind: MarkerKind
    value: str


def mask_markers(text: str, markers: tuple[Marker, ...] | list[Marker]) -> str:
    """``text`` with its markers blanked out (same length): what is analysed and indexed,
    so that offsets into it are offsets into the source text."""
    if not markers:
        return text
    chars = list(text)
    for marker in markers:
        chars[marker.start:marker.end] = " " * (marker.end - marker.start)
    return "".join(chars)


@dataclass(frozen=True)
class Paragraph:
    """One searchable unit: a body paragraph, the signature, a footnote, ...

    ``text`` is the source text verbatim (it is quoted as evidence: never rewrite it).
    ``pages`` are the page labels the paragraph lies on, in order.
    ``label`` is the footnote number for footnotes (``"5"``), else None.
    """

    n: int
    kind: str
    text: str
    pages: tuple[str, ...] = ()
    markers: tuple[Marker, ...] = ()
    label: str | None = None
    #: (start, end) spans printed in italics (TEI ``<hi rend="italic">``): display only
    emphasis: tuple[tuple[int, int], ...] = ()

    @property
    def page(self) -> str | None:
        return self.pages[0] if self.pages else None


@dataclass(frozen=True)
class Document:
    """One telegram, memorandum, letter... with its header fields and paragraphs."""

    doc_id: str
    title: str
    paragraphs: tuple[Paragraph, ...]
    file_number: str | None = None
    doc_type: str | None = None
    date: dt.date | None = None
    classification: str | None = None
    sender: str | None = None
    recipient: str | None = None
    place: str | None = None
    source_note: str | None = None
    volume: str | None = None
    #: abbreviations that hold for this document only (a TEI volume's own list):
    #: pairs of (abbreviated form, expansion)
    extra_abbreviations: tuple[tuple[str, str], ...] = field(default=())


@dataclass(frozen=True)
class AbbreviationUse:
    """An abbreviation found in a paragraph, with what it stands for."""

    form: str
    expansion: str


@dataclass(frozen=True)
class Hit:
    """One ranked paragraph, ready to render without re-reading any file."""

    doc_id: str
    para_id: str
    n: int
    kind: str
    page: str | None
    pages: tuple[str, ...]
    title: str
    date: dt.date | None
    file_number: str | None
    doc_type: str | None
    classification: str | None
    sender: str | None
    recipient: str | None
    volume: str | None
    score: float
    text: str
    snippet: str  # HTML: matches in <mark>, abbreviations in <abbr>, all else escaped
    abbreviations: tuple[AbbreviationUse, ...]

    @property
    def url(self) -> str:
        return f"/doc/{self.doc_id}#p{self.n}"


@dataclass(frozen=True)
class SearchResult:
    """The answer to one query: a page of hits and what the query was widened to."""

    query: str
    total: int
    hits: tuple[Hit, ...]
    page: int = 1
    page_size: int = 10
    expanded_query: str = ""
    also_matched: tuple[str, ...] = ()
    suggestion: str | None = None
    documents: int = 0
    elapsed_ms: float = 0.0
    message: str | None = None  # a note for the user (query trimmed, syntax error...)
    #: hits per volume (TEI volumes), most first: the volume facet
    volumes: tuple[tuple[str, int], ...] = ()
