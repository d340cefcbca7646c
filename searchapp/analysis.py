"""The analyzer: words of a paragraph → indexed terms, with abbreviations expanded.

Third step of the pipeline (after corpus and abbreviations). One analyzer object,
pickled into the index with the schema (so its class must stay at this import path).

Index mode, for ``Sov Govt shld`` (positions on the left)::

    0 sov  soviet          the original key and, at the same position, the expansion
    1 govt government
    2 shld should

A joined or one-word form with a longer expansion spreads over the next positions and
shifts the words after it (a shorter alternative expansion is placed at both ends of the
span) (``NK negotiators`` → ``nk``+``north`` at 0, ``korean`` at 1,
``negotiators`` at 2), so phrase queries agree both ways: ``"North Korean negotiators"``
finds ``NK negotiators`` and ``"NK negotiators"`` finds ``North Korean negotiators``.
Expansion terms carry the character span of the words really in the text, so the
highlighter marks ``shld`` for the query ``should``.

Each multi-word full form of the dictionary (``Soviet Government``), however it is
spelled, also indexes one concept term (``soviet_government``) at its first position:
the query rewriter searches that term instead of matching a phrase word by word.

Query mode yields the words as typed (case kept): the query rewriter in ``search``
applies the case rules and replaces abbreviations there, because one abbreviation may
have several expansions (an OR that a token stream cannot express).

No stop words and no minimum length: ``US``, ``May``, ``not``, ``will`` and ``A`` count.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from whoosh.analysis import Analyzer, Token

from .abbreviations import Abbreviation, AbbreviationTable, concept_term
from .tokens import iter_words, key

INDEX_MODES = frozenset({"both"})


class Term(NamedTuple):
    """One indexed term with where it comes from in the text."""

    text: str
    pos: int
    start: int
    end: int
    #: the dictionary entry this word belongs to (also display-only ones), else None
    entry: Abbreviation | None = None
    #: True for a term added by an expansion (not a word as written)
    expanded: bool = False


def _terms(text: str, table: AbbreviationTable, start_pos: int = 0) -> Iterator[tuple]:
    """(key, pos, start, end, entry, expanded) of each indexed term, in order of position.

    The hot loop of indexing: plain tuples, and a word with no dictionary entry starting
    with it costs one dict lookup."""
    spans = list(iter_words(text))
    surfaces = [w for _, _, w in spans]
    pos = start_pos
    i = 0
    n_words = len(spans)
    has_first = table.has_first
    while i < n_words:
        start, end, surface = spans[i]
        word_key = key(surface)
        found = table.match(surfaces, i) if has_first(word_key) else None
        if found is not None and found[0] == 1 and surface.islower() and _is_prefix(text, end):
            found = None  # "re-examine", "co-operate": a prefix, not an abbreviation
        if found is None:
            yield (word_key, pos, start, end, None, False)
            pos += 1
            i += 1
            continue
        k, entry = found
        emitted: set[tuple[int, str]] = set()
        group: list[tuple] = []
        for j in range(k):
            s, e, w = spans[i + j]
            emitted.add((pos + j, key(w)))
            group.append((key(w), pos + j, s, e, entry, False))
        width = k
        if entry.match in INDEX_MODES:
            whole = (spans[i][0], spans[i + k - 1][1])
            alternatives = entry.expansion_keys
            width = max(k, *(len(a) for a in alternatives))
            for alternative in alternatives:
                m = len(alternative)
                # a shorter alternative is placed both at the start and at the end of the
                # span, so a phrase continues from it in either direction ("Department
                # telegram 871" and "the Department telegram" both find "Deptel 871")
                for offset in {0, width - m}:
                    for j, word in enumerate(alternative):
                        at = pos + offset + j
                        if (at, word) in emitted:
                            continue
                        emitted.add((at, word))
                        s, e = (spans[i + j][0], spans[i + j][1]) if m == k else whole
                        group.append((word, at, s, e, entry, True))
        # positions must ascend: Whoosh stores each term's positions in the order given
        group.sort(key=lambda term: term[1])
        yield from group
        pos += width
        i += k


def _with_concepts(terms: list[tuple], table: AbbreviationTable) -> list[tuple]:
    """Add a concept term (``soviet_government``) at the first position of each
    multi-word full form present in the terms, whatever forms spell it (``Soviet
    Government``, ``Sov Govt``, ``SovGov``, ``Soviet Govt``)."""
    concepts_starting_with = table.concepts_starting_with
    if not any(concepts_starting_with(term[0]) for term in terms):
        return terms  # most paragraphs: no word starts a multi-word form
    at: dict[int, dict[str, tuple]] = {}
    for term in terms:
        at.setdefault(term[1], {})[term[0]] = term
    added: list[tuple] = []
    for pos, here in at.items():
        for word, first in here.items():
            for concept in concepts_starting_with(word):
                chain = [first]
                for j, following in enumerate(concept[1:], start=1):
                    nxt = at.get(pos + j, {}).get(following)
                    if nxt is None:
                        break
                    chain.append(nxt)
                else:
                    entry = next((t[4] for t in chain if t[4] is not None), None)
                    added.append((concept_term(concept), pos, first[2], chain[-1][3], entry, True))
    if not added:
        return terms
    merged = terms + added
    merged.sort(key=lambda term: term[1])
    return merged


def analyze(text: str, table: AbbreviationTable, start_pos: int = 0) -> Iterator[Term]:
    """The index-mode terms of ``text``, in order of position."""
    for item in _terms(text, table, start_pos):
        yield Term(*item)


def _is_prefix(text: str, end: int) -> bool:
    """Whether the word ending at ``end`` is glued to the next word by a hyphen."""
    return end + 1 < len(text) and text[end] in "-‐‑" and text[end + 1].isalpha()


class TelegramAnalyzer(Analyzer):
    """Whoosh analyzer for telegram text; see the module docstring."""

    #: header fields (title, sender, recipient) repeat on every paragraph of a document:
    #: their terms are remembered instead of analysed again
    CACHE_MAX_CHARS = 400
    CACHE_SIZE = 256

    def __init__(self, table: AbbreviationTable):
        self.table = table
        self._cache: dict[tuple[str, str], list[tuple]] = {}

    def __getstate__(self) -> dict:
        return {"table": self.table}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["table"])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TelegramAnalyzer) and self.table == other.table

    def __repr__(self) -> str:
        return f"TelegramAnalyzer(<{len(self.table)} abbreviations {self.table.digest()}>)"

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs,
    ) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        t.boost = 1.0
        t.stopped = False
        if not tokenize:
            t.original = t.text = value if mode == "query" else key(value)
            t.pos, t.startchar, t.endchar = start_pos, start_char, start_char + len(value)
            yield t
            return
        if mode == "query":
            for pos, (start, end, surface) in enumerate(iter_words(value), start=start_pos):
                t.original = t.text = surface
                t.pos, t.startchar, t.endchar = pos, start_char + start, start_char + end
                yield t
            return
        table = getattr(value, "table", None) or self.table
        if len(value) <= self.CACHE_MAX_CHARS and start_pos == 0:
            cache_key = (str(value), table.digest())
            terms = self._cache.get(cache_key)
            if terms is None:
                if len(self._cache) >= self.CACHE_SIZE:
                    self._cache.clear()
                terms = self._cache[cache_key] = _with_concepts(list(_terms(value, table)), table)
        else:
            terms = _with_concepts(list(_terms(value, table, start_pos)), table)
        for text, pos, start, end, _, _ in terms:
            t.text = text
            if keeporiginal:
                t.original = value[start:end]
            t.pos = pos
            t.startchar, t.endchar = start_char + start, start_char + end
            yield t


class VolumeText(str):
    """Paragraph text that carries the abbreviation table of its volume (TEI lists).

    Whoosh hands the field value to the analyzer unchanged, so a document-specific
    table travels with the text instead of living in global state.
    """

    table: AbbreviationTable | None = None

    def __new__(cls, text: str, table: AbbreviationTable | None = None) -> VolumeText:
        obj = super().__new__(cls, text)
        obj.table = table
        return obj

    def __reduce__(self):
        # the parallel writer sends documents to its worker processes by pickling them
        return (VolumeText, (str(self), self.table))
