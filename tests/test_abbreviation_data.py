"""Format and content checks of the built-in abbreviation table (searchapp/data/abbreviations.tsv).

The file is parsed here with plain splitting, independently of ``searchapp.abbreviations``,
so that a loader bug cannot hide a data error (and the reverse).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

TSV = Path(__file__).resolve().parent.parent / "searchapp" / "data" / "abbreviations.tsv"
HEADER = "form\texpansion\tkind\tcase\tmatch\tnote"
KINDS = {
    "contraction", "acronym", "telegram-reference", "series-indicator", "title", "office",
    "nationality", "month", "day", "other",
}
CASES = {"any", "cap", "exact"}
MATCHES = {"both", "query", "display"}


def _content_lines() -> list[tuple[int, str]]:
    text = TSV.read_text(encoding="utf-8")
    return [
        (n, line)
        for n, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]


def _rows() -> list[tuple[int, list[str]]]:
    return [(n, line.split("\t")) for n, line in _content_lines()[1:]]


ROWS = _rows()


def _entry(form: str) -> list[str]:
    """The one entry with exactly this form, else the one whose form matches case-insensitively."""
    found = [fields for _, fields in ROWS if fields[0] == form]
    found = found or [fields for _, fields in ROWS if fields[0].lower() == form.lower()]
    assert found, f"{form!r} missing"
    assert len(found) == 1, f"{form!r} appears {len(found)} times"
    return found[0]


def test_file_is_utf8_without_bom() -> None:
    raw = TSV.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    raw.decode("utf-8")


def test_header_is_first_non_comment_line() -> None:
    assert _content_lines()[0][1] == HEADER


def test_every_line_has_six_fields() -> None:
    bad = [(n, fields) for n, fields in ROWS if len(fields) != 6]
    assert bad == []


def test_no_empty_or_padded_fields() -> None:
    bad = [
        (n, fields)
        for n, fields in ROWS
        if any(f != f.strip() for f in fields) or not all(fields[:5])
    ]
    assert bad == []


def test_allowed_values() -> None:
    assert {f[2] for _, f in ROWS} <= KINDS
    assert {f[3] for _, f in ROWS} <= CASES
    assert {f[4] for _, f in ROWS} <= MATCHES


def test_at_least_450_entries() -> None:
    assert len(ROWS) >= 450


def test_forms_have_no_periods() -> None:
    assert [f[0] for _, f in ROWS if "." in f[0]] == []


def test_expansions_are_plain_words() -> None:
    bad = []
    for n, fields in ROWS:
        alternatives = fields[1].split("|")
        if any(not a.strip() or a != a.strip() for a in alternatives):
            bad.append((n, fields[1]))
        if any(c in fields[1] for c in "(),;\t"):
            bad.append((n, fields[1]))
    assert bad == []


def test_no_duplicate_forms() -> None:
    """A form may appear once with case any/cap and once more with case exact (the loader
    keys entries on the lowercased form plus whether the case rule is exact)."""
    keys = Counter((f[0].lower(), f[3] == "exact") for _, f in ROWS)
    assert [k for k, c in keys.items() if c > 1] == []


def test_no_duplicate_form_and_case_among_non_exact() -> None:
    keys = Counter((f[0].lower(), f[3]) for _, f in ROWS if f[3] != "exact")
    assert [k for k, c in keys.items() if c > 1] == []


def test_multiword_forms_are_short() -> None:
    assert [f[0] for _, f in ROWS if len(f[0].split()) > 5] == []


@pytest.mark.parametrize(
    "form,primary",
    [
        ("shld", "should"),
        ("wld", "would"),
        ("cld", "could"),
        ("ur", "your"),
        ("urtel", "your telegram"),
        ("Embtel", "Embassy telegram"),
        ("Deptel", "Department of State telegram"),
        ("Sov", "Soviet"),
        ("Govt", "Government"),
        ("SovGov", "Soviet Government"),
        ("Sov Govt", "Soviet Government"),
        ("Chi", "Chinese"),
        ("ChiCom", "Chinese Communist"),
        ("Chi Commie", "Chinese Communist"),
        ("Commie", "Communist"),
        ("NK", "North Korea"),
        ("negots", "negotiations"),
        ("polit", "political"),
        ("internatl", "international"),
        ("Secy", "Secretary"),
        ("FonOff", "Foreign Office"),
        ("USPolAd", "United States Political Adviser"),
        ("GOI", "Government of India"),
        ("HMG", "His Majesty's Government"),
        ("mtg", "meeting"),
        ("sitn", "situation"),
        ("agmt", "agreement"),
        ("comite", "committee"),
    ],
)
def test_required_forms_with_primary_expansion(form: str, primary: str) -> None:
    assert _entry(form)[1].split("|")[0] == primary


@pytest.mark.parametrize(
    "form,case,match",
    [
        ("US", "exact", "both"),  # never the pronoun us
        ("A", "exact", "display"),  # airgram, never the article
        ("GOI", "exact", "query"),  # India, Indonesia, Iran, Israel ...
        ("am", "any", "display"),
        ("min", "any", "display"),
        ("rep", "any", "display"),
        ("sec", "any", "display"),
        ("con", "any", "display"),
        ("fin", "exact", "both"),  # lowercase fin only: Fin is Finnish
        ("re", "any", "both"),  # re Deptel 224; the re- prefix is guarded in the analyzer
        ("Sun", "cap", "display"),
        ("PM", "exact", "display"),
        ("Def", "cap", "both"),
        ("Col", "cap", "both"),
    ],
)
def test_ambiguous_forms_are_guarded(form: str, case: str, match: str) -> None:
    entry = _entry(form)
    assert (entry[3], entry[4]) == (case, match)


def test_inflections_have_their_own_lines() -> None:
    forms = {f[0] for _, f in ROWS}
    for form in [
        "Govt", "Govts", "Sov", "Sovs", "negot", "negots", "mtg", "mtgs", "rep", "reps",
        "tel", "tels", "Embtel", "Embtels", "Deptel", "Deptels", "ChiCom", "ChiComs",
    ]:
        assert form.lower() in {f.lower() for f in forms}, form


def test_months_and_days() -> None:
    months = {f[0] for _, f in ROWS if f[2] == "month"}
    assert {"Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec"} <= months
    assert all(_entry(m)[3] == "cap" for m in months)
    days = {f[0] for _, f in ROWS if f[2] == "day"}
    assert {"Mon", "Tues", "Wed", "Thurs", "Fri", "Sat", "Sun"} <= days


def test_lowercase_common_words_are_not_matched_both_ways_case_insensitively() -> None:
    """Abbreviations that are ordinary lowercase English words must not expand both ways
    under case any."""
    risky = {"us", "am", "it", "con", "sec", "min", "rep", "fin", "art", "sat", "sun", "dec", "mar", "jan", "may"}
    bad = [f for _, f in ROWS if f[0].lower() in risky and f[3] == "any" and f[4] == "both"]
    assert bad == []
