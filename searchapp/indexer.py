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
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.query import Term

from .abbreviations import AbbreviationTable
from .analysis import VolumeText
from .corpus import SkippedFile, file_signature, iter_corpus_files, scan_corpus
from .models import Document, Paragraph, mask_markers
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
    #: "full", "incremental" (only changed files re-indexed) or "up-to-date" (nothing to do)
    mode: str = "full"
    changed_files: int = 0
    removed_files: int = 0

    def to_dict(self) -> dict:
        return asdict(self)

    def summary_lines(self) -> list[str]:
        """The closing report, for people: what was indexed and every file skipped."""
        if self.mode == "up-to-date":
            lines = [f"The index at {self.index_dir}/ is up to date ({self.documents} documents, {self.paragraphs} paragraphs)."]
        elif self.mode == "incremental":
            lines = [
                f"Updated {self.index_dir}/ ({self.generation}): {self.changed_files} files added or changed, "
                f"{self.removed_files} removed, in {self.seconds:.1f} s; now {self.documents} documents, "
                f"{self.paragraphs} paragraphs."
            ]
        else:
            lines = [
                f"Indexed {self.documents} documents, {self.paragraphs} paragraphs from {self.files} files "
                f"in {self.seconds:.1f} s into {self.index_dir}/ ({self.generation})."
            ]
        if self.skipped:
            lines.append(f"Skipped {len(self.skipped)} files:")
            lines.extend(f"  {item.path}: {item.reason}" for item in self.skipped)
        return lines


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


PARALLEL_MIN_BYTES = 1_000_000


def writer_options(full: bool, corpus_bytes: int, has_volumes: bool = False) -> dict:
    """Whoosh writer settings. A full build of a corpus of some size uses one process per
    core, each writing its own segment (``multisegment``: no final merge); an incremental
    update or a small corpus stays in one process, and so does a corpus with TEI volumes
    (their paragraphs carry the volume's own abbreviation table, too big to send to a
    worker with every paragraph). SEARCHAPP_BUILD_PROCS overrides."""
    forced = int(os.environ.get("SEARCHAPP_BUILD_PROCS", "0") or 0)
    parallel = corpus_bytes >= PARALLEL_MIN_BYTES and not has_volumes
    procs = forced or (os.cpu_count() or 1 if parallel else 1)
    # compound=False: Whoosh 2.7 reads a compound segment by copying its postings into
    # memory in every searcher; separate files are read in place
    if not full or procs < 2:
        return {"limitmb": WRITER_LIMIT_MB, "compound": False}
    return {"limitmb": WRITER_LIMIT_MB // procs, "procs": procs, "multisegment": True, "compound": False}


def para_id(doc_id: str, n: int) -> str:
    return f"{doc_id}#p{n}"


def date_key(date: dt.date | None) -> int:
    return date.year * 10000 + date.month * 100 + date.day if date else 0


def paragraph_fields(doc: Document, paragraph: Paragraph, table: AbbreviationTable | None = None) -> dict:
    """The index document of one paragraph."""
    text = mask_markers(paragraph.text, paragraph.markers)
    fields = {
        "para_id": para_id(doc.doc_id, paragraph.n),
        "doc_id": doc.doc_id,
        "n": paragraph.n,
        "kind": paragraph.kind,
        "text": VolumeText(text, table) if table is not None else text,
        "_stored_text": paragraph.text,
        "title": doc.title,
        "date": date_key(doc.date),
        "date_iso": doc.date.isoformat() if doc.date else None,
        "pages": paragraph.pages,
        "markers": tuple((m.start, m.end, m.kind, m.value) for m in paragraph.markers),
        "label": paragraph.label,
    }
    if paragraph.emphasis:
        fields["emphasis"] = paragraph.emphasis
    # an absent header field is left out: nothing to index, None stored
    for name in ("sender", "recipient", "classification", "doc_type", "file_number", "volume"):
        value = getattr(doc, name)
        if value:
            fields[name] = value
    return fields


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


_HELD_IN_THIS_PROCESS: set[str] = set()


@contextmanager
def build_lock(index_root: Path) -> Iterator[None]:
    """Hold the build lock of ``index_root``, or raise BuildInProgress."""
    index_root.mkdir(parents=True, exist_ok=True)
    lock_path = index_root / LOCK_FILE
    held_key = str(lock_path.resolve())
    if held_key in _HELD_IN_THIS_PROCESS:  # record locks do not exclude their own process
        raise BuildInProgress(f"a build is already writing {index_root}/ in this process; wait for it to finish")
    with open(lock_path, "a+") as handle:
        try:
            # a POSIX record lock belongs to this process only: forked writer processes do
            # not inherit it, so a killed build never leaves the lock held
            fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
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
        _HELD_IN_THIS_PROCESS.add(held_key)
        try:
            yield
        finally:
            _HELD_IN_THIS_PROCESS.discard(held_key)
            handle.seek(0)
            handle.truncate()
            fcntl.lockf(handle, fcntl.LOCK_UN)


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
                doc_id = probe_id.rsplit("#", 1)[0]
                if searcher.search(Term("doc_id", doc_id), limit=1).scored_length() != 1:
                    raise SearchappIndexError(f"verification failed: smoke query for {probe_id} found nothing")
    finally:
        ix.close()


def _fingerprints(corpus_dir: Path) -> dict[str, tuple[int, int]]:
    prints = {}
    for path in iter_corpus_files(corpus_dir):
        try:
            prints[str(path.relative_to(corpus_dir))] = file_signature(path)
        except OSError:
            prints[str(path.relative_to(corpus_dir))] = (-1, -1)
    return prints


def _previous_meta(index_root: Path, table: AbbreviationTable, corpus_dir: Path) -> dict | None:
    """The metadata of the served generation, if an incremental update can start from it."""
    try:
        generation = current_generation(index_root)
        meta = json.loads((generation / META_FILE).read_text(encoding="utf-8"))
    except (SearchappIndexError, OSError, ValueError):
        return None
    if (
        meta.get("schema_version") != SCHEMA_VERSION
        or meta.get("abbreviations_digest") != table.digest()
        or meta.get("corpus") != str(corpus_dir.resolve())
        or "files" not in meta
    ):
        return None
    meta["_generation"] = generation
    return meta


def build_index(
    corpus_dir: Path,
    index_root: Path,
    table: AbbreviationTable | None = None,
    progress: ProgressFn | None = None,
    full: bool = False,
) -> BuildReport:
    """Bring the index under ``index_root`` up to date with ``corpus_dir`` and serve it.

    When the served generation was built from the same folder with the same dictionary
    and schema, only the files added, changed or removed since are re-indexed (into a
    hard-linked copy of it, so the served files are never touched); otherwise, or with
    ``full``, every file is indexed into a fresh generation. ``progress(done, total)``
    is called as files are read.
    """
    table = table or AbbreviationTable.builtin()
    with build_lock(index_root):
        try:
            return _build(corpus_dir, index_root, table, progress, full, allow_parallel=True)
        except _ParallelWriterFailed as exc:
            # a machine where worker processes cannot run (no /dev/shm, no fork...): the
            # same build in one process
            warnings.warn(f"parallel index writers failed ({exc.__cause__!r}); building in one process", stacklevel=2)
            return _build(corpus_dir, index_root, table, progress, full, allow_parallel=False)


class _ParallelWriterFailed(Exception):
    """The parallel writer failed for a reason of its own; the build can run serially."""


def _build(
    corpus_dir: Path,
    index_root: Path,
    table: AbbreviationTable,
    progress: ProgressFn | None,
    full: bool,
    allow_parallel: bool,
) -> BuildReport:
    started = time.perf_counter()
    for stale in index_root.glob("gen-*.tmp"):
        shutil.rmtree(stale, ignore_errors=True)
    prints = _fingerprints(corpus_dir)
    previous = None if full else _previous_meta(index_root, table, corpus_dir)
    name = f"gen-{dt.datetime.now().strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
    report = BuildReport(index_dir=str(index_root), generation=name, abbreviations_digest=table.digest())
    report.files = len(prints)
    files_meta: dict[str, dict] = {}
    only: set[str] | None = None
    seen: dict[str, str] = {}
    remove_ids: set[str] = set()
    if previous is not None:
        old_files: dict[str, dict] = previous["files"]
        only = {rel for rel, sig in prints.items() if rel not in old_files or tuple(old_files[rel]["sig"]) != sig}
        removed = set(old_files) - set(prints)
        for rel, entry in old_files.items():
            if rel in only or rel in removed:
                remove_ids.update(entry["docs"])
            else:
                files_meta[rel] = entry
                seen.update({doc_id: rel for doc_id in entry["docs"]})
                if entry.get("skipped"):
                    report.skipped.append(SkippedFile(rel, entry["skipped"]))
        report.mode = "incremental"
        report.changed_files = len(only)
        report.removed_files = len(removed)
        if not only and not removed:
            report.mode = "up-to-date"
            report.generation = previous["_generation"].name
            report.documents, report.paragraphs = previous["documents"], previous["paragraphs"]
            report.seconds = round(time.perf_counter() - started, 3)
            return report
    tmp = index_root / f"{name}.tmp"
    if previous is not None:
        _hardlink_copy(previous["_generation"], tmp)
        ix = whoosh_index.open_dir(str(tmp))
    else:
        tmp.mkdir(parents=True)
        ix = whoosh_index.create_in(str(tmp), make_schema(table))
    options = writer_options(
        previous is None,
        sum(max(size, 0) for size, _ in prints.values()),
        has_volumes=any(rel.lower().endswith(".xml") for rel in prints),
    )
    if not allow_parallel:
        options = {k: v for k, v in options.items() if k not in ("procs", "multisegment")}
    parallel = options.get("procs", 1) > 1
    try:
        writer = ix.writer(**options)
    except Exception as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if parallel:
            raise _ParallelWriterFailed from exc
        raise
    probe_id = None
    volume_pairs = {tuple(v) for v in (previous or {}).get("volume_abbreviations", [])}
    volume_tables: dict[tuple, AbbreviationTable] = {}
    done = 0
    try:
        for doc_id in sorted(remove_ids):
            writer.delete_by_term("doc_id", doc_id)
        last_rel = None
        for rel, item in scan_corpus(corpus_dir, only=only, seen=seen):
            entry = files_meta.setdefault(rel, {"sig": list(prints.get(rel, (-1, -1))), "docs": []})
            if isinstance(item, SkippedFile):
                report.skipped.append(item)
                entry["skipped"] = item.reason
            else:
                doc_table = None
                if item.extra_abbreviations:
                    cache_key = (item.volume, item.extra_abbreviations)
                    if cache_key not in volume_tables:
                        volume_tables[cache_key] = table.with_extra(item.extra_abbreviations, f"{item.volume} list of abbreviations")
                        volume_pairs.update((item.volume or "", f, e) for f, e in item.extra_abbreviations)
                    doc_table = volume_tables[cache_key]
                for paragraph in item.paragraphs:
                    fields = paragraph_fields(item, paragraph, doc_table)
                    writer.add_document(**fields)
                    probe_id = probe_id or fields["para_id"]
                    report.paragraphs += 1
                report.documents += 1
                entry["docs"].append(item.doc_id)
            if rel != last_rel:
                done += 1
                last_rel = rel
                if progress is not None:
                    progress(done, len(only) if only is not None else report.files)
        writer.commit()
    except BaseException as exc:
        try:
            writer.cancel()
        except Exception:  # noqa: BLE001 - a broken parallel writer may not cancel cleanly
            pass
        ix.close()
        shutil.rmtree(tmp, ignore_errors=True)
        if parallel and isinstance(exc, (OSError, EOFError, ImportError, RuntimeError)):
            raise _ParallelWriterFailed from exc
        raise
    if previous is not None:
        # counts of the whole index, not only of what this update touched
        with ix.searcher() as searcher:
            report.paragraphs = searcher.doc_count()
        report.documents = sum(len(e["docs"]) for e in files_meta.values())
    ix.close()
    meta = {
        "schema_version": SCHEMA_VERSION,
        "abbreviations_digest": table.digest(),
        "documents": report.documents,
        "paragraphs": report.paragraphs,
        "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "corpus": str(corpus_dir.resolve()),
        "volume_abbreviations": sorted(volume_pairs),
        "files": files_meta,
    }
    (tmp / META_FILE).write_text(json.dumps(meta), encoding="utf-8")
    _verify(tmp, report.paragraphs, probe_id)
    _fsync_tree(tmp)
    final = index_root / name
    os.replace(tmp, final)
    served = (index_root / CURRENT).resolve().name if (index_root / CURRENT).exists() else None
    _switch_current(index_root, final)
    _remove_old_generations(index_root, keep={name, served} - {None})
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _hardlink_copy(source: Path, target: Path) -> None:
    """A copy of a generation whose files are hard links: instant, and safe because
    Whoosh never rewrites a segment file (it writes new ones and a new table of contents)."""
    target.mkdir(parents=True)
    for path in source.iterdir():
        if path.name == META_FILE or path.name.endswith(".lock"):
            continue
        try:
            os.link(path, target / path.name)
        except OSError:
            shutil.copy2(path, target / path.name)
