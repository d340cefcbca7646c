"""Words of a text: the one tokenizer that the dictionary, the analyzer and the
highlighter share, so that a form, an indexed word and a marked span always agree.

A word is a run of letters/digits (``Govt``, ``38th``), a decimal or file number
(``611.61``), or a dotted acronym (``U.S.`` → ``US``, ``p.m.`` → ``pm``). Apostrophes
and hyphens split words (``Malik’s`` → ``Malik`` ``s``). Keys are lowercased and
stripped of accents (``Chargé`` → ``charge``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

TOKEN_RE = re.compile(
    r"(?:[^\W\d_]\.){2,}(?![^\W\d_])"  # dotted acronym: U.S.  U.S.S.R.  p.m.
    r"|\d+(?:[.,]\d+)+"  # 611.61  1,000
    r"|[^\W_]+"  # a word: letters and digits
)


def iter_words(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, surface) of each word; a dotted acronym's surface has no dots."""
    for m in TOKEN_RE.finditer(text):
        word = m.group(0)
        if "." in word and not word[0].isdigit():
            word = word.replace(".", "")
        yield m.start(), m.end(), word


def key(word: str) -> str:
    """The indexed form of a word: lowercase, without accents."""
    if word.isascii():
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The surface words of ``text``."""
    return [w for _, _, w in iter_words(text)]


def keys(text: str) -> list[str]:
    """The indexed keys of ``text``'s words."""
    return [key(w) for _, _, w in iter_words(text)]
