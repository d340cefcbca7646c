"""Search: query string → parsed, bounded, abbreviation-expanded query → ranked hits.

Fifth step of the pipeline. The query language is the one history.state.gov users
know: words are ANDed; ``"phrases"`` (with ``~N`` proximity); ``OR``, ``NOT``, ``-word``,
``+word``; parentheses; a trailing ``*``; ``title:``, ``sender:``, ``recipient:``,
``kind:``, ``doc:``, ``classification:``, ``type:``, ``volume:``, ``file:`` prefixes.

Abbreviations (see ``analysis``): the index already holds, for every abbreviation in
the text, its expansion at the same position; so a full form typed by the user finds
the abbreviated text as it is. Here an abbreviation typed by the user is replaced by an
OR of its expansions (an ambiguous one keeps its literal form too), inside phrases as
well; and a multi-word form typed without quotes (``Soviet Government``) is searched as
a phrase, so that it means the concept rather than two words anywhere.

Every query is bounded (length, clauses, prefix expansion, page depth): a hostile or
careless query gets a message, never an unbounded amount of work.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import re
import threading
import time
import unicodedata
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from whoosh import collectors, scoring, sorting
from whoosh import query as wq
from whoosh.qparser import (
    FieldsPlugin,
    GroupPlugin,
    OperatorsPlugin,
    PhrasePlugin,
    PlusMinusPlugin,
    QueryParser,
    SingleQuotePlugin,
    WhitespacePlugin,
    WildcardPlugin,
)

from .abbreviations import AbbreviationTable, concept_term
from .analysis import TelegramAnalyzer
from .evaluate import GenerationArrays, Unsupported, column_values, evaluate, top
from .highlight import MatchSpec, annotate, snippet
from .indexer import IndexInfo, SearchappIndexError, date_key, open_current
from .models import Hit, Marker, SearchResult
from .schema import FIELD_B, FIELD_WEIGHTS, QUERY_FIELDS
from .tokens import iter_words, key

MAX_QUERY_CHARS = 1000
MAX_CLAUSES = 64
MAX_PHRASE_VARIANTS = 16
MAX_PREFIX_TERMS = 64
MIN_PREFIX_CHARS = 2
PREFIX_SCAN_LIMIT = 20000
MAX_PAGE_SIZE = 200
MAX_RESULTS_DEPTH = 1000
MAX_SNIPPET_SCAN = 20000
MIN_SUGGEST_CHARS, MAX_SUGGEST_CHARS = 3, 24
SORTS = ("relevance", "date", "-date")
ANALYZED_FIELDS = ("text", "title", "sender", "recipient")
QUERY_MODES = frozenset({"both", "query"})
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"}


class QueryError(SearchappIndexError):
    """A query that cannot be run as given; the message tells the user what to change."""


@dataclass(frozen=True)
class PreparedQuery:
    """A parsed and rewritten query, with what to mark in the text."""

    text: str
    query: wq.Query
    spec: MatchSpec
    notes: tuple[str, ...]


def clean_query(raw: str) -> tuple[str, list[str]]:
    """NFC, no control characters, bounded length."""
    notes = []
    text = unicodedata.normalize("NFC", raw or "")
    text = _CONTROL_RE.sub(" ", text).replace("\ufffd", " ")
    if len(text) > MAX_QUERY_CHARS:
        text = text[:MAX_QUERY_CHARS]
        notes.append(f"The query was cut to its first {MAX_QUERY_CHARS} characters.")
    return text.strip(), notes


# -- multi-word forms typed without quotes ---------------------------------------------------

_SEGMENT_RE = re.compile(r'"[^"]*"?(?:~\d+)?|\(|\)|[^\s()"]+')


def _plain_word(token: str) -> bool:
    return (
        token not in _OPERATORS
        and not any(c in token for c in ':*?^"~()[]{}')
        and token[:1] not in "+-"
        and bool(list(iter_words(token)))
    )


def _multiword_keys(table: AbbreviationTable) -> set[tuple[str, ...]]:
    keys: set[tuple[str, ...]] = set()
    for entry in table:
        if entry.match == "display":
            continue
        if len(entry.form_words) > 1:
            keys.add(tuple(key(w) for w in entry.form_words))
        keys.update(k for k in entry.expansion_keys if len(k) > 1)
    return keys


def quote_multiword_forms(text: str, table: AbbreviationTable, multiword: set[tuple[str, ...]]) -> str:
    """Put quotes around unquoted runs of words that form one dictionary concept
    (``Soviet Government``, ``Sov Govt``, ``Embassy telegram``)."""
    if not multiword:
        return text
    longest = max(len(k) for k in multiword)
    segments = _SEGMENT_RE.findall(text)
    out: list[str] = []
    i = 0
    while i < len(segments):
        if not _plain_word(segments[i]):
            out.append(segments[i])
            i += 1
            continue
        found = 0
        for n in range(min(longest, len(segments) - i), 1, -1):
            window = segments[i:i + n]
            if not all(_plain_word(s) for s in window):
                continue
            window_words = [w for s in window for w in [w for _, _, w in iter_words(s)]]
            if len(window_words) == n and tuple(key(w) for w in window_words) in multiword:
                found = n
                break
        if found:
            out.append('"' + " ".join(segments[i:i + found]) + '"')
            i += found
        else:
            out.append(segments[i])
            i += 1
    return " ".join(out)


# -- rewriting the parsed query --------------------------------------------------------------


class _Rewriter:
    """Walks a parsed query: expands abbreviations, lowercases, bounds wildcards."""

    def __init__(self, table: AbbreviationTable, reader):
        self.table = table
        self.reader = reader
        self.notes: list[str] = []
        self.terms: set[str] = set()
        self.phrases: list[tuple[tuple[str, ...], int]] = []

    def alternatives(self, surfaces: list[str]) -> list[list[tuple[str, ...]]]:
        """Per segment of ``surfaces``, the key sequences it may stand for."""
        segments: list[list[tuple[str, ...]]] = []
        i = 0
        while i < len(surfaces):
            found = self.table.match(surfaces, i, QUERY_MODES, relaxed=True)
            if found is None:
                segments.append([(key(surfaces[i]),)])
                i += 1
                continue
            k, entry = found
            alts = list(dict.fromkeys(entry.expansion_keys))
            if entry.match == "query":
                alts.insert(0, tuple(key(w) for w in surfaces[i:i + k]))
            segments.append(alts)
            i += k
        return segments

    def _variants(self, surfaces: list[str]) -> list[tuple[str, ...]]:
        segments = self.alternatives(surfaces)
        total = 1
        for alts in segments:
            total *= len(alts)
        if total > MAX_PHRASE_VARIANTS:
            segments = [alts[:1] for alts in segments]
            self.notes.append("Some abbreviations in a phrase were expanded to their first meaning only.")
        return [tuple(itertools.chain.from_iterable(combo)) for combo in itertools.product(*segments)]

    def _leaf(self, fieldname: str, keys: tuple[str, ...], slop: int, boost: float) -> wq.Query:
        if fieldname == "text":
            if len(keys) == 1:
                self.terms.add(keys[0])
            else:
                self.phrases.append((keys, slop))
        if len(keys) == 1:
            return wq.Term(fieldname, keys[0], boost=boost)
        if fieldname != "text":  # header fields keep no positions
            return wq.And([wq.Term(fieldname, k, boost=boost) for k in keys])
        if slop == 1 and keys in self.table.concepts:
            # a dictionary concept is indexed as one term wherever its words stand together
            return wq.Term(fieldname, concept_term(keys), boost=boost)
        return wq.Phrase(fieldname, list(keys), slop=slop, boost=boost)

    def _words_query(self, fieldname: str, surfaces: list[str], slop: int, boost: float) -> wq.Query:
        variants = self._variants(surfaces)
        leaves = [self._leaf(fieldname, v, slop, boost) for v in variants]
        return leaves[0] if len(leaves) == 1 else wq.Or(leaves)

    def _prefix(self, fieldname: str, text: str, boost: float) -> wq.Query:
        prefix = key(text)
        if len(prefix) < MIN_PREFIX_CHARS or fieldname not in ANALYZED_FIELDS:
            self.notes.append(f"“{text}*” was ignored: a wildcard needs at least {MIN_PREFIX_CHARS} letters before the *.")
            return wq.NullQuery
        candidates = list(itertools.islice(self.reader.expand_prefix(fieldname, prefix), PREFIX_SCAN_LIMIT))
        candidates = [c.decode("utf-8") if isinstance(c, bytes) else c for c in candidates]
        candidates = [c for c in candidates if "_" not in c]  # words, not concept terms
        if len(candidates) > MAX_PREFIX_TERMS:
            candidates.sort(key=lambda t: -self.reader.doc_frequency(fieldname, t))
            candidates = candidates[:MAX_PREFIX_TERMS]
            self.notes.append(f"“{text}*” matches many words; only the {MAX_PREFIX_TERMS} most frequent were searched.")
        if fieldname == "text":
            self.terms.update(candidates)
        return wq.Or([wq.Term(fieldname, c, boost=boost) for c in candidates]) if candidates else wq.NullQuery

    def __call__(self, q: wq.Query) -> wq.Query:
        fieldname = getattr(q, "fieldname", None)
        if isinstance(q, wq.Every):
            self.notes.append("“*” alone is not a search; type a word.")
            return wq.NullQuery
        if isinstance(q, wq.Term) and fieldname in ANALYZED_FIELDS:
            surfaces = [w for _, _, w in iter_words(q.text)] or [q.text]
            return self._words_query(fieldname, surfaces, 1, q.boost)
        if isinstance(q, wq.Phrase) and fieldname in ANALYZED_FIELDS:
            surfaces = [w for word in q.words for _, _, w in iter_words(word)]
            if not surfaces:
                return wq.NullQuery
            return self._words_query(fieldname, surfaces, max(1, min(q.slop, 50)), q.boost)
        if isinstance(q, wq.Prefix):
            return self._prefix(fieldname, q.text, q.boost)
        if isinstance(q, (wq.Wildcard, wq.FuzzyTerm, wq.Regex, wq.TermRange)):
            text = getattr(q, "text", "")
            if isinstance(q, wq.Wildcard) and text.endswith("*") and not any(c in text[:-1] for c in "*?"):
                return self._prefix(fieldname, text[:-1], q.boost)
            self.notes.append(f"“{text or q}” was ignored: only a trailing * is supported (e.g. negot*).")
            return wq.NullQuery
        if isinstance(q, wq.Term) and fieldname in ("kind", "doc_id", "volume", "file_number"):
            return q
        if isinstance(q, wq.Term):
            return wq.Term(fieldname, q.text.lower(), boost=q.boost)
        return q.apply(self).normalize() if q.is_leaf() is False else q


def _count_leaves(q: wq.Query) -> int:
    return sum(1 for _ in q.leaves()) if not q.is_leaf() else 1


def _parser(schema) -> QueryParser:
    parser = QueryParser(
        "text",
        schema,
        plugins=[
            WhitespacePlugin(),
            SingleQuotePlugin(),
            FieldsPlugin(),
            WildcardPlugin(),
            PhrasePlugin(),
            GroupPlugin(),
            OperatorsPlugin(),
            PlusMinusPlugin(),
        ],
    )
    return parser


def _field_aliases(text: str) -> str:
    """``from:Acheson`` → ``sender:Acheson``; unknown prefixes are left to be words."""

    def repl(m: re.Match) -> str:
        name = m.group(1)
        field = QUERY_FIELDS.get(name.lower())
        return f"{field}:" if field else f"{name} "

    return re.sub(r"(?<![\w:])([A-Za-z_]+):(?=\S)", repl, text)


def prepare(text: str, table: AbbreviationTable, schema, reader, multiword: set[tuple[str, ...]] | None = None) -> PreparedQuery:
    """Parse and rewrite a cleaned query string; QueryError if nothing searchable is left."""
    multiword = _multiword_keys(table) if multiword is None else multiword
    quoted = quote_multiword_forms(_field_aliases(text), table, multiword)
    try:
        parsed = _parser(schema).parse(quoted)
    except Exception as exc:  # Whoosh's parser is lenient; anything else is a bad query
        raise QueryError(f"The query could not be read ({exc.__class__.__name__}); check quotes and parentheses.") from exc
    if _count_leaves(parsed) > MAX_CLAUSES:
        raise QueryError(f"The query has too many terms (at most {MAX_CLAUSES}); shorten it.")
    rewriter = _Rewriter(table, reader)
    rewritten = rewriter(parsed)
    if isinstance(rewritten, wq.Query) and not rewritten.is_leaf():
        rewritten = rewritten.normalize()
    if rewritten is wq.NullQuery or isinstance(rewritten, type(wq.NullQuery)) or _only_negative(rewritten):
        raise QueryError(" ".join(rewriter.notes) or "Type at least one word to search for.")
    if _count_leaves(rewritten) > MAX_CLAUSES * 4:
        raise QueryError(f"The query expands to too many terms (at most {MAX_CLAUSES * 4}); shorten it.")
    spec = MatchSpec(frozenset(rewriter.terms), tuple(dict.fromkeys(rewriter.phrases)))
    return PreparedQuery(text, rewritten, spec, tuple(dict.fromkeys(rewriter.notes)))


def _only_negative(q: wq.Query) -> bool:
    if isinstance(q, wq.Not):
        return True
    if isinstance(q, wq.And):
        return all(_only_negative(s) for s in q.subqueries)
    return False


def parse_date(value: str | None, end: bool = False) -> dt.date | None:
    """``1951``, ``1951-09`` or ``1951-09-21`` → a date (the last day when ``end``)."""
    if value is None or not str(value).strip():
        return None
    value = str(value).strip()
    m = re.fullmatch(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?", value)
    if not m:
        raise QueryError(f"“{value[:40]}” is not a date; use YYYY, YYYY-MM or YYYY-MM-DD.")
    year, month, day = int(m[1]), m[2], m[3]
    try:
        if month is None:
            return dt.date(year, 12, 31) if end else dt.date(year, 1, 1)
        if day is None:
            first = dt.date(year, int(month), 1)
            if not end:
                return first
            nxt = dt.date(year + (first.month == 12), first.month % 12 + 1, 1)
            return nxt - dt.timedelta(days=1)
        return dt.date(year, int(month), int(day))
    except ValueError as exc:
        raise QueryError(f"“{value}” is not a valid date.") from exc


def _date_bounds(start: dt.date | None, end: dt.date | None) -> tuple[int, int]:
    """The yyyymmdd range of a date filter; unknown dates are stored as 0, so a date
    filter leaves them out."""
    return (date_key(start) if start else 1), (date_key(end) if end else 99991231)


class _MatchRecorder(collectors.WrappingCollector):
    """Keeps the docnum of every match, in the same pass as the top-N collection, so
    that documents and volumes are counted without a facet collector (which would score
    every match and read two columns for each)."""

    def prepare(self, top_searcher, q, context):
        collectors.WrappingCollector.prepare(self, top_searcher, q, context)
        self.matched = array("I")

    def collect(self, sub_docnum):
        self.matched.append(self.offset + sub_docnum)
        return self.child.collect(sub_docnum)


class SearchIndex:
    """The served index: searches and reads documents; follows rebuilds by itself.

    Safe to share between threads: each thread gets its own Whoosh searcher, and when
    ``searchapp build`` switches the ``current`` generation, the next call opens it.
    """

    def __init__(self, index_root: Path | str, table: AbbreviationTable | None = None):
        self.index_root = Path(index_root)
        self.configured_table = table
        self._lock = threading.Lock()
        self._local = threading.local()
        self._state: tuple[str, object, IndexInfo, AbbreviationTable, dict[str, AbbreviationTable], set] | None = None
        self._state_checked = 0.0
        self._maps: tuple | None = None
        self._arrays: tuple[str, GenerationArrays] | None = None
        # array evaluation is CPU-bound and allocates arrays as long as the matches: as
        # many at once as there are cores, the other threads wait their turn
        self._evaluation_slots = threading.BoundedSemaphore(max(2, os.cpu_count() or 2))
        self._searchers: list = []
        self._stale: tuple | None = None
        self._load()

    # -- generations ---------------------------------------------------------------------

    def _load(self) -> None:
        ix, info = open_current(self.index_root)
        table = ix.schema["text"].analyzer.table if isinstance(ix.schema["text"].analyzer, TelegramAnalyzer) else AbbreviationTable.builtin()
        volume_tables: dict[str, AbbreviationTable] = {}
        meta_pairs = _volume_pairs(info.path)
        for volume, pairs in meta_pairs.items():
            volume_tables[volume] = table.with_extra(pairs, f"{volume} list of abbreviations")
        self._state = (str(info.path), ix, info, table, volume_tables, _multiword_keys(table))

    def _current_state(self):
        now = time.monotonic()
        if now - self._state_checked > 0.5:
            self._state_checked = now
            try:
                target = (self.index_root / "current").resolve()
            except OSError:
                target = None
            if target is not None and str(target) != self._state[0] and target.exists():
                with self._lock:
                    if str(target) != self._state[0]:
                        self._load()
        return self._state

    @property
    def info(self) -> IndexInfo:
        return self._current_state()[2]

    @property
    def table(self) -> AbbreviationTable:
        return self._current_state()[3]

    def table_for(self, volume: str | None) -> AbbreviationTable:
        state = self._current_state()
        return state[4].get(volume or "", state[3])

    def volume_tables(self) -> dict[str, AbbreviationTable]:
        """The table of each TEI volume (built-in entries plus the volume's own list)."""
        return dict(self._current_state()[4])

    def stale_reason(self) -> str | None:
        """Why the index no longer matches the configured dictionary or code, if so
        (worked out once per served generation: pages ask on every request)."""
        info = self.info
        cached = self._stale
        if cached is None or cached[0] != info.path:
            table = self.configured_table or AbbreviationTable.builtin()
            cached = self._stale = (info.path, info.stale_reason(table))
        return cached[1]

    def searcher(self):
        state = self._current_state()
        local = self._local
        if getattr(local, "generation", None) != state[0]:
            old = getattr(local, "searcher", None)
            if old is not None:  # this thread served the previous generation until now
                old.close()
                with self._lock:
                    if old in self._searchers:
                        self._searchers.remove(old)
            local.searcher = state[1].searcher(weighting=scoring.BM25F(**{f'{name}_B': b for name, b in FIELD_B.items()}))
            local.generation = state[0]
            with self._lock:
                self._searchers.append(local.searcher)
        return local.searcher

    def close(self) -> None:
        """Close every searcher this index opened, in any thread."""
        with self._lock:
            searchers, self._searchers = self._searchers, []
        for searcher in searchers:
            try:
                searcher.close()
            except Exception:  # noqa: BLE001 - closing twice or after a swap is harmless
                pass
        self._local = threading.local()
        if self._state is not None:
            self._state[1].close()

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass

    # -- search --------------------------------------------------------------------------

    def search(
        self,
        text: str,
        page: int = 1,
        page_size: int = 10,
        sort: str = "relevance",
        date_from: str | None = None,
        date_to: str | None = None,
        volume: str | None = None,
    ) -> SearchResult:
        """Run one query; QueryError with a message for the user when it cannot be run."""
        started = time.perf_counter()
        cleaned, notes = clean_query(text)
        if not cleaned:
            raise QueryError("Type at least one word to search for.")
        if sort not in SORTS:
            raise QueryError(f"sort must be one of {', '.join(SORTS)}.")
        page_size = max(1, min(int(page_size), MAX_PAGE_SIZE))
        max_page = max(1, MAX_RESULTS_DEPTH // page_size)
        if page < 1:
            raise QueryError("page must be 1 or more.")
        if page > max_page:
            raise QueryError(f"Only the first {MAX_RESULTS_DEPTH} hits can be paged through; narrow the search.")
        start, end = parse_date(date_from), parse_date(date_to, end=True)
        state = self._current_state()
        searcher = self.searcher()
        prepared = prepare(cleaned, state[3], searcher.schema, searcher.reader(), state[5])
        q = _with_title_boost(prepared.query)
        limit = page * page_size
        try:
            with self._evaluation_slots:
                ranked, matched = self._run_arrays(state[0], searcher, q, sort, limit, start, end, volume)
        except Unsupported:
            ranked, matched = self._run_whoosh(searcher, q, sort, limit, start, end, volume)
        total = len(matched)
        doc_of, volume_of, volume_names = self._docnum_maps(state[0], searcher)
        documents = 0
        if total:  # a flag per document: no sorting or hashing of the matches
            seen = np.zeros(int(doc_of.max()) + 1, dtype=bool)
            seen[doc_of[matched]] = True
            documents = int(np.count_nonzero(seen))
        volume_counts = np.bincount(volume_of[matched]) if total and len(volume_names) > 1 else np.zeros(0, dtype=np.int64)
        volumes = tuple(
            sorted(((volume_names[v], int(n)) for v, n in enumerate(volume_counts) if n and volume_names[v]),
                   key=lambda item: (-item[1], item[0]))
        )
        typed = {key(w) for _, _, w in iter_words(cleaned)}
        hits: list[Hit] = []
        also: dict[str, None] = {}
        seen_forms: set[str] = set()
        for docnum, score in ranked[(page - 1) * page_size:limit]:
            found, forms = self._hit(searcher.stored_fields(docnum), score, prepared.spec)
            hits.append(found)
            for form in forms:
                if not {key(w) for _, _, w in iter_words(form)} <= typed and form.lower() not in seen_forms:
                    seen_forms.add(form.lower())
                    also.setdefault(form, None)
        suggestion = self._suggest(cleaned, searcher) if total < 3 else None
        return SearchResult(
            query=text,
            total=total,
            hits=tuple(hits),
            page=page,
            page_size=page_size,
            expanded_query=_describe(prepared.query),
            also_matched=tuple(also),
            suggestion=suggestion,
            documents=documents,
            elapsed_ms=round((time.perf_counter() - started) * 1000, 2),
            message=" ".join(notes + list(prepared.notes)) or None,
            volumes=volumes,
        )

    def _run_arrays(self, generation: str, searcher, q: wq.Query, sort: str, limit: int,
                    start: dt.date | None, end: dt.date | None, volume: str | None) -> tuple[list[tuple[int, float]], np.ndarray]:
        """The first ``limit`` (docnum, score) and every matching docnum, evaluated on
        arrays (see ``evaluate``); Unsupported for a query form it does not handle."""
        arrays = self._arrays
        if arrays is None or arrays[0] != generation:
            with self._lock:
                arrays = self._arrays
                if arrays is None or arrays[0] != generation:
                    arrays = self._arrays = (generation, GenerationArrays(searcher, FIELD_B))
        arrays = arrays[1]
        matches = evaluate(q, searcher, arrays)
        if (start or end) and len(matches):
            low, high = _date_bounds(start, end)
            dates = arrays.dates(searcher)[matches.ids]
            matches = matches.where((dates >= low) & (dates <= high))
        if volume and len(matches):
            in_volume = arrays.postings(searcher, "volume", volume)
            matches = matches.where(np.isin(matches.ids, in_volume.ids, assume_unique=True))
        keys = arrays.dates(searcher)[matches.ids] if sort in ("date", "-date") and len(matches) else None
        order = top(matches, limit, keys, reverse=sort == "-date")
        ranked = list(zip(matches.ids[order].tolist(), matches.scores[order].tolist()))
        return ranked, matches.ids

    def _run_whoosh(self, searcher, q: wq.Query, sort: str, limit: int,
                    start: dt.date | None, end: dt.date | None, volume: str | None) -> tuple[list[tuple[int, float]], np.ndarray]:
        """The same as :meth:`_run_arrays`, with Whoosh's matchers and collectors (any query)."""
        filters = []
        if start or end:
            filters.append(wq.NumericRange("date", *_date_bounds(start, end)))
        if volume:
            filters.append(wq.Term("volume", volume))
        filter_q = wq.And(filters) if filters else None
        sortedby = None
        if sort in ("date", "-date"):
            # ties keep index order (document by document, paragraph by paragraph)
            sortedby = sorting.FieldFacet("date", reverse=sort == "-date")
        # optimize=False: block-quality skipping would leave matches uncounted
        recorder = _MatchRecorder(searcher.collector(limit=limit, sortedby=sortedby, optimize=False))
        collector = collectors.FilterCollector(recorder, allow=filter_q) if filter_q is not None else recorder
        searcher.search_with_collector(q, collector)
        # a sorted search gives the sort key as the score: no relevance score to show
        ranked = [(hit.docnum, 0.0 if sortedby is not None else hit.score) for hit in collector.results()[:limit]]
        return ranked, np.frombuffer(recorder.matched, dtype=np.uint32).astype(np.int64)

    def _docnum_maps(self, generation: str, searcher) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """docnum → document ordinal and docnum → volume ordinal (8 bytes a paragraph),
        built once per served generation."""
        cached = self._maps
        if cached is not None and cached[0] == generation:
            return cached[1]
        with self._lock:  # once, whichever thread asks first
            cached = self._maps
            if cached is not None and cached[0] == generation:
                return cached[1]
            maps = self._read_docnum_maps(searcher)
            self._maps = (generation, maps)
        return maps

    @staticmethod
    def _read_docnum_maps(searcher) -> tuple[np.ndarray, np.ndarray, list[str]]:
        docs: dict[bytes, int] = {}
        volumes: dict[bytes, int] = {b"": 0}
        doc_of = np.fromiter((docs.setdefault(v, len(docs)) for v in column_values(searcher, "doc_id")), dtype=np.uint32)
        volume_of = np.fromiter((volumes.setdefault(v or b"", len(volumes)) for v in column_values(searcher, "volume")),
                                dtype=np.uint32)
        field = searcher.schema["volume"]
        names = [field.from_column_value(v) if v else "" for v in volumes]
        return doc_of, volume_of, names

    def _hit(self, fields: dict, score: float | None, spec: MatchSpec) -> tuple[Hit, list[str]]:
        """A hit, and the forms its snippet marks."""
        text = fields["text"]
        markers = tuple(Marker(*m) for m in fields.get("markers") or ())
        if len(text) > MAX_SNIPPET_SCAN:
            # a huge paragraph: look for the snippet in its beginning only (bounded work)
            cut = text.rfind(" ", 0, MAX_SNIPPET_SCAN) if " " in text[:MAX_SNIPPET_SCAN] else MAX_SNIPPET_SCAN
            text = text[:cut]
            markers = tuple(m for m in markers if m.end <= cut)
        annotated = annotate(text, markers, self.table_for(fields.get("volume")), spec)
        html = str(snippet(annotated))
        if len(text) < len(fields["text"]) and not html.endswith("…"):
            html += " …"
        date_iso = fields.get("date_iso")
        pages = tuple(fields.get("pages") or ())
        hit = Hit(
            doc_id=fields["doc_id"],
            para_id=fields["para_id"],
            n=fields["n"],
            kind=fields["kind"],
            page=pages[0] if pages else None,
            pages=pages,
            title=fields.get("title") or fields["doc_id"],
            date=dt.date.fromisoformat(date_iso) if date_iso else None,
            file_number=fields.get("file_number"),
            doc_type=fields.get("doc_type"),
            classification=fields.get("classification"),
            sender=fields.get("sender"),
            recipient=fields.get("recipient"),
            volume=fields.get("volume"),
            score=round(float(score), 4) if isinstance(score, (int, float)) else 0.0,
            text=fields["text"],
            snippet=html,
            abbreviations=annotated.abbreviations,
        )
        return hit, annotated.matched_forms()

    def _suggest(self, text: str, searcher) -> str | None:
        """"Did you mean": each word unknown to the index replaced by its nearest word."""
        reader = searcher.reader()
        corrector = searcher.corrector("text")
        changed = False
        out = text
        for _, _, word in reversed(list(iter_words(text))):
            if word.upper() in _OPERATORS or not MIN_SUGGEST_CHARS <= len(word) <= MAX_SUGGEST_CHARS:
                continue
            k = key(word)
            if reader.doc_frequency("text", k) > 0:
                continue
            # the first letter is kept: it prunes Whoosh's edit-distance walk of the lexicon
            suggestions = corrector.suggest(k, limit=1, maxdist=1 if len(k) <= 5 else 2, prefix=1)
            if suggestions:
                out = re.sub(rf"\b{re.escape(word)}\b", suggestions[0], out, count=1)
                changed = True
        return out if changed and out != text else None

    # -- documents -----------------------------------------------------------------------

    def document(self, doc_id: str) -> list[dict]:
        """The stored fields of every paragraph of ``doc_id``, in order (empty if unknown)."""
        searcher = self.searcher()
        results = searcher.search(wq.Term("doc_id", doc_id), limit=None)
        return sorted((dict(hit.fields()) for hit in results), key=lambda fields: fields["n"])

    def highlight_spec(self, text: str) -> MatchSpec:
        """What a query marks in a document view (empty when the query cannot be read)."""
        cleaned, _ = clean_query(text)
        if not cleaned:
            return MatchSpec()
        state = self._current_state()
        searcher = self.searcher()
        try:
            return prepare(cleaned, state[3], searcher.schema, searcher.reader(), state[5]).spec
        except QueryError:
            return MatchSpec()


def _volume_pairs(generation: Path) -> dict[str, list[tuple[str, str]]]:
    import json

    try:
        meta = json.loads((generation / "searchapp.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    pairs: dict[str, list[tuple[str, str]]] = {}
    for volume, form, expansion in meta.get("volume_abbreviations", []):
        pairs.setdefault(volume, []).append((form, expansion))
    return pairs


def _with_title_boost(q: wq.Query) -> wq.Query:
    """Rank paragraphs of documents whose title matches the query a little higher."""
    leaves = [leaf for leaf in _positive_leaves(q) if getattr(leaf, "fieldname", None) == "text"]
    if not leaves or len(leaves) > MAX_CLAUSES:
        return q
    title = wq.Or([replace_field(leaf, "title", FIELD_WEIGHTS["title"]) for leaf in leaves])
    return wq.AndMaybe(q, title)


def replace_field(leaf: wq.Query, fieldname: str, boost: float) -> wq.Query:
    if isinstance(leaf, wq.Phrase):  # the title keeps no positions: all its words
        return wq.And([wq.Term(fieldname, w, boost=boost) for w in leaf.words])
    return wq.Term(fieldname, leaf.text, boost=boost)


def _positive_leaves(q: wq.Query) -> Iterator[wq.Query]:
    if isinstance(q, wq.Not):
        return
    if isinstance(q, (wq.AndNot,)):
        yield from _positive_leaves(q.a)
        return
    if isinstance(q, (wq.Term, wq.Phrase)):
        yield q
        return
    if not q.is_leaf():
        for child in q.children():
            yield from _positive_leaves(child)


def _describe(q: wq.Query) -> str:
    """A readable form of the expanded query: ``(should) AND ("soviet government")``."""
    if isinstance(q, wq.Term):
        text = f'"{q.text.replace("_", " ")}"' if "_" in q.text else q.text
        return text if q.fieldname == "text" else f"{q.fieldname}:{text}"
    if isinstance(q, wq.Phrase):
        inner = '"' + " ".join(q.words) + '"' + (f"~{q.slop}" if q.slop > 1 else "")
        return inner if q.fieldname == "text" else f"{q.fieldname}:{inner}"
    if isinstance(q, wq.Not):
        return f"NOT {_describe(q.query)}"
    if isinstance(q, wq.AndNot):
        return f"{_describe(q.a)} AND NOT {_describe(q.b)}"
    if isinstance(q, wq.AndMaybe):
        return _describe(q.a)
    if isinstance(q, wq.Require):
        return f"{_describe(q.a)} AND {_describe(q.b)}"
    if isinstance(q, (wq.And, wq.Or)):
        joiner = " AND " if isinstance(q, wq.And) else " OR "
        parts = [_describe(s) for s in q.subqueries]
        text = joiner.join(parts)
        return f"({text})" if len(parts) > 1 else text
    return str(q)


