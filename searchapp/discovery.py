"""Discovery of unknown abbreviations in a corpus, to help curate the dictionary.

``searchapp abbreviations suggest`` lists the words of a corpus that look like
abbreviations the dictionary does not know: not English words, frequent, and either
an acronym (``KMAG``) or a contraction, that is a word whose letters appear in order
in a longer word with the same first letter (``trtmt`` in ``treatment``, ``prelim`` in
``preliminary``). For each it shows example contexts and a guessed expansion, taken
from the corpus itself where the corpus spells it out (a longer word it contains, or
capitalised words whose initials spell the acronym), else from the English word list.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from .abbreviations import ENGLISH_WORDS, AbbreviationTable
from .corpus import CorpusScan
from .models import mask_markers
from .tokens import iter_words, key

_VOWELS = set("aeiouy")
_FILLERS = {"of", "the", "and", "for", "on", "in", "to"}


@dataclass
class Suggestion:
    form: str
    count: int
    documents: int
    kind: str  # "acronym" or "contraction"
    guess: str | None = None
    guess_source: str | None = None  # "corpus" or "english"
    examples: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        return self.count * (2.0 if self.guess_source == "corpus" else 1.0)


def _is_subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(c in it for c in short)


def _looks_like_acronym(surface: str) -> bool:
    return 2 <= len(surface) <= 7 and surface.isalpha() and surface.isupper()


def _looks_like_contraction(word: str) -> bool:
    if not word.isalpha() or not 2 <= len(word) <= 10:
        return False
    vowels = sum(1 for c in word if c in _VOWELS)
    return vowels / len(word) <= 1 / 3


def _expansion_of_contraction(word: str, vocabulary: Iterable[str]) -> str | None:
    best = None
    for candidate in vocabulary:
        if len(candidate) > len(word) + 1 and candidate[0] == word[0] and _is_subsequence(word, candidate):
            if best is None:
                best = candidate
            if candidate.startswith(word) or candidate[-1] == word[-1]:
                return candidate
    return best


def _expansion_of_acronym(acronym: str, texts: list[str]) -> str | None:
    parts = [rf"{letter}[a-z]+" for letter in acronym]
    filler = r"(?:\s+(?:of|the|and|for|on|in|to))*\s+"
    pattern = re.compile(r"\b" + filler.join(parts) + r"\b")
    for text in texts:
        m = pattern.search(text)
        if m:
            return m.group(0)
    return None


def suggest_abbreviations(
    scan: CorpusScan,
    table: AbbreviationTable,
    min_count: int = 3,
    limit: int = 50,
    examples: int = 2,
) -> list[Suggestion]:
    """Words of the corpus that look like abbreviations unknown to ``table``."""
    english = set(ENGLISH_WORDS)
    counts: Counter[str] = Counter()
    surfaces: dict[str, Counter[str]] = defaultdict(Counter)
    docs: dict[str, set[str]] = defaultdict(set)
    contexts: dict[str, list[str]] = defaultdict(list)
    corpus_words: Counter[str] = Counter()
    texts: list[str] = []
    for doc in scan.documents:
        for paragraph in doc.paragraphs:
            text = mask_markers(paragraph.text, paragraph.markers)
            texts.append(text)
            for start, end, surface in iter_words(text):
                k = key(surface)
                corpus_words[k] += 1
                if k in english or table.has_first(k) or not surface.isalpha():
                    continue
                counts[k] += 1
                surfaces[k][surface] += 1
                docs[k].add(doc.doc_id)
                if len(contexts[k]) < examples:
                    contexts[k].append(" ".join(text[max(0, start - 50):end + 50].split()))
    english_by_letter: dict[str, list[str]] = defaultdict(list)
    for w in ENGLISH_WORDS:
        english_by_letter[w[0]].append(w)
    by_frequency = [w for w, _ in corpus_words.most_common() if w in english or corpus_words[w] >= 2]
    results: list[Suggestion] = []
    for k, count in counts.items():
        if count < min_count:
            continue
        surface = surfaces[k].most_common(1)[0][0]
        if _looks_like_acronym(surface):
            guess = _expansion_of_acronym(surface, texts)
            results.append(Suggestion(surface, count, len(docs[k]), "acronym", guess, "corpus" if guess else None, contexts[k]))
        elif k.isalpha() and 2 <= len(k) <= 10:
            # a truncation (prelim → preliminary) or, if consonant-heavy, a contraction
            # (trtmt → treatment); names (Kishi, Pusan) are neither
            truncation = any(w.startswith(k) and len(w) >= len(k) + 3 for w in english_by_letter[k[0]]) and len(k) >= 3
            if not truncation and not _looks_like_contraction(k):
                continue
            guess = _expansion_of_contraction(k, (w for w in by_frequency if w not in counts))
            source = "corpus" if guess else None
            if guess is None:
                guess = _expansion_of_contraction(k, ENGLISH_WORDS)
                source = "english" if guess else None
            if guess is None:
                continue
            results.append(Suggestion(surface, count, len(docs[k]), "contraction", guess, source, contexts[k]))
    results.sort(key=lambda s: (-s.score, s.form))
    return results[:limit]
