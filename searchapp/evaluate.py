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
* a two-word ``Phrase`` (slop 1) of the text: one term of the ``pairs`` field.

Scores are the ones Whoosh gives (the same BM25F formula, idf, quantized field lengths,
average lengths and per-field B), sums apart from float rounding; order is score
descending, then index order, as Whoosh's top collector. Anything else (a longer or
sloppy phrase, a bare ``NOT``, a query form not listed) raises :class:`Unsupported` and
``search`` runs Whoosh's own matchers instead.

Long postings lists are kept, as arrays, in a per-generation cache bounded in bytes
(:data:`CACHE_BYTES`): the common words that make a search slow are the ones asked for
again and again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from whoosh import query as wq
from whoosh.util.numeric import byte_to_length

from .analysis import pair_term

#: bytes of cached postings arrays per generation (12 bytes a posting)
CACHE_BYTES = 96 * 1024 * 1024
#: postings lists shorter than this are read again each time (it costs well under 1 ms)
CACHE_MIN_POSTINGS = 1024
K1 = 1.2

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


EMPTY = Matches(_EMPTY_IDS, _EMPTY_SCORES)


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
        self._cache: OrderedDict[tuple[str, str], Matches] = OrderedDict()
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
                column = searcher.reader().column_reader("date")
                self._dates = np.fromiter((v or 0 for v in column), dtype=np.int64, count=self.doc_count)
        return self._dates

    # -- postings ------------------------------------------------------------------------

    def postings(self, searcher, fieldname: str, text: str) -> Matches:
        """The live documents holding the term, with its unboosted score in each."""
        cache_key = (fieldname, text)
        with self._lock:
            found = self._cache.get(cache_key)
            if found is not None:
                self._cache.move_to_end(cache_key)
                return found
        found = self._read(searcher, fieldname, text)
        if len(found) >= CACHE_MIN_POSTINGS:
            size = found.ids.nbytes + found.scores.nbytes
            with self._lock:
                if cache_key not in self._cache and size <= CACHE_BYTES:
                    self._cache[cache_key] = found
                    self._cache_bytes += size
                    while self._cache_bytes > CACHE_BYTES:
                        _, old = self._cache.popitem(last=False)
                        self._cache_bytes -= old.ids.nbytes + old.scores.nbytes
        return found

    def _read(self, searcher, fieldname: str, text: str) -> Matches:
        field = searcher.schema[fieldname]
        btext = field.to_bytes(text)
        id_parts, weight_parts = [], []
        for (sub, offset), deleted in zip(searcher.leaf_searchers(), self._deleted):
            reader = sub.reader()
            if (fieldname, btext) not in reader:
                continue
            ids, weights = _read_postings(reader, fieldname, btext, field.format)
            if deleted is not None and len(deleted):
                keep = ~np.isin(ids, deleted, assume_unique=True)
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
        return np.fromiter(column, dtype=np.uint8, count=reader.doc_count_all())
    except (AttributeError, ImportError):  # another codec: one document at a time
        values = [reader.doc_field_length(d, fieldname, 1) or 1 for d in range(reader.doc_count_all())]
        from whoosh.util.numeric import length_to_byte

        return np.array([length_to_byte(v) for v in values], dtype=np.uint8)


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


# -- the query tree --------------------------------------------------------------------------


def evaluate(q: wq.Query, searcher, arrays: GenerationArrays) -> Matches:
    """Every live document matching ``q``, with its score (see the module docstring)."""
    if q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
        return EMPTY
    if isinstance(q, wq.Term):
        found = arrays.postings(searcher, q.fieldname, q.text)
        return found if q.boost == 1.0 else Matches(found.ids, found.scores * q.boost)
    if isinstance(q, wq.Phrase):
        if len(q.words) == 2 and q.slop == 1 and q.fieldname == "text" and "pairs" in searcher.schema:
            return evaluate(wq.Term("pairs", pair_term(*q.words), boost=q.boost), searcher, arrays)
        raise Unsupported("phrase")
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
        return Matches(a.ids[keep], a.scores[keep])
    raise Unsupported(type(q).__name__)


def _boosted(m: Matches, boost: float) -> Matches:
    return m if boost == 1.0 else Matches(m.ids, m.scores * boost)


def _intersect(parts: list[Matches]) -> Matches:
    parts = sorted(parts, key=len)  # the shortest first: every step only shrinks
    result = parts[0]
    for other in parts[1:]:
        if not len(result):
            return EMPTY
        ids, ia, ib = np.intersect1d(result.ids, other.ids, assume_unique=True, return_indices=True)
        result = Matches(ids, result.scores[ia] + other.scores[ib])
    return result


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
    return Matches(a.ids[keep], a.scores[keep])


def _add_optional(a: Matches, b: Matches) -> Matches:
    if not len(a) or not len(b):
        return a
    _, ia, ib = np.intersect1d(a.ids, b.ids, assume_unique=True, return_indices=True)
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
