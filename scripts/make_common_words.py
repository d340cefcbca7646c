"""Regenerate searchapp/data/common_words.txt from wordfreq (a development tool only).

The list answers "is this an ordinary English word?" for the abbreviation case rules at
query time and for `searchapp abbreviations suggest`. Run:
    pip install wordfreq==3.1.1 && python scripts/make_common_words.py
"""

from pathlib import Path

from wordfreq import top_n_list

OUT = Path(__file__).resolve().parent.parent / "searchapp" / "data" / "common_words.txt"
SIZE = 40000

words = list(dict.fromkeys(w for w in top_n_list("en", SIZE) if w.isalpha() and w.isascii()))
header = f"# the {SIZE} most frequent English words per wordfreq 3.1.1 (alphabetic, ASCII), most frequent first\n"
OUT.write_text(header + "\n".join(words) + "\n", encoding="utf-8")
print(f"{len(words)} words -> {OUT}")
