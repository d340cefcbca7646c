"""Build the paragraph index: corpus folder → a new index generation → atomic switch.

Fourth step of the pipeline. Layout of an index folder (``index/`` by default)::

    index/
      current -> gen-20261127T101500-3fa2c1     symlink to the generation being served
      gen-20261127T101500-3fa2c1/               Whoosh files + searchapp.json (metadata)
      .build.lock                               held while a build runs

A build writes a new generation beside the served one, verifies it (opens, counts, a
smoke query), then replaces the ``current`` symlink with ``os.replace`` (atomic). The
previous generation is kept (a server may still be reading it) and older ones are
removed. A build killed half-way leaves only an unreferenced ``*.tmp`` folder, which the
next build removes. Two builds at once: the second refuses with a clear message.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.query import Term

from .abbreviations import AbbreviationTable
from .analysis import VolumeText
from .corpus import SkippedFile, iter_corpus_files, scan_corpus
from .models import Document, Paragraph
from .schema import SCHEMA_VERSION, make_schema

META_FILE = "searchapp.json"
CURRENT = "current"
LOCK_FILE = ".build.lock"
WRITER_LIMIT_MB = 256

ProgressFn = Callable[[int, int], None]


class SearchappIndexError(Exception):
    """Base class of index errors; the message says what to run."""


class IndexNotBuilt(SearchappIndexError):
    pass


class BuildInProgress(SearchappIndexError):
    pass


@dataclass
class BuildReport:
    """What a build did, for the closing report of ``searchapp build``."""

    index_dir: str
    generation: str
    documents: int = 0
    paragraphs: int = 0
    files: int = 0
    skipped: list[SkippedFile] = field(default_factory=list)
    seconds: float = 0.0
    abbreviations_digest: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class IndexInfo:
    """The metadata stamped into a generation."""

    path: Path
    schema_version: int
    abbreviations_digest: str
    documents: int
    paragraphs: int
    built_at: str
    corpus: str

    def stale_reason(self, table: AbbreviationTable) -> str | None:
        """Why this index no longer matches the code or the dictionary, if it doesn't."""
        if self.schema_version != SCHEMA_VERSION:
            return (
                f"the index was built with schema version {self.schema_version}, this searchapp "
                f"uses {SCHEMA_VERSION}; run 'searchapp build' to rebuild it"
            )
        if self.abbreviations_digest != table.digest():
            return (
                "the abbreviation dictionary changed since the index was built "
                f"({self.abbreviations_digest} → {table.digest()}); run 'searchapp build' to rebuild it"
            )
        return None


def masked_text(paragraph: Paragraph) -> str:
    """The paragraph text with page and footnote markers blanked out (same length), so
    offsets into it are offsets into the source text."""
    if not paragraph.markers:
        return paragraph.text
    chars = list(paragraph.text)
    for marker in paragraph.markers:
        chars[marker.start:marker.end] = " " * (marker.end - marker.start)
    return "".join(chars)


def para_id(doc_id: str, n: int) -> str:
    return f"{doc_id}#p{n}"


def date_key(date: dt.date | None) -> int:
    return date.year * 10000 + date.month * 100 + date.day if date else 0


def paragraph_fields(doc: Document, paragraph: Paragraph, table: AbbreviationTable | None = None) -> dict:
    """The index document of one paragraph."""
    text = masked_text(paragraph)
    return {
        "para_id": para_id(doc.doc_id, paragraph.n),
        "doc_id": doc.doc_id,
        "n": paragraph.n,
        "kind": paragraph.kind,
        "text": VolumeText(text, table) if table is not None else text,
        "_stored_text": paragraph.text,
        "title": doc.title,
        "sender": doc.sender or "",
        "_stored_sender": doc.sender,
        "recipient": doc.recipient or "",
        "_stored_recipient": doc.recipient,
        "classification": doc.classification or "",
        "_stored_classification": doc.classification,
        "doc_type": doc.doc_type or "",
        "_stored_doc_type": doc.doc_type,
        "file_number": doc.file_number or "",
        "_stored_file_number": doc.file_number,
        "volume": doc.volume or "",
        "_stored_volume": doc.volume,
        "date": date_key(doc.date),
        "date_iso": doc.date.isoformat() if doc.date else None,
        "pages": paragraph.pages,
        "markers": tuple((m.start, m.end, m.kind, m.value) for m in paragraph.markers),
        "label": paragraph.label,
    }


# -- generations -------------------------------------------------------------------------


def current_generation(index_root: Path) -> Path:
    """The folder of the generation being served; IndexNotBuilt if there is none."""
    link = index_root / CURRENT
    if not link.exists():
        raise IndexNotBuilt(f"no index at {index_root}/; run 'searchapp build --index {index_root}'")
    return link.resolve()


def read_info(generation: Path) -> IndexInfo:
    try:
        meta = json.loads((generation / META_FILE).read_text(encoding="utf-8"))
        return IndexInfo(
            path=generation,
            schema_version=int(meta["schema_version"]),
            abbreviations_digest=str(meta["abbreviations_digest"]),
            documents=int(meta["documents"]),
            paragraphs=int(meta["paragraphs"]),
            built_at=str(meta["built_at"]),
            corpus=str(meta.get("corpus", "")),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexNotBuilt(
            f"the index at {generation} is damaged or incomplete ({exc.__class__.__name__}); "
            "run 'searchapp build' to rebuild it"
        ) from exc


def open_current(index_root: Path) -> tuple[whoosh_index.Index, IndexInfo]:
    """Open the served generation; IndexNotBuilt with a helpful message on any failure."""
    generation = current_generation(index_root)
    info = read_info(generation)
    try:
        ix = whoosh_index.open_dir(str(generation))
    except Exception as exc:  # Whoosh raises many kinds on a damaged index
        raise IndexNotBuilt(
            f"cannot open the index at {generation} ({exc.__class__.__name__}: {exc}); "
            "run 'searchapp build' to rebuild it"
        ) from exc
    return ix, info


@contextmanager
def build_lock(index_root: Path) -> Iterator[None]:
    index_root.mkdir(parents=True, exist_ok=True)
    lock_path = index_root / LOCK_FILE
    with open(lock_path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                raise BuildInProgress(
                    f"another build is writing {index_root}/ (pid {holder}); wait for it to finish, "
                    "then run the build again"
                ) from exc
            raise
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


def _switch_current(index_root: Path, generation: Path) -> None:
    tmp_link = index_root / f".{CURRENT}.{uuid.uuid4().hex[:8]}"
    os.symlink(generation.name, tmp_link)
    os.replace(tmp_link, index_root / CURRENT)
    fd = os.open(index_root, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_old_generations(index_root: Path, keep: set[str]) -> None:
    gens = sorted(p for p in index_root.glob("gen-*") if p.is_dir())
    for path in gens:
        if path.name in keep:
            continue
        shutil.rmtree(path, ignore_errors=True)


def _fsync_tree(folder: Path) -> None:
    for path in folder.iterdir():
        with open(path, "rb") as handle:
            os.fsync(handle.fileno())


def _verify(generation: Path, expected_paragraphs: int, probe_id: str | None) -> None:
    ix = whoosh_index.open_dir(str(generation))
    try:
        count = ix.doc_count()
        if count != expected_paragraphs:
            raise SearchappIndexError(f"verification failed: {count} paragraphs indexed, {expected_paragraphs} expected")
        if probe_id is not None:
            with ix.searcher() as searcher:
                if searcher.search(Term("para_id", probe_id), limit=1).scored_length() != 1:
                    raise SearchappIndexError(f"verification failed: smoke query for {probe_id} found nothing")
    finally:
        ix.close()


def build_index(
    corpus_dir: Path,
    index_root: Path,
    table: AbbreviationTable | None = None,
    progress: ProgressFn | None = None,
) -> BuildReport:
    """Index every document of ``corpus_dir`` into a new generation under ``index_root``
    and make it the served one. ``progress(files_done, files_total)`` is called as files
    are read."""
    table = table or AbbreviationTable.builtin()
    started = time.perf_counter()
    files_total = sum(1 for _ in iter_corpus_files(corpus_dir))
    with build_lock(index_root):
        for stale in index_root.glob("gen-*.tmp"):
            shutil.rmtree(stale, ignore_errors=True)
        name = f"gen-{dt.datetime.now().strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
        tmp = index_root / f"{name}.tmp"
        tmp.mkdir(parents=True)
        report = BuildReport(index_dir=str(index_root), generation=name, abbreviations_digest=table.digest())
        ix = whoosh_index.create_in(str(tmp), make_schema(table))
        writer = ix.writer(limitmb=WRITER_LIMIT_MB)
        probe_id = None
        volume_tables: dict[tuple, AbbreviationTable] = {}
        sources: set[str] = set()
        try:
            for item in scan_corpus(corpus_dir):
                if isinstance(item, SkippedFile):
                    report.skipped.append(item)
                    sources.add(item.path.split("#", 1)[0])
                else:
                    doc_table = None
                    if item.extra_abbreviations:
                        cache_key = (item.volume, item.extra_abbreviations)
                        if cache_key not in volume_tables:
                            volume_tables[cache_key] = table.with_extra(item.extra_abbreviations, f"{item.volume} list of abbreviations")
                        doc_table = volume_tables[cache_key]
                    for paragraph in item.paragraphs:
                        fields = paragraph_fields(item, paragraph, doc_table)
                        writer.add_document(**fields)
                        probe_id = probe_id or fields["para_id"]
                        report.paragraphs += 1
                    report.documents += 1
                    sources.add(item.doc_id)
                if progress is not None:
                    progress(min(len(sources), files_total), files_total)
            writer.commit()
        except BaseException:
            writer.cancel()
            ix.close()
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        ix.close()
        report.files = files_total
        meta = {
            "schema_version": SCHEMA_VERSION,
            "abbreviations_digest": table.digest(),
            "documents": report.documents,
            "paragraphs": report.paragraphs,
            "built_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "corpus": str(corpus_dir.resolve()),
            "volume_abbreviations": sorted({(v or "", f, e) for (v, pairs) in volume_tables for f, e in pairs}),
        }
        (tmp / META_FILE).write_text(json.dumps(meta, indent=1), encoding="utf-8")
        _verify(tmp, report.paragraphs, probe_id)
        _fsync_tree(tmp)
        final = index_root / name
        os.replace(tmp, final)
        previous = (index_root / CURRENT).resolve().name if (index_root / CURRENT).exists() else None
        _switch_current(index_root, final)
        _remove_old_generations(index_root, keep={name, previous} - {None})
        report.seconds = round(time.perf_counter() - started, 3)
        return report
