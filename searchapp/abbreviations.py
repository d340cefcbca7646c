"""The telegraphic abbreviation dictionary: loading, merging, case rules and lookups.

Second step of the pipeline, beside the corpus: the table is data
(``searchapp/data/abbreviations.tsv``, one entry a line)::

    form    expansion                 kind          case   match  note
    shld    should                    contraction   any    both   telegraphese modal
    NK      North Korea|North Korean  acronym       exact  both   ...

* ``expansion``: alternatives separated by ``|``, the primary first.
* ``case``: ``any`` (case-insensitive), ``cap`` (must start with a capital: ``Def``),
  ``exact`` (as written or all capitals: ``US`` but never the pronoun ``us``).
* ``match``: ``both`` (the abbreviation finds the full form and the reverse),
  ``query`` (typing the abbreviation also searches its full forms, one way: for
  ambiguous acronyms such as GOI), ``display`` (shown expanded, never matched).

A user's own file in the same format adds entries or overrides built-in entries with
the same form. :meth:`AbbreviationTable.digest` identifies a table, so that an index can
tell it was built with another one. The analyzer and the query rewriter ask the table
for the longest entry that matches a run of words at a given place.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .tokens import key, words

HEADER = ["form", "expansion", "kind", "case", "match", "note"]
CASE_RULES = ("any", "cap", "exact")
MATCH_MODES = ("both", "query", "display")
KINDS = (
    "contraction", "acronym", "telegram-reference", "series-indicator", "title", "office",
    "nationality", "month", "day", "other",
)
MAX_FORM_WORDS = 5


class AbbreviationFileError(ValueError):
    """An abbreviation file that cannot be used; the message names file and line."""


@dataclass(frozen=True)
class Abbreviation:
    """One dictionary entry."""

    form: str
    expansions: tuple[str, ...]
    kind: str = "contraction"
    case: str = "any"
    match: str = "both"
    note: str = ""
    source: str = "built-in"

    @property
    def expansion(self) -> str:
        """The primary expansion, for display."""
        return self.expansions[0]

    @property
    def title(self) -> str:
        """All meanings, for a tooltip."""
        return " | ".join(self.expansions)

    @property
    def form_words(self) -> tuple[str, ...]:
        return tuple(words(self.form))

    @property
    def expansion_keys(self) -> tuple[tuple[str, ...], ...]:
        """Each alternative expansion as the sequence of indexed keys."""
        return tuple(tuple(key(w) for w in words(e)) for e in self.expansions)

    def accepts(self, surfaces: Sequence[str], relaxed: bool = False) -> bool:
        """Whether the surface words (as written in the text) satisfy the case rule.

        ``relaxed`` (query time): a lowercase word also satisfies ``cap``/``exact``
        unless its lowercase form is an ordinary English word (``us``, ``am``, ``sat``).
        """
        if self.case == "any":
            return True
        form_words = self.form_words
        if relaxed and all(s.islower() for s in surfaces):
            return not any(key(s) in COMMON_WORDS for s in surfaces)
        for surface, form_word in zip(surfaces, form_words):
            if self.case == "cap":
                if not surface[:1].isupper():
                    return False
            elif surface != form_word and surface != form_word.upper():
                return False
        return True


def concept_term(keys: tuple[str, ...]) -> str:
    """The single indexed term of a multi-word full form: ``soviet_government``. The
    tokenizer never produces an underscore, so it cannot collide with a word."""
    return "_".join(keys)


def _read_entries(text: str, source: str) -> Iterator[Abbreviation]:
    reader = csv.reader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE)
    header_seen = False
    for lineno, row in enumerate(reader, start=1):
        if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
            continue
        row = [cell.strip() for cell in row]
        if not header_seen and row[:2] == HEADER[:2]:
            header_seen = True
            continue
        where = f"{source}, line {lineno}"
        if len(row) < 2:
            raise AbbreviationFileError(f"{where}: expected tab-separated columns {' '.join(HEADER)}")
        row += [""] * (len(HEADER) - len(row))
        form, expansion, kind, case, match, note = row[:6]
        kind, case, match = kind or "contraction", case or "any", match or "both"
        if case not in CASE_RULES:
            raise AbbreviationFileError(f"{where}: case must be one of {', '.join(CASE_RULES)}, not {case!r}")
        if match not in MATCH_MODES:
            raise AbbreviationFileError(f"{where}: match must be one of {', '.join(MATCH_MODES)}, not {match!r}")
        expansions = tuple(e.strip() for e in expansion.split("|") if e.strip())
        if not words(form) or not expansions or not all(words(e) for e in expansions):
            raise AbbreviationFileError(f"{where}: a form and an expansion with words are required")
        if len(words(form)) > MAX_FORM_WORDS:
            raise AbbreviationFileError(f"{where}: a form has at most {MAX_FORM_WORDS} words")
        yield Abbreviation(form, expansions, kind, case, match, note, source)


class AbbreviationTable:
    """The merged dictionary with the lookups the analyzer and the query rewriter need."""

    def __init__(self, entries: Iterable[Abbreviation]):
        merged: dict[tuple[str, str], Abbreviation] = {}
        for entry in entries:
            merged[(entry.form.lower(), entry.case if entry.case == "exact" else "")] = entry
        self.entries: tuple[Abbreviation, ...] = tuple(merged.values())
        self._digest: str | None = None
        self._by_first: dict[str, list[Abbreviation]] = {}
        for entry in self.entries:
            self._by_first.setdefault(key(entry.form_words[0]), []).append(entry)
        for bucket in self._by_first.values():
            bucket.sort(key=lambda e: (-len(e.form_words), e.case != "exact", e.match == "display"))
        #: multi-word full forms ("soviet government"), by first word: each is also
        #: indexed as one concept term, so that searching it costs a term lookup, not a
        #: phrase match
        self.concepts: frozenset[tuple[str, ...]] = frozenset(
            keys for entry in self.entries if entry.match != "display" for keys in entry.expansion_keys if len(keys) > 1
        )
        self._concepts_by_first: dict[str, list[tuple[str, ...]]] = {}
        for concept in sorted(self.concepts, key=len, reverse=True):
            self._concepts_by_first.setdefault(concept[0], []).append(concept)

    # -- loading ---------------------------------------------------------------------------

    @classmethod
    def builtin(cls) -> AbbreviationTable:
        return cls(builtin_entries())

    @classmethod
    def load(cls, user_files: Sequence[Path] = (), extra: Iterable[Abbreviation] = ()) -> AbbreviationTable:
        """The built-in table, then each user file in order (later entries win)."""
        entries = list(builtin_entries())
        for path in user_files:
            entries.extend(read_abbreviation_file(path))
        entries.extend(extra)
        return cls(entries)

    def with_extra(self, pairs: Iterable[tuple[str, str]], source: str) -> AbbreviationTable:
        """A copy with a volume's own list added (as ``exact``/``both`` acronyms)."""
        added = [
            Abbreviation(form, (expansion,), "acronym", "exact", "both", "", source)
            for form, expansion in pairs
            if words(form) and words(expansion) and len(words(form)) <= MAX_FORM_WORDS
        ]
        return AbbreviationTable([*self.entries, *added])

    # -- identity --------------------------------------------------------------------------

    def digest(self) -> str:
        """A stable hash of what the table matches: index and table must agree on it."""
        if self._digest is None:
            self._digest = self._compute_digest()
        return self._digest

    def _compute_digest(self) -> str:
        h = hashlib.sha256()
        for e in sorted(self.entries, key=lambda e: (e.form, e.case, e.match, e.expansions)):
            h.update("\t".join([e.form, "|".join(e.expansions), e.case, e.match]).encode())
            h.update(b"\n")
        return h.hexdigest()[:16]

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[Abbreviation]:
        return iter(self.entries)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AbbreviationTable) and self.digest() == other.digest()

    def __hash__(self) -> int:
        return hash(self.digest())

    def __getstate__(self) -> dict:
        return {"entries": self.entries}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["entries"])

    # -- lookups ---------------------------------------------------------------------------

    def has_first(self, word_key: str) -> bool:
        return word_key in self._by_first

    def match(
        self,
        surfaces: Sequence[str],
        i: int,
        modes: frozenset[str] = frozenset(MATCH_MODES),
        relaxed: bool = False,
    ) -> tuple[int, Abbreviation] | None:
        """The longest entry whose form matches ``surfaces[i:]`` and whose match mode is
        in ``modes``, as (number of words, entry); None if no entry matches."""
        bucket = self._by_first.get(key(surfaces[i]))
        if not bucket:
            return None
        for entry in bucket:
            if entry.match not in modes:
                continue
            form_words = entry.form_words
            n = len(form_words)
            if i + n > len(surfaces):
                continue
            window = surfaces[i:i + n]
            if n > 1 and any(key(s) != key(f) for s, f in zip(window[1:], form_words[1:])):
                continue
            if entry.accepts(window, relaxed=relaxed):
                return n, entry
        return None

    def concepts_starting_with(self, word_key: str) -> list[tuple[str, ...]]:
        """Multi-word full forms whose first word is ``word_key``, longest first."""
        return self._concepts_by_first.get(word_key, [])


def read_abbreviation_file(path: Path) -> list[Abbreviation]:
    """Entries of a user's abbreviation file (same format as the built-in table)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise AbbreviationFileError(f"cannot read abbreviation file {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise AbbreviationFileError(f"abbreviation file {path} is not UTF-8") from exc
    return list(_read_entries(text, str(path)))


_BUILTIN: tuple[Abbreviation, ...] | None = None


def builtin_entries() -> tuple[Abbreviation, ...]:
    """The curated table shipped in the package (read once)."""
    global _BUILTIN
    if _BUILTIN is None:
        text = resources.files("searchapp").joinpath("data/abbreviations.tsv").read_text(encoding="utf-8")
        _BUILTIN = tuple(_read_entries(text, "built-in"))
    return _BUILTIN


def _load_english_words() -> tuple[str, ...]:
    text = resources.files("searchapp").joinpath("data/common_words.txt").read_text(encoding="utf-8")
    return tuple(w.strip() for w in text.splitlines() if w.strip() and not w.startswith("#"))


#: English words, most frequent first (``data/common_words.txt``, made with wordfreq)
ENGLISH_WORDS: tuple[str, ...] = _load_english_words()
#: ordinary English words: a lowercase query word among them keeps its case rule
COMMON_WORDS: frozenset[str] = frozenset(ENGLISH_WORDS[:6000])
