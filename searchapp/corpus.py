"""Read a corpus folder of history.state.gov text pages into :class:`Document` values.

First step of the pipeline: files → documents (with their paragraphs). Knows files and
the page format, nothing about Whoosh.

The format (see ``seeds/000_543ec0455553e979.txt``)::

    611.61/9–2151: Telegram                      file number and document type
                                                 (blank lines separate blocks)
    The Acting Secretary of State to ... 1       heading, footnote marker at the end
    top secret                                   classification (optional)
    225. For ur info only ...                    body paragraphs; [Page 972] markers
    ...                                          and footnote markers (``fit.2``) inside
    Webb                                         signature (a short name line)
      1. Repeated for information ...            numbered footnotes, possibly several
      5. The Department sent ...:                lines and blank lines long

A file that does not follow the layout still yields a document: the first non-empty
line is its title and its blank-line blocks are its paragraphs. The source text of a
paragraph is never rewritten: markers are recorded as character spans beside it.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .models import Document, Marker, Paragraph

#: a valid document id: what may appear in ``/doc/<doc_id>``
DOC_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")

MAX_FILE_BYTES = 20 * 1024 * 1024

_DASH = "[-–—‐‑]"
_FILE_LINE_RE = re.compile(
    r"^(?P<file>(?:[0-9]{1,4}[A-Za-z0-9./ ()–—-]*|[A-Z][A-Za-z.]*\s*[0-9][^:]*|Lot\b[^:]*|[A-Z][^:]{0,60}files?[^:]*)):\s*(?P<type>.+)$"
)
_FILE_DATE_RE = re.compile(rf"/\s*(?P<m>[0-9]{{1,2}}){_DASH}(?P<d>[0-9]{{1,2}})(?P<y>[0-9]{{2}})\b")
_MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
            ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
            ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for m in names
}
_DATELINE_RE = re.compile(
    r"\b(?P<month>January|February|March|April|May|June|July|August|September|October|"
    r"November|December)\s+(?P<day>[0-9]{1,2}),\s+(?P<year>1[89][0-9]{2})\b"
)
_CLASSIFICATION_WORDS = {
    "top", "secret", "confidential", "restricted", "unclassified", "official", "use", "only",
    "priority", "niact", "urgent", "eyes", "operational", "immediate", "flash", "nodis",
    "exdis", "limdis", "noforn", "security", "information", "limited", "distribution",
    "personal", "and", "private", "for", "the", "secretary", "emergency", "routine",
}
_CLASSIFICATION_CORE = {"secret", "confidential", "restricted", "unclassified", "official", "eyes", "niact", "priority", "nodis", "exdis", "limdis"}
_PAGE_RE = re.compile(r"\[Page\s+(?P<page>[0-9IVXLCDMivxlcdm]+[a-z]?)\]")
_FOOTNOTE_START_RE = re.compile(r"^\s{0,8}(?P<n>[0-9]{1,3})\.\s+\S")
# a footnote marker glued to a word or closing punctuation: fit.2  Deputies4  1950.3  UN.5
_GLUED_MARKER_RE = re.compile(r"(?<=[A-Za-z.,;:)’”\"'\]])(?P<n>[0-9]{1,3})(?=[\s.,;:)’”\"'—–-]|$)")
_HEADING_MARKER_RE = re.compile(r"(?:(?<=\s)|(?<=[A-Za-z.,;:)’”\"']))(?P<n>[0-9]{1,3})\s*$")
_SIGNATURE_MAX_WORDS = 6


class CorpusError(Exception):
    """A corpus folder that cannot be read at all (missing, not a folder)."""


@dataclass
class SkippedFile:
    path: str
    reason: str


@dataclass
class CorpusScan:
    """What a scan of a corpus folder found: documents to index and files skipped."""

    documents: list[Document] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)


def normalize_text(text: str) -> str:
    """NFC, no BOM, LF line endings: the form every reader and the analyzer agree on."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.startswith("\ufeff"):
        text = text[1:]
    return unicodedata.normalize("NFC", text)


def doc_id_for(path: Path) -> str:
    """The id of the document stored in ``path``: its file name without ``.txt``."""
    return path.name[: -len(path.suffix)] if path.suffix else path.name


def date_from_file_number(file_number: str) -> dt.date | None:
    """``611.61/9–2151`` → 1951-09-21 (month–day–two-digit year after the slash)."""
    match = _FILE_DATE_RE.search(file_number)
    if not match:
        return None
    month, day, year = int(match["m"]), int(match["d"]), 1900 + int(match["y"])
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def date_from_text(text: str) -> dt.date | None:
    """The first dateline-style date (``September 28, 1951``) in ``text``."""
    match = _DATELINE_RE.search(text)
    if not match:
        return None
    try:
        return dt.date(int(match["year"]), _MONTHS[match["month"].lower()], int(match["day"]))
    except ValueError:
        return None


def is_classification(line: str) -> bool:
    words = re.findall(r"[a-z]+", line.lower())
    return (
        bool(words)
        and len(words) <= 8
        and all(w in _CLASSIFICATION_WORDS for w in words)
        and any(w in _CLASSIFICATION_CORE for w in words)
    )


_SENDER_PREFIX_RE = re.compile(
    r"^(?:Telegram|Memorandum|Letter|Despatch|Airgram|Note|Message|Instruction)"
    r"(?:\s+of\s+Conversation)?,?\s+(?:From|by)\s+",
    re.IGNORECASE,
)
_NO_SENDER_RE = re.compile(r"^(?:Memorandum|Editorial|Minutes|Paper|Report|Statement)\b", re.IGNORECASE)


def split_sender_recipient(title: str) -> tuple[str | None, str | None]:
    """``The Ambassador in Korea (Muccio) to the Secretary of State`` → sender, recipient.

    Splits at the first " to " after the first ")" if there is one there (so "The Special
    Assistant to the Secretary (Battle) to ..." keeps its title), else at the first " to ";
    a leading "Memorandum by" / "Telegram From" is dropped. Used for text pages and TEI
    heads alike; a title that does not read "X to Y" gives ``(None, None)``.
    """
    body = _SENDER_PREFIX_RE.sub("", title, count=1)
    if body == title and _NO_SENDER_RE.match(title):
        return None, None
    close = body.find(")") + 1 if "(" in body else 0
    match = re.search(r"\s+to\s+", body[close:])
    if match:
        cut_start, cut_end = close + match.start(), close + match.end()
    else:
        match = re.search(r"\s+to\s+", body)
        if not match:
            return None, None
        cut_start, cut_end = match.start(), match.end()
    sender, recipient = body[:cut_start].strip(" ,"), body[cut_end:].strip(" ,")
    if not sender or not recipient:
        return None, None
    return sender, recipient


def _blocks(lines: list[str]) -> list[tuple[int, int]]:
    """Line ranges [start, end) of blank-line separated blocks."""
    blocks: list[tuple[int, int]] = []
    start = None
    for i, line in enumerate(lines):
        if line.strip():
            if start is None:
                start = i
        elif start is not None:
            blocks.append((start, i))
            start = None
    if start is not None:
        blocks.append((start, len(lines)))
    return blocks


def _footnote_section_start(lines: list[str]) -> int | None:
    """Index of the line that starts footnote 1, if the file ends with numbered footnotes.

    Footnotes are indented ``  1. ...`` lines numbered 1, 2, 3... in order at the end of
    the file. A body paragraph that starts with its message number (``225. For ...``) is
    not indented and is not followed by 2, 3...: it does not count.
    """
    candidates = [
        i for i, line in enumerate(lines)
        if (m := _FOOTNOTE_START_RE.match(line)) and m["n"] == "1" and line[:1].isspace()
    ]
    for i in reversed(candidates):
        expected, ok = 2, True
        for line in lines[i + 1:]:
            m = _FOOTNOTE_START_RE.match(line)
            if m and line[:1].isspace():
                if int(m["n"]) != expected:
                    ok = False
                    break
                expected += 1
        if ok:
            return i
    # unindented footnotes are accepted only when there are several, numbered in order
    for i, line in enumerate(lines):
        m = _FOOTNOTE_START_RE.match(line)
        if m and m["n"] == "1" and (i == 0 or not lines[i - 1].strip()):
            numbers = [int(mm["n"]) for mm in map(_FOOTNOTE_START_RE.match, lines[i:]) if mm]
            if len(numbers) >= 2 and numbers == list(range(1, len(numbers) + 1)):
                prev = lines[:i]
                if prev and _looks_like_signature(next((x for x in reversed(prev) if x.strip()), "")):
                    return i
    return None


def _split_footnotes(lines: list[str]) -> list[tuple[str, str]]:
    """(number, text) of each footnote; a footnote runs until the next number in order."""
    notes: list[tuple[str, list[str]]] = []
    expected = 1
    for line in lines:
        m = _FOOTNOTE_START_RE.match(line)
        if m and int(m["n"]) == expected:
            notes.append((m["n"], [line.strip()]))
            expected += 1
        elif notes:
            notes[-1][1].append(line)
    result = []
    for number, body in notes:
        while body and not body[-1].strip():
            body.pop()
        text = "\n".join([body[0]] + [b.rstrip() for b in body[1:]])
        result.append((number, text))
    return result


def _looks_like_signature(block: str) -> bool:
    text = block.strip()
    if "\n" in text or not text:
        return False
    words = text.split()
    if len(words) > _SIGNATURE_MAX_WORDS or text.endswith((".", ":", ";", ",")) and not re.search(r"\b[A-Z]\.$", text):
        return False
    if re.match(r"^[0-9]+\.", text):
        return False
    return all(w[:1].isupper() or w[:1] in "[(" or w.lower() in {"of", "for", "and", "de", "van", "von"} for w in words)


def find_markers(text: str, footnote_numbers: set[int], expected: int = 1) -> tuple[list[Marker], int]:
    """Page markers and glued footnote references in ``text``.

    Footnote references are accepted in order (1, 2, 3...) and only for footnotes that
    exist, so ``38th``, ``Embtel 491`` or ``B-29`` are never taken for references.
    Returns the markers and the next expected footnote number.
    """
    markers = [Marker(m.start(), m.end(), "page", m["page"]) for m in _PAGE_RE.finditer(text)]
    page_spans = [(m.start, m.end) for m in markers]
    for m in _GLUED_MARKER_RE.finditer(text):
        n = int(m["n"])
        if any(s <= m.start() < e for s, e in page_spans):
            continue
        if n in footnote_numbers and n >= expected:
            # a reference must not be the tail of a longer number or a word like "B29"
            before = text[max(0, m.start() - 1)]
            if before.isdigit():
                continue
            if before.isalpha() and m.start() >= 2 and text[m.start() - 2].isdigit():
                continue
            markers.append(Marker(m.start(), m.end(), "footnote", m["n"]))
            expected = n + 1
    markers.sort(key=lambda mk: mk.start)
    return markers, expected


def _pages_of(markers: list[Marker], current: str | None) -> tuple[tuple[str, ...], str | None]:
    pages = [current] if current is not None else []
    for mk in markers:
        if mk.kind == "page":
            if pages and pages[-1] == current and mk.start == 0:
                pages = []
            pages.append(mk.value)
            current = mk.value
    return tuple(p for p in pages if p is not None), current


def _page_before(label: str) -> str | None:
    return str(int(label) - 1) if label.isdigit() and int(label) > 1 else None


def parse_document(doc_id: str, raw: str) -> Document:
    """Parse one page of the history.state.gov text format (see the module docstring)."""
    text = normalize_text(raw)
    lines = text.split("\n")
    fn_start = _footnote_section_start(lines)
    main_lines = lines if fn_start is None else lines[:fn_start]
    footnotes = _split_footnotes(lines[fn_start:]) if fn_start is not None else []
    footnote_numbers = {int(n) for n, _ in footnotes}

    blocks = ["\n".join(main_lines[s:e]).strip() for s, e in _blocks(main_lines)]
    file_number = doc_type = classification = None
    title = ""
    title_marker: str | None = None

    if blocks and (m := _FILE_LINE_RE.match(blocks[0])) and "\n" not in blocks[0]:
        file_number, doc_type = m["file"].strip(), m["type"].strip()
        blocks = blocks[1:]
    if blocks and "\n" not in blocks[0] and len(blocks[0]) <= 400 and (file_number or len(blocks) > 1):
        title = blocks[0]
        blocks = blocks[1:]
        hm = _HEADING_MARKER_RE.search(title)
        if hm and int(hm["n"]) in footnote_numbers:
            title_marker = hm["n"]
            title = title[: hm.start()].rstrip()
        if blocks and is_classification(blocks[0]):
            classification = blocks[0]
            blocks = blocks[1:]
    elif blocks:
        # not the expected layout: the first non-empty line is the title, every block a paragraph
        title = blocks[0].split("\n", 1)[0].strip()

    signature = None
    if footnotes and len(blocks) > 1 and _looks_like_signature(blocks[-1]):
        signature = blocks.pop()
    elif file_number and len(blocks) > 1 and _looks_like_signature(blocks[-1]):
        signature = blocks.pop()

    # Pass 1: markers in reading order, to know on which page each footnote is referenced.
    expected = 2 if title_marker == "1" else 1
    body_parts: list[tuple[str, str]] = [("body", b) for b in blocks]
    if signature:
        body_parts.append(("signature", signature))
    parsed: list[tuple[str, str, list[Marker]]] = []
    for kind, block in body_parts:
        markers, expected = find_markers(block, footnote_numbers, expected)
        parsed.append((kind, block, markers))

    first_page = next((mk.value for _, _, ms in parsed for mk in ms if mk.kind == "page"), None)
    current = _page_before(first_page) if first_page else None
    footnote_page: dict[str, str | None] = {}
    if title_marker:
        footnote_page[title_marker] = current
    paragraphs: list[Paragraph] = []
    for kind, block, markers in parsed:
        pages, _ = _pages_of(markers, current)
        page_now = current
        for mk in markers:
            if mk.kind == "page":
                page_now = mk.value
            else:
                footnote_page.setdefault(mk.value, page_now)
        current = page_now
        paragraphs.append(Paragraph(n=len(paragraphs) + 1, kind=kind, text=block, pages=pages, markers=tuple(markers)))

    for number, note in footnotes:
        markers = [Marker(0, len(number), "label", number)]
        markers += [Marker(m.start(), m.end(), "page", m["page"]) for m in _PAGE_RE.finditer(note)]
        start_page = footnote_page.get(number, current)
        pages, _ = _pages_of(markers, start_page)
        paragraphs.append(
            Paragraph(n=len(paragraphs) + 1, kind="footnote", text=note, pages=pages, markers=tuple(markers), label=number)
        )

    date = date_from_file_number(file_number) if file_number else None
    if date is None:
        head_text = "\n".join(b for _, b, _ in parsed[:3])
        date = date_from_text(title + "\n" + head_text)
    sender, recipient = split_sender_recipient(title) if title else (None, None)
    return Document(
        doc_id=doc_id,
        title=title or doc_id,
        paragraphs=tuple(paragraphs),
        file_number=file_number,
        doc_type=doc_type,
        date=date,
        classification=classification,
        sender=sender,
        recipient=recipient,
    )


def read_text_file(path: Path) -> str:
    """Decode a corpus file: UTF-8 (BOM allowed); invalid bytes become U+FFFD."""
    data = path.read_bytes()
    return data.decode("utf-8", errors="replace")


def _skip_reason(path: Path, root: Path) -> str | None:
    if path.is_symlink():
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError):
            return "broken symlink"
        if not target.is_relative_to(root):
            return "symlink leading outside the corpus"
    if not path.is_file():
        return "not a regular file"
    size = path.stat().st_size
    if size == 0:
        return "empty file"
    if size > MAX_FILE_BYTES:
        return f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MB"
    if not DOC_ID_RE.match(doc_id_for(path)):
        return "file name is not a valid document id (letters, digits, . _ - only)"
    return None


def _looks_binary(raw: bytes) -> bool:
    sample = raw[:8192]
    if not sample:
        return False
    bad = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return bad / len(sample) > 0.05


def iter_corpus_files(corpus_dir: Path) -> Iterator[Path]:
    """Files of the corpus folder (recursively), in a stable order, hidden ones excluded."""
    if not corpus_dir.exists():
        raise CorpusError(f"corpus folder {corpus_dir} does not exist; pass --corpus DIR")
    if not corpus_dir.is_dir():
        raise CorpusError(f"{corpus_dir} is not a folder; pass --corpus DIR")
    for path in sorted(corpus_dir.rglob("*")):
        rel = path.relative_to(corpus_dir)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.is_dir() and not path.is_symlink():
            continue
        yield path


def file_signature(path: Path) -> tuple[int, int]:
    """(size, mtime in ns): what tells a build that a file changed."""
    st = path.stat()
    return st.st_size, st.st_mtime_ns


def scan_corpus(
    corpus_dir: Path,
    only: set[str] | None = None,
    seen: dict[str, str] | None = None,
) -> Iterator[tuple[str, Document | SkippedFile]]:
    """Yield (file path relative to the folder, document) for every document of the
    folder, and (path, :class:`SkippedFile`) for each file that could not be indexed,
    with its reason. ``*.txt`` files are telegram pages, ``*.xml`` files FRUS TEI volumes
    (one document per ``<div type="document">``). ``only`` limits the scan to some files;
    ``seen`` maps document ids already taken to their file."""
    root = corpus_dir.resolve()
    seen = {} if seen is None else seen
    for path in iter_corpus_files(corpus_dir):
        rel = str(path.relative_to(corpus_dir))
        if only is not None and rel not in only:
            continue
        suffix = path.suffix.lower()
        if suffix not in (".txt", ".xml"):
            yield rel, SkippedFile(rel, f"not a .txt or .xml file ({path.suffix or 'no extension'})")
            continue
        reason = _skip_reason(path, root)
        if reason:
            yield rel, SkippedFile(rel, reason)
            continue
        if suffix == ".xml":
            for item in _scan_tei(path, rel, seen):
                yield rel, item
            continue
        doc_id = doc_id_for(path)
        if doc_id in seen:
            yield rel, SkippedFile(rel, f"document id {doc_id!r} already used by {seen[doc_id]}")
            continue
        raw = path.read_bytes()
        if _looks_binary(raw):
            yield rel, SkippedFile(rel, "binary file (control bytes), not text")
            continue
        text = raw.decode("utf-8", errors="replace").replace("\x00", "")
        if not text.strip():
            yield rel, SkippedFile(rel, "no text")
            continue
        seen[doc_id] = rel
        yield rel, parse_document(doc_id, text)


def _scan_tei(path: Path, rel: str, seen: dict[str, str]) -> Iterator[Document | SkippedFile]:
    from . import tei  # a TEI reader is only needed for .xml corpora

    try:
        for doc in tei.read_tei_volume(path):
            if doc.doc_id in seen:
                yield SkippedFile(f"{rel}#{doc.doc_id}", f"document id {doc.doc_id!r} already used by {seen[doc.doc_id]}")
                continue
            seen[doc.doc_id] = rel
            yield doc
    except tei.TeiError as exc:
        yield SkippedFile(rel, str(exc))


def read_corpus(corpus_dir: Path) -> CorpusScan:
    """All documents of a corpus folder, and the files skipped with their reasons."""
    scan = CorpusScan()
    for _, item in scan_corpus(corpus_dir):
        if isinstance(item, SkippedFile):
            scan.skipped.append(item)
        else:
            scan.documents.append(item)
    return scan
