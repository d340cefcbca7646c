"""A whole document ready to show: header, rendered paragraphs, footnotes, abbreviations.

Core step between ``search`` and the web views (no Flask here): it reads the stored
paragraphs of one document from the index, marks what a query matches throughout, and
renders each paragraph once with ``highlight.render``, so templates only place values.
Every paragraph keeps its anchor ``p<n>`` (the contract of :attr:`Hit.url`); footnotes
also carry ``fn<label>`` and their references link there and back (``fnref<label>``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from markupsafe import Markup

from .highlight import annotate, render
from .models import Marker
from .search import SearchIndex


@dataclass(frozen=True)
class ParagraphView:
    n: int
    kind: str
    html: Markup  # escaped by highlight.render; expansions in <span class="expansion">
    pages: tuple[str, ...]
    label: str | None
    matches: int

    @property
    def anchor(self) -> str:
        return f"p{self.n}"


@dataclass(frozen=True)
class AbbreviationView:
    """An abbreviation used in the document: the forms seen, its meanings, how often."""

    form: str
    expansions: tuple[str, ...]
    kind: str
    count: int
    seen: tuple[str, ...]


@dataclass(frozen=True)
class DocumentView:
    doc_id: str
    title: str
    file_number: str | None
    doc_type: str | None
    date: dt.date | None
    classification: str | None
    sender: str | None
    recipient: str | None
    volume: str | None
    paragraphs: tuple[ParagraphView, ...]  # body, signature... in order
    footnotes: tuple[ParagraphView, ...]
    abbreviations: tuple[AbbreviationView, ...]
    match_count: int

    @property
    def matched(self) -> tuple[ParagraphView, ...]:
        """Paragraphs and footnotes with at least one match, in reading order."""
        return tuple(p for p in (*self.paragraphs, *self.footnotes) if p.matches)

    @property
    def pages(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for p in (*self.paragraphs, *self.footnotes):
            for page in p.pages:
                seen.setdefault(page, None)
        return tuple(seen)


def footnote_href(label: str) -> str:
    return f"#fn{label}"


def build_document_view(index: SearchIndex, doc_id: str, query: str = "", show_expansions: bool = True) -> DocumentView | None:
    """The document ``doc_id`` with ``query`` marked; None if the index does not have it.

    Expansions are rendered by default (hidden by CSS until the reader asks for them), so
    the toggle works without a reload.
    """
    rows = index.document(doc_id)
    if not rows:
        return None
    spec = index.highlight_spec(query) if query and query.strip() else None
    first = rows[0]
    table = index.table_for(first.get("volume"))
    body: list[ParagraphView] = []
    notes: list[ParagraphView] = []
    used: dict[str, list] = {}
    total = 0
    for row in rows:
        markers = tuple(Marker(*m) for m in row.get("markers") or ())
        annotated = annotate(row["text"], markers, table, spec, row.get("emphasis") or ())
        for start, end, entry in annotated.abbrs:
            slot = used.setdefault(entry.form, [entry, 0, {}])
            slot[1] += 1
            slot[2].setdefault(row["text"][start:end], None)
        html = render(annotated, footnote_href=footnote_href, show_expansions=show_expansions)
        view = ParagraphView(
            n=row["n"],
            kind=row.get("kind") or "body",
            html=html,
            pages=tuple(row.get("pages") or ()),
            label=row.get("label"),
            matches=len(annotated.marks),
        )
        total += view.matches
        (notes if view.kind == "footnote" else body).append(view)
    abbreviations = tuple(
        AbbreviationView(entry.form, entry.expansions, entry.kind, count, tuple(seen))
        for entry, count, seen in sorted(used.values(), key=lambda s: (s[0].form.lower(), s[0].form))
    )
    date_iso = first.get("date_iso")
    return DocumentView(
        doc_id=first["doc_id"],
        title=first.get("title") or first["doc_id"],
        file_number=first.get("file_number"),
        doc_type=first.get("doc_type"),
        date=dt.date.fromisoformat(date_iso) if date_iso else None,
        classification=first.get("classification"),
        sender=first.get("sender"),
        recipient=first.get("recipient"),
        volume=first.get("volume"),
        paragraphs=tuple(body),
        footnotes=tuple(notes),
        abbreviations=abbreviations,
        match_count=total,
    )


def document_to_dict(index: SearchIndex, doc_id: str) -> dict | None:
    """The JSON form of a document for ``/api/doc/<doc_id>`` (source text, no HTML)."""
    rows = index.document(doc_id)
    if not rows:
        return None
    first = rows[0]
    header = ("doc_id", "title", "file_number", "doc_type", "classification", "sender", "recipient", "volume")
    out = {name: first.get(name) for name in header}
    out["date"] = first.get("date_iso")
    out["paragraphs"] = [
        {"n": r["n"], "kind": r.get("kind"), "text": r["text"], "pages": list(r.get("pages") or ()), "label": r.get("label")}
        for r in rows
    ]
    return out
