"""Array evaluation of a rewritten query: postings → numpy arrays → matches, scores, order.

Part of the search step (``search`` calls it; it imports no Flask). Whoosh matches and
scores one document at a time in Python (about 4 µs a match, most of it reading one
field length and building one heap entry), and a search that counts every match (our
totals, documents and volumes) pays that for every match. Here each term's postings are
read once, block by block, into arrays, its BM25F scores are computed for all its
documents at once, and the query tree is evaluated with sorted-array set operations:

* ``Term``: the term's postings (deleted documents left out), score × boost;
* ``And`` (with ``Not`` members): intersection, scores summed, negatives removed;
* ``Or``: union, scores summed; ``AndNot``; ``AndMaybe`` (adds the optional scores);
  ``Require``;
* ``Phrase``: the documents holding all its words, kept where the words stand at
  consecutive positions, compared as arrays ``document << 32 | position - i`` of the
  words' positions (read once per term, then cached); a sloppy phrase, or one with only a
  few candidate documents, is checked by Whoosh's own phrase matcher.

Scores are the ones Whoosh gives (the same BM25F formula, idf, quantized field lengths,
average lengths and per-field B), sums apart from float rounding; order is score
descending, then index order, as Whoosh's top collector (a phrase scores, as in Whoosh, the
sum of its words' scores). Anything else (a bare ``NOT``, an ``OR``
with a ``NOT`` member, a query form not listed) raises :class:`Unsupported` and ``search``
runs Whoosh's own matchers instead.

Long postings lists and position lists are kept, as arrays, in a per-generation cache
bounded in bytes (:data:`CACHE_BYTES`): the common words that make a search slow are the
ones asked for again and again.

Postings, positions and columns are read through Whoosh 2.7.4's block reader and column
readers (private attributes; Whoosh is pinned to that version); each reader falls back to
Whoosh's public, one-at-a-time API when those attributes are missing.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pickle import loads

import numpy as np
from whoosh import query as wq
from whoosh.system import _INT_SIZE
from whoosh.util.numeric import byte_to_length

#: bytes of cached arrays per generation (postings: 16 bytes each; positions: 4 more each)
CACHE_BYTES = 64 * 1024 * 1024
#: postings lists shorter than this are read again each time (it costs well under 1 ms)
CACHE_MIN_POSTINGS = 1024
#: a phrase with at most this many candidate documents is checked by Whoosh's matcher
FEW_CANDIDATES = 200
K1 = 1.2  # Whoosh's BM25F default, which ``search`` keeps

_EMPTY_IDS = np.zeros(0, dtype=np.int64)
_EMPTY_SCORES = np.zeros(0, dtype=np.float64)
_LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)
_LENGTHS[0] = 1.0  # a document that has the term has a length; never divide by nothing


class Unsupported(Exception):
    """A query form this evaluator does not handle: use Whoosh's matchers."""


@dataclass(frozen=True)
class Matches:
    """Matching global docnums (ascending, unique) and their scores."""

    ids: np.ndarray
    scores: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)

    def where(self, keep: np.ndarray) -> Matches:
        """The matches selected by ``keep`` (a boolean mask or ascending indexes)."""
        return Matches(self.ids[keep], self.scores[keep])


EMPTY = Matches(_EMPTY_IDS, _EMPTY_SCORES)


@dataclass(frozen=True)
class Positions:
    """Where a term occurs: its live documents (ascending) and, for the document at
    index ``i``, its positions ``positions[starts[i]:starts[i + 1]]``."""

    ids: np.ndarray
    starts: np.ndarray
    positions: np.ndarray

    def keys_in(self, docs: np.ndarray, shift: int = 0) -> np.ndarray:
        """``index in docs << 32 | (position - shift)`` of every occurrence in ``docs``
        (each of which must hold the term) at a position of at least ``shift``; ascending
        and unique."""
        at = np.searchsorted(self.ids, docs)
        first, counts = self.starts[at], self.starts[at + 1] - self.starts[at]
        total = int(counts.sum())
        if not total:
            return _EMPTY_IDS
        owner = np.repeat(np.arange(len(docs), dtype=np.int64), counts)
        offsets = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
        positions = self.positions[np.repeat(first, counts) + offsets].astype(np.int64) - shift
        usable = positions >= 0  # a word too near the start for the phrase to begin before it
        keys = (owner[usable] << 32) | positions[usable]
        if len(keys) > 1 and not bool(np.all(keys[1:] > keys[:-1])):
            keys = np.unique(keys)  # positions stored out of order or twice: sort them
        return keys


class GenerationArrays:
    """Per-generation arrays (field lengths, dates, live documents) and the postings
    cache. Built lazily, shared by every thread that searches this generation."""

    def __init__(self, searcher, field_b: dict[str, float], default_b: float = 0.75):
        self.doc_count = searcher.doc_count_all()
        self.field_b = field_b
        self.default_b = default_b
        self._lock = threading.Lock()
        self._lengths: dict[str, np.ndarray] = {}
        self._dates: np.ndarray | None = None
        self._cache: OrderedDict[tuple[str, str], Matches | Positions] = OrderedDict()
        self._sizes: dict[tuple[str, str], int] = {}
        self._reading: dict[tuple[str, str], threading.Lock] = {}
        self._cache_bytes = 0
        self._deleted = [_deleted_docs(sub.reader()) for sub, _ in searcher.leaf_searchers()]

    # -- per-document arrays (readers are the calling thread's: Whoosh's are not shared) --

    def lengths(self, searcher, fieldname: str) -> np.ndarray:
        """Decoded (quantized) length of ``fieldname`` for every global docnum."""
        found = self._lengths.get(fieldname)
        if found is None:
            with self._lock:
                parts = []
                for sub, _ in searcher.leaf_searchers():
                    reader = sub.reader()
                    column = _length_bytes(reader, fieldname)
                    parts.append(_LENGTHS[column] if column is not None else np.ones(reader.doc_count_all()))
                found = self._lengths[fieldname] = np.concatenate(parts) if parts else np.zeros(0)
        return found

    def dates(self, searcher) -> np.ndarray:
        """yyyymmdd (0 = unknown) of every global docnum."""
        if self._dates is None:
            with self._lock:
                parts = []
                for sub, _ in searcher.leaf_searchers():
                    reader = sub.reader()
                    count = reader.doc_count_all()
                    if not reader.has_column("date"):
                        parts.append(np.zeros(count, dtype=np.int64))
                        continue
                    values = _numeric_column(reader.column_reader("date", translate=False), count)
                    if values is None:  # another kind of column: one document at a time
                        values = np.fromiter((v or 0 for v in reader.column_reader("date")), dtype=np.int64, count=count)
                    parts.append(values.astype(np.int64))
                self._dates = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        return self._dates

    # -- postings ------------------------------------------------------------------------

    def postings(self, searcher, fieldname: str, text: str) -> Matches:
        """The live documents holding the term, with its unboosted score in each."""
        return self._cached((fieldname, text), lambda: self._read(searcher, fieldname, text))

    def positions(self, searcher, text: str) -> Positions:
        """The positions of a ``text`` term (cached like postings)."""
        return self._cached(("text positions", text), lambda: self._read_positions(searcher, text))

    def _cached(self, cache_key: tuple[str, str], read):
        """The cached value, or ``read()`` (kept when its postings list is long). Threads
        asking for the same uncached term wait for one read instead of each reading it."""
        with self._lock:
            found = self._cache.get(cache_key)
            if found is not None:
                self._cache.move_to_end(cache_key)
                return found
            reading = self._reading.setdefault(cache_key, threading.Lock())
        with reading:
            with self._lock:
                found = self._cache.get(cache_key)  # read by the thread we waited for
            if found is None:
                found = read()
                if len(found.ids) >= CACHE_MIN_POSTINGS:
                    self._remember(cache_key, found)
        with self._lock:
            self._reading.pop(cache_key, None)
        return found

    def _remember(self, cache_key: tuple[str, str], found: Matches | Positions) -> None:
        size = sum(a.nbytes for a in vars(found).values())
        with self._lock:
            if cache_key in self._cache or size > CACHE_BYTES:
                return
            self._cache[cache_key] = found
            self._sizes[cache_key] = size
            self._cache_bytes += size
            while self._cache_bytes > CACHE_BYTES:
                old_key, _ = self._cache.popitem(last=False)
                self._cache_bytes -= self._sizes.pop(old_key)

    def _segments_with(self, searcher, fieldname: str, btext: bytes) -> Iterator[tuple[object, int, np.ndarray | None]]:
        """(reader, docnum offset, deleted docnums or None) of each segment holding the term."""
        for (sub, offset), deleted in zip(searcher.leaf_searchers(), self._deleted):
            reader = sub.reader()
            if (fieldname, btext) in reader:
                yield reader, offset, deleted

    def _read_positions(self, searcher, text: str) -> Positions:
        field = searcher.schema["text"]
        btext = field.to_bytes(text)
        id_parts, count_parts, delta_parts = [], [], []
        for reader, offset, deleted in self._segments_with(searcher, "text", btext):
            # a block at a time: only one block's decoded lists are Python objects at once
            for ids, values in _value_blocks(reader, btext, field.format):
                if deleted is not None:
                    keep = _live(ids, deleted)
                    ids, values = ids[keep], [v for v, k in zip(values, keep) if k]
                decoded = [_decode_deltas(v) for v in values]
                id_parts.append(ids + offset)
                count_parts.append(np.fromiter(map(len, decoded), dtype=np.int64, count=len(decoded)))
                delta_parts.append(np.fromiter(itertools.chain.from_iterable(decoded), dtype=np.int64))
        if not id_parts:
            return Positions(_EMPTY_IDS, np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int32))
        counts = np.concatenate(count_parts)
        deltas = np.concatenate(delta_parts)
        starts = np.zeros(len(counts) + 1, dtype=np.int64)
        np.cumsum(counts, out=starts[1:])
        # positions are stored as deltas within each document: a running sum, restarted per document
        running = np.cumsum(deltas)
        base = np.repeat(np.concatenate(([0], running))[starts[:-1]], counts)
        return Positions(np.concatenate(id_parts), starts, (running - base).astype(np.int32))

    def _read(self, searcher, fieldname: str, text: str) -> Matches:
        field = searcher.schema[fieldname]
        btext = field.to_bytes(text)
        id_parts, weight_parts = [], []
        for reader, offset, deleted in self._segments_with(searcher, fieldname, btext):
            ids, weights = _read_postings(reader, fieldname, btext, field.format)
            if deleted is not None:
                keep = _live(ids, deleted)
                ids, weights = ids[keep], weights[keep]
            id_parts.append(ids + offset)
            weight_parts.append(weights)
        if not id_parts:
            return EMPTY
        ids = np.concatenate(id_parts)
        tf = np.concatenate(weight_parts)
        if not field.scorable:
            return Matches(ids, tf)
        b = self.field_b.get(fieldname, self.default_b)
        idf = searcher.idf(fieldname, btext)
        avg = searcher.avg_field_length(fieldname) or 1
        fl = self.lengths(searcher, fieldname)[ids]
        scores = idf * ((tf * (K1 + 1)) / (tf + K1 * ((1 - b) + b * fl / avg)))
        return Matches(ids, scores)


def _live(ids: np.ndarray, deleted: np.ndarray) -> np.ndarray:
    """Mask of the ``ids`` of one segment that are not deleted."""
    return ~np.isin(ids, deleted, assume_unique=True)


def _deleted_docs(reader) -> np.ndarray | None:
    """The deleted docnums of one segment (None when it has none)."""
    if not reader.has_deletions():
        return None
    return np.array(sorted(d for d in range(reader.doc_count_all()) if reader.is_deleted(d)), dtype=np.int64)


def _length_bytes(reader, fieldname: str) -> np.ndarray | None:
    """The length byte of ``fieldname`` for every document of one segment."""
    try:
        from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield

        perdoc = reader._perdoc
        lenfield = _lenfield(fieldname)
        if not perdoc.has_column(lenfield):
            return None
        column = perdoc.column_reader(lenfield, LENGTHS_COLUMN)
        found = _numeric_column(column, reader.doc_count_all())
        return found if found is not None else np.fromiter(column, dtype=np.uint8, count=reader.doc_count_all())
    except (AttributeError, ImportError):  # another codec: one document at a time
        values = [reader.doc_field_length(d, fieldname, 1) or 1 for d in range(reader.doc_count_all())]
        from whoosh.util.numeric import length_to_byte

        return np.array([length_to_byte(v) for v in values], dtype=np.uint8)


#: struct typecodes of Whoosh's numeric columns → numpy (big-endian, standard sizes)
_NUMPY_TYPES = {"B": "u1", "b": "i1", "H": ">u2", "h": ">i2", "I": ">u4", "i": ">i4", "Q": ">u8", "q": ">i8",
                "f": ">f4", "d": ">f8"}


def _numeric_column(column, doccount: int) -> np.ndarray | None:
    """A Whoosh 2.7 ``NumericColumn`` read whole from its bytes (values after the last
    one written are the default); None for another kind of column."""
    try:
        dtype = np.dtype(_NUMPY_TYPES[column._typecode])
        count = min(column._count, doccount)
        raw = column._dbfile.get(column._basepos, count * dtype.itemsize)
        default = column._default
    except (AttributeError, KeyError):
        return None
    values = np.full(doccount, default, dtype=dtype.newbyteorder("="))
    values[:count] = np.frombuffer(raw, dtype=dtype)
    return values


def column_values(searcher, fieldname: str) -> Iterator[bytes | None]:
    """The stored column bytes of ``fieldname`` for every global docnum, in order (None
    where a segment has no such column), yielded a value at a time so that a million of
    them are never all Python objects at once. Whoosh 2.7's variable-length columns are
    read whole and sliced, instead of one lookup a document."""
    for sub, _ in searcher.leaf_searchers():
        reader = sub.reader()
        count = reader.doc_count_all()
        if not reader.has_column(fieldname):
            yield from itertools.repeat(None, count)
            continue
        column = reader.column_reader(fieldname, translate=False)
        raw = _var_bytes_column(column, count)
        yield from (column if raw is None else raw)


def _var_bytes_column(column, doccount: int) -> Iterator[bytes] | None:
    """The values of a Whoosh 2.7 ``VarBytesColumn`` (None for another kind of column)."""
    try:
        offsets, lengths = column._offsets, column._lengths
        end = max((o + n for o, n in zip(offsets[-1:], lengths[-1:])), default=0)
        data = column._dbfile.get(column._basepos, end)
    except AttributeError:
        return None
    return (data[o:o + n] for o, n in zip(offsets[:doccount], lengths[:doccount]))


def _read_postings(reader, fieldname: str, btext: bytes, format_) -> tuple[np.ndarray, np.ndarray]:
    """(segment docnums, weights) of one term in one segment, deletions included.

    Whoosh 2.7's own block reader is used a block at a time (its ids and weights, never
    its per-posting values); a term stored inline in the term info is read posting by
    posting."""
    matcher = reader._terms.matcher(fieldname, btext, format_)
    if hasattr(matcher, "_read_ids") and hasattr(matcher, "_goto"):
        id_blocks, weight_blocks = [], []
        while matcher._blocklength:
            matcher._read_ids()
            matcher._read_weights()
            id_blocks.append(np.asarray(matcher._ids, dtype=np.int64))
            weight_blocks.append(np.asarray(matcher._weights, dtype=np.float64))
            if matcher._lastblock:
                break
            matcher._goto(matcher._nextoffset)
        if id_blocks:
            return np.concatenate(id_blocks), np.concatenate(weight_blocks)
        return _EMPTY_IDS, _EMPTY_SCORES
    ids, weights = [], []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return np.array(ids, dtype=np.int64), np.array(weights, dtype=np.float64)


def _value_blocks(reader, btext: bytes, format_) -> Iterator[tuple[np.ndarray, Sequence[bytes]]]:
    """(segment docnums, encoded positions) of one ``text`` term in one segment, a
    posting block at a time."""
    matcher = reader._terms.matcher("text", btext, format_)
    if hasattr(matcher, "_read_values") and hasattr(matcher, "_goto"):
        while matcher._blocklength:
            matcher._read_ids()
            matcher._read_values()
            yield np.asarray(matcher._ids, dtype=np.int64), matcher._values
            if matcher._lastblock:
                break
            matcher._goto(matcher._nextoffset)
        return
    ids, values = [], []
    while matcher.is_active():
        ids.append(matcher.id())
        values.append(matcher.value())
        matcher.next()
    yield np.array(ids, dtype=np.int64), values


def _decode_deltas(value: bytes) -> list[int]:
    """The position deltas of one posting (Whoosh's ``Positions`` format: a 4-byte count,
    then a pickled list)."""
    body = value[_INT_SIZE:]
    return loads(body if body.endswith(b".") else body + b".")


# -- the query tree --------------------------------------------------------------------------


def evaluate(q: wq.Query, searcher, arrays: GenerationArrays) -> Matches:
    """Every live document matching ``q``, with its score (see the module docstring)."""
    if q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
        return EMPTY
    if isinstance(q, wq.Term):
        found = arrays.postings(searcher, q.fieldname, q.text)
        return found if q.boost == 1.0 else Matches(found.ids, found.scores * q.boost)
    if isinstance(q, wq.Phrase):
        return _phrase(q, searcher, arrays)
    if isinstance(q, wq.And):
        positives = [s for s in q.subqueries if not isinstance(s, wq.Not)]
        negatives = [s.query for s in q.subqueries if isinstance(s, wq.Not)]
        if not positives:
            raise Unsupported("only negative")
        result = _intersect([evaluate(s, searcher, arrays) for s in positives])
        for negative in negatives:
            result = _subtract(result, evaluate(negative, searcher, arrays))
        if negatives:  # Whoosh scores each NOT member of an AND as a match of weight 1
            result = Matches(result.ids, result.scores + len(negatives))
        return _boosted(result, q.boost)
    if isinstance(q, wq.Or):
        if any(isinstance(s, wq.Not) for s in q.subqueries) or getattr(q, "minmatch", 0) or getattr(q, "scale", None):
            raise Unsupported("or with not")
        return _boosted(_union([evaluate(s, searcher, arrays) for s in q.subqueries]), q.boost)
    if isinstance(q, wq.AndNot):
        return _subtract(evaluate(q.a, searcher, arrays), evaluate(q.b, searcher, arrays))
    if isinstance(q, wq.AndMaybe):
        return _add_optional(evaluate(q.a, searcher, arrays), evaluate(q.b, searcher, arrays))
    if isinstance(q, wq.Require):
        a, b = evaluate(q.a, searcher, arrays), evaluate(q.b, searcher, arrays)
        keep = np.isin(a.ids, b.ids, assume_unique=True)
        return a.where(keep)
    raise Unsupported(type(q).__name__)


def _phrase(q: wq.Phrase, searcher, arrays: GenerationArrays) -> Matches:
    """The documents holding all the phrase's words (scored as the sum of the words),
    kept where the words stand at consecutive positions: compared as arrays of positions
    for many candidates, by Whoosh's own phrase matcher for a few or for a sloppy phrase."""
    if q.fieldname != "text" or not 2 <= len(q.words) <= 64:
        raise Unsupported("phrase")
    terms = [wq.Term("text", w, boost=q.boost) for w in q.words]
    candidates = _intersect([evaluate(t, searcher, arrays) for t in terms])
    if q.slop != 1 or len(candidates) <= FEW_CANDIDATES:
        return _verified(q, candidates, searcher)
    keys = None
    for i, word in enumerate(q.words):
        # (candidate index, position - i) of each occurrence: the phrase is where all agree
        found = arrays.positions(searcher, word).keys_in(candidates.ids, shift=i)
        keys = found if keys is None else keys[_common(keys, found)[0]]  # both ascending
        if not len(keys):
            return EMPTY
    owners = keys >> 32  # ascending: the first key of each document
    kept = owners[np.concatenate(([True], owners[1:] != owners[:-1]))]
    return candidates.where(kept)


def _verified(q: wq.Phrase, candidates: Matches, searcher) -> Matches:
    """The candidates in which Whoosh's phrase matcher finds the phrase (positions read
    for the candidates only)."""
    if not len(candidates):
        return candidates
    keep = np.zeros(len(candidates), dtype=bool)
    ids = candidates.ids
    for sub, offset in searcher.leaf_searchers():
        lo = int(np.searchsorted(ids, offset))
        hi = int(np.searchsorted(ids, offset + sub.doc_count_all()))
        if lo == hi:
            continue
        matcher = q.matcher(sub, sub.boolean_context())
        for i in range(lo, hi):
            if not matcher.is_active():
                break
            local = int(ids[i]) - offset
            if matcher.id() < local:
                matcher.skip_to(local)
                if not matcher.is_active():
                    break
            keep[i] = matcher.id() == local
    return candidates.where(keep)


def _boosted(m: Matches, boost: float) -> Matches:
    return m if boost == 1.0 else Matches(m.ids, m.scores * boost)


def _intersect(parts: list[Matches]) -> Matches:
    parts = sorted(parts, key=len)  # the shortest first: every step only shrinks
    result = parts[0]
    for other in parts[1:]:
        if not len(result):
            return EMPTY
        ia, ib = _common(result.ids, other.ids)
        result = Matches(result.ids[ia], result.scores[ia] + other.scores[ib])
    return result


def _common(small: np.ndarray, big: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indexes into ``small`` and ``big`` (both ascending, unique) of their common ids:
    a binary search of ``big`` for each id of ``small`` (no sorting, no hashing)."""
    at = np.searchsorted(big, small)
    found = at < len(big)
    found[found] = big[at[found]] == small[found]
    return np.flatnonzero(found), at[found]


def _union(parts: list[Matches]) -> Matches:
    parts = [p for p in parts if len(p)]
    if not parts:
        return EMPTY
    if len(parts) == 1:
        return parts[0]
    ids, inverse = np.unique(np.concatenate([p.ids for p in parts]), return_inverse=True)
    scores = np.bincount(inverse, weights=np.concatenate([p.scores for p in parts]), minlength=len(ids))
    return Matches(ids, scores)


def _subtract(a: Matches, b: Matches) -> Matches:
    if not len(a) or not len(b):
        return a
    keep = np.isin(a.ids, b.ids, assume_unique=True, invert=True)
    return a.where(keep)


def _add_optional(a: Matches, b: Matches) -> Matches:
    if not len(a) or not len(b):
        return a
    if len(a) <= len(b):
        ia, ib = _common(a.ids, b.ids)
    else:
        ib, ia = _common(b.ids, a.ids)
    scores = a.scores.copy()
    scores[ia] += b.scores[ib]
    return Matches(a.ids, scores)


# -- order ---------------------------------------------------------------------------------


def top(matches: Matches, limit: int, keys: np.ndarray | None = None, reverse: bool = False) -> np.ndarray:
    """Positions (into ``matches``) of the first ``limit`` hits: by score descending, or
    by ``keys`` (ascending, or descending when ``reverse``); ties in index order."""
    n = len(matches)
    if not n:
        return np.zeros(0, dtype=np.int64)
    primary = -matches.scores if keys is None else (-keys if reverse else keys)
    if n > 4 * limit:
        # everything that ties with the limit-th value is kept, then ordered exactly
        kth = np.partition(primary, limit - 1)[limit - 1]
        candidates = np.flatnonzero(primary <= kth)
    else:
        candidates = np.arange(n)
    order = np.lexsort((matches.ids[candidates], primary[candidates]))
    return candidates[order][:limit]
