"""Read FRUS TEI XML volumes (HistoryAtState/frus ``volumes/*.xml``) into :class:`Document` values.

First step of the pipeline for TEI input, beside ``corpus`` (text pages): file → documents
with their numbered paragraphs. Knows TEI, nothing about Whoosh. Standard library only.

Contract
--------
``read_tei_volume(path)`` yields one :class:`Document` per ``<div type="document">``, in file
order; front matter (title page, preface, list of abbreviations) and chapter heads are never
documents. The file is stream-parsed (``iterparse``, elements cleared once used), so memory
stays bounded by the largest single document, not by the volume.

* ``doc_id`` is ``"<volume id>-<div xml:id>"`` (``frus1951v07p2-d4``); the volume id is the
  ``xml:id`` of the ``<TEI>`` root, else the file stem.
* ``title`` is the ``<head>`` text without its footnotes. ``date`` comes from the div's
  ``frus:doc-dateTime-min``, else the first ``<date when>`` of the ``<dateline>``; ``place``
  from the dateline's ``<placeName>``. ``source_note`` is the ``<note type="source">`` text;
  ``file_number`` the decimal file number it starts with (``793B.00/1–1251``), if any;
  ``classification`` (``Top Secret``, ``Secret``, ``Confidential``, ``Restricted``, ...) is
  detected by word in the source note or in a short classification line (the opener's
  ``<seg>``, a one-line ``<p>``). ``sender``/``recipient`` are split from a head that reads
  "X (Name) to Y" or "Memorandum by X to Y". ``doc_type`` is ``Editorial Note``, a type named
  at the start of the head (``Memorandum of Conversation``, ``Memorandum``, ``Letter``,
  ``Telegram``), ``Telegram`` when the source note says so, else a type named in the head.
* ``extra_abbreviations`` is the volume's ``<list type="terms">`` as (form, expansion)
  pairs, the same tuple for every document of the volume.
* Paragraphs are numbered 1.. in reading order: ``source`` (the source note), ``dateline``,
  ``body`` (``<p>``, ``<list>``, ``<table>``, ``<quote>``, ``<postscript>``, other blocks),
  ``signature`` (``<closer>``, ``<signed>``), then one ``footnote`` paragraph per footnote
  (``label`` = its ``n``), in the order they are referenced (a footnote of the head counts).
* Text is every text node in order (``<hi>``, ``<persName>``, ``<gloss>``, ``<ref>``...),
  whitespace runs collapsed to one space; ``<lb/>`` is a space; list items and table rows
  start a new line (``\\n``), table cells are joined by ``" | "``. Whitespace that is only XML
  indentation is dropped before closing punctuation and after an opening bracket, so the
  printed "(Marshall)" is not rendered "( Marshall )".
* A footnote reference becomes its number glued to the preceding text ("fit.2") and a
  ``footnote`` :class:`Marker`; a ``<pb n="1475"/>`` between words of a paragraph becomes
  ``" [Page 1475] "`` and a ``page`` marker. ``text[m.start:m.end]`` is always the marker's
  text. A page break before the first or after the last word of a paragraph only moves the
  current page. ``pages`` are the page the paragraph starts on plus any it crosses; the
  current page is tracked across the whole volume; a footnote starts on the page of its
  reference.

Malformed XML, a root that is not ``<TEI>`` or an unreadable file raise :class:`TeiError`
with a message naming the file.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .corpus import split_sender_recipient
from .models import Document, Marker, Paragraph

__all__ = ["TeiError", "read_tei_volume", "read_volume_abbreviations", "split_sender_recipient"]

_XML_ID = "{http://www.w3.org/XML/1998/namespace}id"

#: elements that hold paragraphs rather than being one
_CONTAINERS = {"quote", "postscript", "div", "floatingText", "body", "group", "figure", "attachment", "cit"}
#: elements that are a paragraph (or a header part) when met at block level
_BLOCKS = {
    "p", "list", "table", "quote", "note", "head", "opener", "closer", "dateline", "signed",
    "postscript", "div", "floatingText", "salute", "ab", "lg", "figure", "attachment", "label",
}
_CLOSING = set(",.;:!?)]}’”»")
_OPENING = set("([{“‘«")

# separators between two pieces of text, weakest first
_SOFT, _SPACE, _CELL, _NEWLINE = 1, 2, 3, 4
_WS_RE = re.compile(r"\s+")
_SEP_TEXT = {_SOFT: " ", _SPACE: " ", _CELL: " | ", _NEWLINE: "\n"}

_FILE_NUMBER_RE = re.compile(r"^\s*(\d{3}[0-9A-Za-z]*(?:\.[0-9A-Za-z]+)*/[0-9A-Za-z–—‐‑-]+)")
_CLASSIFICATIONS = (
    ("Top Secret", re.compile(r"\btop\s+secret\b", re.IGNORECASE)),
    ("Secret", re.compile(r"\bsecret\b", re.IGNORECASE)),
    ("Confidential", re.compile(r"\bconfidential\b", re.IGNORECASE)),
    ("Restricted", re.compile(r"\brestricted\b", re.IGNORECASE)),
    ("Official Use Only", re.compile(r"\bofficial\s+use\s+only\b", re.IGNORECASE)),
    ("Unclassified", re.compile(r"\bunclassified\b", re.IGNORECASE)),
)
#: words a classification line ("top secret", "Secret; Niact") may consist of
_CLASSIFICATION_LINE_WORDS = {
    "top", "secret", "confidential", "restricted", "unclassified", "official", "use", "only",
    "priority", "niact", "urgent", "eyes", "operational", "immediate", "nodis", "exdis",
    "limdis", "noforn", "security", "information", "personal", "and", "private", "for", "the",
    "secretary", "emergency", "routine",
}
_HEAD_TYPES = ("Memorandum of Conversation", "Memorandum", "Letter", "Telegram")


class TeiError(Exception):
    """A file that is not a readable, well-formed TEI volume (the message names it)."""


def _local(tag: object) -> str:
    """``{ns}name`` → ``name`` (comments and processing instructions → ``""``)."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _attr(elem: ET.Element, name: str) -> str | None:
    """An attribute by local name, whatever its namespace."""
    if name in elem.attrib:
        return elem.attrib[name]
    for key, value in elem.attrib.items():
        if _local(key) == name:
            return value
    return None


class _PageTracker:
    """The current page of the volume, moved by every ``<pb/>`` in reading order."""

    def __init__(self) -> None:
        self.current: str | None = None


@dataclass
class _Built:
    text: str
    pages: tuple[str, ...]
    markers: tuple[Marker, ...]
    emphasis: tuple[tuple[int, int], ...] = ()


class _TextBuilder:
    """Accumulates one paragraph's text with normalised whitespace, markers and pages.

    Whitespace is held back as a pending separator and only written before the next word,
    so the text never starts or ends with whitespace and marker offsets never move.
    """

    def __init__(self, tracker: _PageTracker, *, markers: bool = True) -> None:
        self.tracker = tracker
        self.with_markers = markers
        self.out: list[str] = []
        self.length = 0
        self.last_char = ""
        self.sep = 0
        self.pending_pages: list[str] = []
        self.markers: list[Marker] = []
        self.pages: list[str] = [tracker.current] if tracker.current is not None else []
        self.emphasis: list[tuple[int, int]] = []
        self._emphasis_open: list[int | None] = []  # start of each open italic span

    def _write(self, s: str) -> None:
        self.out.append(s)
        self.length += len(s)
        self.last_char = s[-1]

    def want(self, sep: int) -> None:
        """Ask for at least separator ``sep`` before the next word."""
        self.sep = max(self.sep, sep)

    def text(self, s: str | None) -> None:
        """Append a text node: inner whitespace runs become one space.

        Whitespace at the edge of a node that holds a line break is XML indentation (soft):
        it is dropped before closing punctuation and after an opening bracket.
        """
        if not s:
            return
        inner = s.strip()
        if not inner:
            self.want(_SOFT if "\n" in s else _SPACE)
            return
        if s[0].isspace():
            lead = s[: len(s) - len(s.lstrip())]
            self.want(_SOFT if "\n" in lead else _SPACE)
        self._word(unicodedata.normalize("NFC", _WS_RE.sub(" ", inner)))
        if s[-1].isspace():
            trail = s[len(s.rstrip()) :]
            self.want(_SOFT if "\n" in trail else _SPACE)

    def _word(self, chunk: str) -> None:
        if self.pending_pages:
            if not self.length:  # a page break before the first word: the paragraph starts there
                self.tracker.current = self.pending_pages[-1]
                self.pages = [self.tracker.current]
            else:
                sep = "\n" if self.sep == _NEWLINE else " "
                for label in self.pending_pages:
                    self._write(sep)
                    mark = f"[Page {label}]"
                    self.markers.append(Marker(self.length, self.length + len(mark), "page", label))
                    self._write(mark)
                    self.pages.append(label)
                    self.tracker.current = label
                    sep = " "
                self.sep = _SPACE
            self.pending_pages = []
        if self.length and self.sep:
            droppable = self.sep == _SOFT and (chunk[0] in _CLOSING or self.last_char in _OPENING)
            if not droppable:
                self._write(_SEP_TEXT[self.sep])
        self.sep = 0
        self._emphasis_open = [self.length if start is None else start for start in self._emphasis_open]
        self._write(chunk)

    def begin_emphasis(self) -> None:
        """An italic span starts with the next word."""
        self._emphasis_open.append(None)

    def end_emphasis(self) -> None:
        start = self._emphasis_open.pop()
        if start is not None and self.length > start and not self._emphasis_open:
            self.emphasis.append((start, self.length))

    def page_break(self, label: str | None) -> None:
        """A ``<pb/>``: written as ``[Page n]`` only if words follow in this paragraph."""
        if not label:
            return
        if self.with_markers:
            self.pending_pages.append(label)
        else:
            self.tracker.current = label

    def footnote_ref(self, label: str) -> None:
        """The footnote number, glued to the text before it."""
        if not self.with_markers:
            return
        self.sep = 0
        self.markers.append(Marker(self.length, self.length + len(label), "footnote", label))
        self._write(label)

    def finish(self) -> _Built:
        if self.pending_pages:  # a page break after the last word moves the page, no marker
            self.tracker.current = self.pending_pages[-1]
            if not self.length:
                self.pages = [self.tracker.current]
            self.pending_pages = []
        pages = tuple(dict.fromkeys(self.pages)) if self.length else ()
        return _Built("".join(self.out), pages, tuple(self.markers), tuple(self.emphasis))


@dataclass
class _DocState:
    """What the walk over one document div collects."""

    tracker: _PageTracker
    paragraphs: list[tuple[str, _Built, str | None]] = field(default_factory=list)
    footnotes: list[tuple[str, _Built] | None] = field(default_factory=list)
    title: str | None = None
    source_note: str | None = None
    dateline_elem: ET.Element | None = None
    classification: str | None = None


class _DocumentWalker:
    """Turns one complete ``<div type="document">`` element into a :class:`Document`."""

    def __init__(self, tracker: _PageTracker, skip: frozenset[str] = frozenset()) -> None:
        self.state = _DocState(tracker)
        self.skip = skip

    # -- inline content -------------------------------------------------------------
    def content(self, elem: ET.Element, buf: _TextBuilder) -> None:
        """Render ``elem``'s text and children (not its tail) into ``buf``."""
        tag = _local(elem.tag)
        if tag == "list":
            self._list(elem, buf)
            return
        if tag == "table":
            self._table(elem, buf)
            return
        buf.text(elem.text)
        for child in elem:
            self.inline(child, buf)
            buf.text(child.tail)

    def inline(self, elem: ET.Element, buf: _TextBuilder) -> None:
        tag = _local(elem.tag)
        if not tag or tag in self.skip:
            return
        if tag == "pb":
            buf.page_break(elem.get("n"))
        elif tag == "lb":
            buf.want(_SPACE)
        elif tag == "note" and elem.get("n") and elem.get("type") != "source":
            self.footnote(elem, buf)
        elif tag == "hi" and "italic" in (elem.get("rend") or ""):
            buf.begin_emphasis()
            self.content(elem, buf)
            buf.end_emphasis()
        else:
            self.content(elem, buf)

    def _list(self, elem: ET.Element, buf: _TextBuilder) -> None:
        after_label = False
        buf.text(elem.text)
        for child in elem:
            tag = _local(child.tag)
            if tag in ("item", "head", "label"):
                buf.want(_SPACE if tag == "item" and after_label else _NEWLINE)
                self.content(child, buf)
                after_label = tag == "label"
            else:
                self.inline(child, buf)
            buf.text(child.tail)
        buf.want(_NEWLINE)

    def _table(self, elem: ET.Element, buf: _TextBuilder) -> None:
        for child in elem:
            tag = _local(child.tag)
            if tag == "row":
                buf.want(_NEWLINE)
                first = True
                for cell in child:
                    if _local(cell.tag) == "cell":
                        if not first:
                            buf.want(_CELL)
                        first = False
                        self.content(cell, buf)
                    else:
                        self.inline(cell, buf)
            elif tag == "head":
                buf.want(_NEWLINE)
                self.content(child, buf)
            else:
                self.inline(child, buf)
        buf.want(_NEWLINE)

    def footnote(self, note: ET.Element, buf: _TextBuilder | None) -> None:
        """Record a footnote: its number at the reference point, its text as a paragraph."""
        label = (note.get("n") or "").strip()
        if buf is not None:
            buf.footnote_ref(label)
        slot = len(self.state.footnotes)
        self.state.footnotes.append(None)  # keep reference order even for nested footnotes
        fbuf = _TextBuilder(self.state.tracker)
        self.content(note, fbuf)
        self.state.footnotes[slot] = (label, fbuf.finish())

    # -- blocks -----------------------------------------------------------------------
    def paragraph(self, kind: str, elem: ET.Element) -> _Built:
        buf = _TextBuilder(self.state.tracker)
        self.content(elem, buf)
        built = buf.finish()
        if built.text:
            self.state.paragraphs.append((kind, built, None))
        return built

    def block(self, elem: ET.Element) -> None:
        tag = _local(elem.tag)
        st = self.state
        if not tag or tag in ("lb", "milestone", "anchor"):
            return
        if tag == "pb":
            if elem.get("n"):
                st.tracker.current = elem.get("n")
        elif tag == "note" and elem.get("type") == "source":
            built = self.paragraph("source", elem)
            if st.source_note is None and built.text:
                st.source_note = built.text
        elif tag == "note" and elem.get("n"):
            self.footnote(elem, None)
        elif tag == "head" and st.title is None:
            buf = _TextBuilder(st.tracker, markers=False)
            self.content(elem, buf)
            st.title = buf.finish().text
        elif tag == "opener":
            for child in elem:
                if _local(child.tag) == "dateline":
                    self.block(child)
                elif _local(child.tag) == "seg" and (cls := self._classification_line(child)):
                    st.classification = st.classification or cls
                else:
                    self.block(child)
        elif tag == "dateline":
            if st.dateline_elem is None:
                st.dateline_elem = elem
            self.paragraph("dateline", elem)
        elif tag in ("closer", "signed"):
            self.paragraph("signature", elem)
        elif tag in _CONTAINERS and any(_local(c.tag) in _BLOCKS for c in elem):
            for child in elem:
                self.block(child)
        else:
            built = self.paragraph("body", elem)
            if tag == "p" and st.classification is None and _is_classification_line(built.text):
                st.classification = _classification_in(built.text)

    def _classification_line(self, elem: ET.Element) -> str | None:
        buf = _TextBuilder(_PageTracker(), markers=False)
        self.content(elem, buf)
        text = buf.finish().text
        return _classification_in(text) if _is_classification_line(text) else None

    # -- the document -----------------------------------------------------------------
    def build(self, div: ET.Element, doc_id: str, volume: str, terms: tuple[tuple[str, str], ...]) -> Document:
        for child in div:
            self.block(child)
        st = self.state
        paragraphs: list[Paragraph] = []
        for kind, built, label in st.paragraphs:
            paragraphs.append(Paragraph(len(paragraphs) + 1, kind, built.text, built.pages, built.markers, label, built.emphasis))
        for entry in st.footnotes:
            if entry is not None and entry[1].text:
                label, built = entry
                paragraphs.append(
                    Paragraph(len(paragraphs) + 1, "footnote", built.text, built.pages, built.markers, label, built.emphasis)
                )
        title = st.title or ""
        sender, recipient = split_sender_recipient(title)
        classification = _classification_in(st.source_note or "") or st.classification
        return Document(
            doc_id=doc_id,
            title=title or doc_id,
            paragraphs=tuple(paragraphs),
            file_number=_file_number(st.source_note),
            doc_type=_doc_type(div, title, st.source_note),
            date=_document_date(div, st.dateline_elem),
            classification=classification,
            sender=sender,
            recipient=recipient,
            place=_place(st.dateline_elem),
            source_note=st.source_note,
            volume=volume,
            extra_abbreviations=terms,
        )


# -- header fields ----------------------------------------------------------------------
def _plain(elem: ET.Element, skip: frozenset[str] = frozenset()) -> str:
    """Normalised text of ``elem`` without markers; descendants named in ``skip`` left out."""
    walker = _DocumentWalker(_PageTracker(), skip=skip)
    buf = _TextBuilder(walker.state.tracker, markers=False)
    walker.content(elem, buf)
    return buf.finish().text


def _is_classification_line(text: str) -> bool:
    words = re.findall(r"[a-z]+", text.lower())
    return 0 < len(words) <= 8 and all(w in _CLASSIFICATION_LINE_WORDS for w in words) and any(
        pattern.search(text) for _, pattern in _CLASSIFICATIONS
    )


def _classification_in(text: str) -> str | None:
    """The highest classification named in ``text`` (by word), e.g. ``Top Secret``."""
    for name, pattern in _CLASSIFICATIONS:
        if pattern.search(text):
            return name
    return None


def _file_number(source_note: str | None) -> str | None:
    match = _FILE_NUMBER_RE.match(source_note or "")
    return match.group(1) if match else None


def _doc_type(div: ET.Element, title: str, source_note: str | None) -> str | None:
    if div.get("subtype") == "editorial-note" or title.lower().startswith("editorial note"):
        return "Editorial Note"
    for name in _HEAD_TYPES:
        if title.lower().startswith(name.lower()):
            return name
    if source_note and re.search(r"\btelegram\b", source_note, re.IGNORECASE):
        return "Telegram"
    for name in _HEAD_TYPES:
        if re.search(rf"\b{name}\b", title, re.IGNORECASE):
            return name
    return None


def _parse_date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def _document_date(div: ET.Element, dateline: ET.Element | None) -> dt.date | None:
    date = _parse_date(_attr(div, "doc-dateTime-min"))
    if date is None and dateline is not None:
        for elem in dateline.iter():
            if _local(elem.tag) == "date":
                date = _parse_date(elem.get("when") or elem.get("from") or elem.get("notBefore"))
                if date is not None:
                    break
    return date


def _place(dateline: ET.Element | None) -> str | None:
    if dateline is None:
        return None
    for elem in dateline.iter():
        if _local(elem.tag) == "placeName":
            return _plain(elem) or None
    return None


def _terms(list_elem: ET.Element) -> list[tuple[str, str]]:
    """(form, expansion) pairs of a ``<list type="terms">``."""
    pairs: list[tuple[str, str]] = []
    for item in list_elem.iter():
        if _local(item.tag) != "item":
            continue
        term = next((e for e in item.iter() if _local(e.tag) == "term"), None)
        if term is not None:
            form = _plain(term)
            expansion = _plain(item, skip=frozenset({"term"}))
        else:
            form, _, expansion = _plain(item).partition(",")
        expansion = expansion.lstrip(" ,:;—–-").strip()
        if form and expansion:
            pairs.append((form.strip(), expansion))
    return pairs


# -- streaming ------------------------------------------------------------------------
def _events(path: Path) -> Iterator[tuple[str, ET.Element]]:
    """``iterparse`` start/end events; errors become :class:`TeiError` naming the file."""
    try:
        # our own file object: closed as soon as the caller stops iterating
        with open(path, "rb") as source:
            yield from ET.iterparse(source, events=("start", "end"))
    except ET.ParseError as exc:
        raise TeiError(f"{path}: not well-formed XML ({exc})") from exc
    except OSError as exc:
        raise TeiError(f"{path}: cannot read the file ({exc.strerror or exc})") from exc


def _scan(path: Path, *, documents: bool) -> Iterator[Document | list[tuple[str, str]]]:
    """One streaming pass: yields each terms list when complete, then (if asked) documents."""
    path = Path(path)
    tracker = _PageTracker()
    stack: list[ET.Element] = []
    volume_id = path.stem
    terms: list[tuple[str, str]] = []
    doc_elem: ET.Element | None = None
    doc_start_page: str | None = None
    terms_elem: ET.Element | None = None
    doc_count = 0
    for event, elem in _events(path):
        tag = _local(elem.tag)
        if event == "start":
            if not stack:
                if tag != "TEI":
                    raise TeiError(f"{path}: not a TEI volume (root element <{tag}>, expected <TEI>)")
                volume_id = (elem.get(_XML_ID) or "").strip() or path.stem
            stack.append(elem)
            if doc_elem is None and terms_elem is None:
                if tag == "div" and elem.get("type") == "document":
                    doc_elem, doc_start_page = elem, tracker.current
                elif tag == "list" and elem.get("type") == "terms":
                    terms_elem = elem
                elif tag == "body" and not documents:
                    return
            continue
        stack.pop()
        if doc_elem is not None:
            if elem is doc_elem:
                doc_count += 1
                div_id = (elem.get(_XML_ID) or "").strip() or f"d{elem.get('n') or doc_count}"
                tracker.current = doc_start_page
                yield _DocumentWalker(tracker).build(elem, f"{volume_id}-{div_id}", volume_id, tuple(terms))
                elem.clear()
                if stack:
                    stack[-1].remove(elem)
                doc_elem = None
            continue
        if terms_elem is not None:
            if elem is terms_elem:
                found = _terms(elem)
                terms.extend(found)
                yield found
                terms_elem = None
                elem.clear()
            elif tag == "pb" and elem.get("n"):
                tracker.current = elem.get("n")
            continue
        if tag == "pb" and elem.get("n"):
            tracker.current = elem.get("n")
        elem.clear()


def read_tei_volume(path: Path) -> Iterator[Document]:
    """Yield the documents (``<div type="document">``) of a FRUS TEI volume, in order."""
    for value in _scan(Path(path), documents=True):
        if isinstance(value, Document):
            yield value


def read_volume_abbreviations(path: Path) -> list[tuple[str, str]]:
    """The volume's list of abbreviations (``<list type="terms">``) as (form, expansion) pairs.

    Stops reading at ``<body>``, so it is cheap even on a large volume.
    """
    pairs: list[tuple[str, str]] = []
    for value in _scan(Path(path), documents=False):
        if isinstance(value, list):
            pairs.extend(value)
    return pairs
