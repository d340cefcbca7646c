"""Search behaviour on a small world of telegrams: abbreviations both ways, case rules,
ambiguity, the query language, highlighting and bounds."""

from __future__ import annotations

import re

import pytest

from searchapp.abbreviations import AbbreviationTable
from searchapp.analysis import analyze
from searchapp.highlight import MatchSpec, annotate, render, snippet
from searchapp.search import QueryError, _multiword_keys, clean_query, quote_multiword_forms


def found(searcher, query, **kw):
    result = searcher.search(query, page_size=50, **kw)
    return sorted(f"{h.doc_id}#p{h.n}" for h in result.hits)


@pytest.mark.parametrize(
    "query,expected",
    [
        # full form finds the abbreviation, and the reverse
        ("should", ["t1#p1", "t1#p3", "t3#p1"]),
        ("shld", ["t1#p1", "t1#p3", "t3#p1"]),
        ('"Soviet Government"', ["t1#p1", "t1#p3"]),
        ('"Sov Govt"', ["t1#p1", "t1#p3"]),
        ("SovGov", ["t1#p1", "t1#p3"]),
        ("Soviet Government", ["t1#p1", "t1#p3"]),
        ("Soviet Government should", ["t1#p1", "t1#p3"]),
        ('"Soviet Government should"', ["t1#p1", "t1#p3"]),
        ("Chinese Communist", ["t2#p1", "t2#p2"]),
        ("ChiCom", ["t2#p1", "t2#p2"]),
        ('"Chi Commie negotiators"', ["t2#p1"]),
        ("North Korean", ["t1#p1"]),
        ('"North Korean proposal"', ["t1#p1"]),
        ('"Embassy telegram"', ["t3#p1"]),
        ("Embtel", ["t3#p1"]),
        ('"your telegram"', ["t2#p1"]),
        ("meeting", ["t2#p2", "t2#p3"]),
        ("mtg", ["t2#p2", "t2#p3"]),
        ("negotiations", ["t3#p1", "t3#p2"]),
        ('"Foreign Office"', ["t1#p2"]),
        ("British", ["t1#p2"]),
        ("political military situation", ["t2#p4"]),
        ("received", ["t2#p1"]),
        # case rules: US is the United States, us the pronoun
        ("US", ["t1#p1"]),
        ('"United States"', ["t1#p1"]),
        ("us", ["t1#p1", "t2#p3", "t3#p2"]),
        # no stop words: May, not, will, A count
        ("May", ["t2#p4"]),
        ("not", ["t1#p1", "t3#p1", "t3#p2"]),
        ("will", ["t1#p1"]),
        # display-only: A (airgram) never matches "airgram"
        ("airgram", []),
        # one-way ambiguous acronym: GOI finds its meanings; the full form does not drag in GOI
        ('"Government of India"', ["t3#p3"]),
        ("GOI", ["t3#p2", "t3#p3"]),
        # Gen and gen both stand for general
        ("general", ["t3#p1", "t3#p2"]),
        # query language
        ("Soviet NOT NK", ["t1#p3"]),
        ("Soviet NOT shld", []),  # NOT excludes the concept, in either form
        ("Soviet -NK", ["t1#p3"]),
        ("FonOff OR Urtel", ["t1#p2", "t2#p1"]),
        ("(FonOff OR Urtel) AND Deptel", ["t1#p2"]),
        ("negot*", ["t2#p1", "t3#p1", "t3#p2"]),
        ("kind:signature", ["t1#p4", "t2#p5", "t3#p4"]),
        ("title:Indonesia", ["t3#p1", "t3#p2", "t3#p3", "t3#p4"]),
        ("from:Muccio", ["t1#p1", "t1#p2", "t1#p3", "t1#p4", "t1#p5", "t1#p6"]),
        # markers are not words; footnotes are paragraphs
        ("proposal", ["t1#p1"]),
        ("299", ["t1#p6"]),
        ("2", []),
    ],
)
def test_query_finds(searcher, query, expected):
    assert found(searcher, query) == expected


@pytest.mark.parametrize(
    "query,doc_n,marked",
    [
        ("should", "t1#p1", ["shld"]),
        ('"Soviet Government"', "t1#p1", ["Sov Govt"]),
        ('"Soviet Government"', "t1#p3", ["Soviet Government"]),
        ("Chinese Communist", "t2#p1", ["Chi Commie"]),
        ("North Korean", "t1#p1", ["NK"]),
        ("Embtel", "t3#p1", ["Embassy telegram"]),
        ("negotiations", "t3#p2", ["negots"]),
        ("shld", "t1#p3", ["should"]),
        ("mtg", "t2#p3", ["Meeting"]),
    ],
)
def test_snippet_marks_the_form_in_the_text(searcher, query, doc_n, marked):
    hits = {f"{h.doc_id}#p{h.n}": h for h in searcher.search(query, page_size=50).hits}
    html = hits[doc_n].snippet
    marks = [re.sub(r"<[^>]+>", "", m) for m in re.findall(r"<mark>(.*?)</mark>", html)]
    assert marks == marked


def test_snippet_carries_expansions(searcher):
    hit = searcher.search("should", page_size=50).hits
    html = next(h.snippet for h in hit if h.doc_id == "t1" and h.n == 1)
    assert '<abbr title="should"><mark>shld</mark></abbr>' in html
    assert '<abbr title="Soviet Government">Sov Govt</abbr>' in html
    uses = next(h.abbreviations for h in hit if h.doc_id == "t1" and h.n == 1)
    assert ("shld", "should") in [(a.form, a.expansion) for a in uses]


def test_result_says_what_the_query_was_widened_to(searcher):
    result = searcher.search("Soviet Government should")
    assert "Sov Govt" in result.also_matched
    assert "shld" in result.also_matched
    assert result.documents == 1
    assert searcher.search("shld").also_matched == ("should",)
    assert set(searcher.search("negot*").also_matched) == {"negotiators", "negotiations", "negots"}


def test_ranking_prefers_title_and_concept(searcher):
    hits = searcher.search("Soviet Government").hits
    assert {f"{h.doc_id}#p{h.n}" for h in hits[:2]} == {"t1#p1", "t1#p3"}


def test_sort_by_date_and_date_filter(searcher):
    hits = searcher.search("not OR Chinese", sort="date").hits
    assert [h.doc_id for h in hits] == sorted((h.doc_id for h in hits), key=lambda d: {"t1": 1, "t2": 2, "t3": 3}[d])
    assert {h.doc_id for h in searcher.search("not OR Chinese", date_from="1952", date_to="1952-12").hits} == {"t2"}
    with pytest.raises(QueryError, match="not a date"):
        searcher.search("not", date_from="yesterday")


def test_did_you_mean(searcher):
    result = searcher.search("negotiatons")
    assert result.total == 0
    assert result.suggestion == "negotiations"


@pytest.mark.parametrize(
    "query,message",
    [
        ("", "Type at least one word"),
        ("   ", "Type at least one word"),
        ("*", "alone is not a search"),
        ("a*", "at least 2 letters"),
        ("*gen*", "only a trailing"),
        (" OR ".join(f"w{i}" for i in range(500)), "too many terms"),
    ],
)
def test_bad_queries_get_a_message(searcher, query, message):
    with pytest.raises(QueryError, match=message):
        searcher.search(query)


@pytest.mark.parametrize("query", ['"unbalanced', "(open", "AND", "NOT", "-", "+", "foo:bar", '"a b"~x', "\x00\x1f", "<script>"])
def test_odd_queries_never_crash(searcher, query):
    try:
        searcher.search(query)
    except QueryError:
        pass


def test_long_query_is_cut(searcher):
    result = searcher.search("should " * 300)
    assert "cut" in result.message


def test_page_bounds(searcher):
    with pytest.raises(QueryError):
        searcher.search("should", page=0)
    with pytest.raises(QueryError, match="first 1000"):
        searcher.search("should", page=10**9)


# -- analysis and highlighting, table-driven ------------------------------------------------


@pytest.fixture(scope="module")
def table():
    return AbbreviationTable.builtin()


@pytest.mark.parametrize(
    "text,terms",
    [
        ("Sov Govt shld", [(0, "sov"), (0, "soviet"), (1, "govt"), (1, "government"), (2, "shld"), (2, "should")]),
        ("NK dels", [(0, "nk"), (0, "north"), (1, "korea"), (1, "korean"), (2, "dels"), (2, "delegations"), (2, "delegates")]),
        ("US will not", [(0, "us"), (0, "united"), (1, "states"), (2, "will"), (3, "not")]),
        ("us and A-1 May", [(0, "us"), (1, "and"), (2, "a"), (3, "1"), (4, "may")]),
        ("U.S. 611.61 Chargé", [(0, "us"), (0, "united"), (1, "states"), (2, "611.61"), (3, "charge")]),
    ],
)
def test_analysis(table, text, terms):
    got = [(t.pos, t.text) for t in analyze(text, table)]
    assert sorted(got) == sorted(terms)


def test_highlight_escapes_everything(table):
    text = 'Embtel <script>alert("x")</script> & {{ 7*7 }} shld'
    html = str(snippet(annotate(text, (), table, MatchSpec(terms=frozenset({"should"})))))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; {{ 7*7 }}" in html
    assert html.endswith('<abbr title="should"><mark>shld</mark></abbr>')


def test_phrase_marks_only_the_phrase(table):
    text = "Soviet troops and the Government; the Soviet Government said."
    spec = MatchSpec(phrases=((("soviet", "government"), 1),))
    html = str(render(annotate(text, (), table, spec)))
    assert html.count("<mark>") == 1
    assert "<mark>Soviet Government</mark>" in html


def test_unquoted_multiword_forms_become_phrases(table):
    keys = _multiword_keys(table)
    assert quote_multiword_forms("Soviet Government should", table, keys) == '"Soviet Government" should'
    assert quote_multiword_forms("Sov Govt OR Chi Commie", table, keys) == '"Sov Govt" OR "Chi Commie"'
    assert quote_multiword_forms('"Soviet Government" title:x', table, keys) == '"Soviet Government" title:x'


def test_clean_query():
    assert clean_query("  Sov\x00Govt  ") == ("Sov Govt", [])


def test_expansions_of_different_lengths_keep_phrases_working(tmp_path):
    from searchapp.indexer import build_index
    from searchapp.search import SearchIndex

    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "d.txt").write_text("Title\n\nDeptel 871 has been conveyed.\n", encoding="utf-8")
    build_index(tmp_path / "c", tmp_path / "ix")
    index = SearchIndex(tmp_path / "ix")
    for query in ['"Department telegram 871"', '"Department of State telegram 871"', '"Deptel 871"', '"Department telegram"']:
        assert index.search(query).total == 1, query


@pytest.mark.parametrize(
    "text,expanded",
    [
        ("re Deptel 224", True),
        ("we re-examine it", False),
        ("co-operate", False),
    ],
)
def test_hyphenated_prefix_is_not_an_abbreviation(table, text, expanded):
    terms = [t.text for t in analyze(text, table)]
    assert ("regarding" in terms or "cooperation" in terms) is expanded


@pytest.mark.parametrize(
    "text,concept_at",
    [
        ("the Soviet Government said", 1),
        ("Sov Govt shld", 0),
        ("SovGov will", 0),
        ("Soviet Govt", 0),
        ("Soviet troops and the Government", None),
    ],
)
def test_concept_term_indexed_for_every_spelling(table, text, concept_at):
    from searchapp.analysis import TelegramAnalyzer

    terms = [(t.text, t.pos) for t in TelegramAnalyzer(table)(text, positions=True, mode="index")]
    found = [pos for word, pos in terms if word == "soviet_government"]
    assert found == ([] if concept_at is None else [concept_at])


def test_concept_phrase_is_one_term_query(searcher):
    result = searcher.search("Soviet Government")
    assert result.expanded_query == '"soviet government"'
    assert sorted(f"{h.doc_id}#p{h.n}" for h in result.hits) == ["t1#p1", "t1#p3"]
    # a longer phrase around the concept is still matched word by word
    assert searcher.search('"Soviet Government should"').total == 2
