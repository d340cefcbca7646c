"""Hostile queries and hostile documents never crash, never leak markup, and are
accounted for."""

from __future__ import annotations

import os

import pytest

from searchapp.indexer import build_index
from searchapp.search import QueryError, SearchIndex

from .conftest import TELEGRAMS
from .hostile import HOSTILE_QUERIES


def test_there_are_enough_cases():
    assert len(HOSTILE_QUERIES) >= 40


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_hostile_query_answers_or_explains(searcher, query):
    try:
        result = searcher.search(query)
    except QueryError as exc:
        assert str(exc)
        return
    for hit in result.hits:
        assert "<script" not in hit.snippet and "<img" not in hit.snippet


@pytest.fixture(scope="module")
def hostile_world(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    corpus = root / "corpus"
    corpus.mkdir()
    outside = root / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("Top secret outside the corpus.\n", encoding="utf-8")
    (corpus / "good.txt").write_text(TELEGRAMS["t1"], encoding="utf-8")
    (corpus / "evil.txt").write_text(
        "Evil <script>alert('t')</script> title {{ 7*7 }}\n\n"
        "Body with <b>bold</b> & {% for x in y %}{{ x }}{% endfor %} and shld <img src=x onerror=alert(1)>.\n",
        encoding="utf-8",
    )
    (corpus / "longline.txt").write_text("Long\n\n" + "Korea " * 200_000 + "\n", encoding="utf-8")
    (corpus / "badutf8.txt").write_bytes(b"Bad bytes \xff\xfe here\n\nParagraph with \xc3\x28 invalid Kaesong.\n")
    (corpus / "nul.txt").write_bytes(b"Nul title\n\nPanmunjom\x00 talks with a NUL byte.\n")
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "binary.txt").write_bytes(os.urandom(4096))
    with open(corpus / "huge.txt", "wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    (corpus / "dup.txt").write_text("Dup one\n\nFirst copy.\n", encoding="utf-8")
    (corpus / "sub").mkdir()
    (corpus / "sub" / "dup.txt").write_text("Dup two\n\nSecond copy.\n", encoding="utf-8")
    (corpus / "notes.md").write_text("# markdown\n", encoding="utf-8")
    (corpus / "leak.txt").symlink_to(outside / "secret.txt")
    report = build_index(corpus, root / "index")
    return root, report


def test_hostile_corpus_build_report_accounts_for_every_file(hostile_world):
    _, report = hostile_world
    reasons = {s.path: s.reason for s in report.skipped}
    assert reasons == {
        "binary.txt": "binary file (control bytes), not text",
        "empty.txt": "empty file",
        "huge.txt": "larger than 20 MB",
        "leak.txt": "symlink leading outside the corpus",
        "notes.md": "not a .txt or .xml file (.md)",
        "sub/dup.txt": "document id 'dup' already used by dup.txt",
    }
    assert report.documents == 6  # good, evil, longline, badutf8, nul, dup
    assert report.files == 12


def test_hostile_documents_are_searchable_and_escaped(hostile_world):
    root, _ = hostile_world
    index = SearchIndex(root / "index")
    hit = index.search("shld").hits
    evil = next(h for h in hit if h.doc_id == "evil")
    assert "<script" not in evil.snippet and "<img" not in evil.snippet and "<b>" not in evil.snippet
    assert "&lt;img src=x onerror=alert(1)&gt;" in evil.snippet
    assert "{% for x in y %}" in evil.snippet  # shown as text, never evaluated
    assert [h.doc_id for h in index.search("Kaesong").hits] == ["badutf8"]
    assert [h.doc_id for h in index.search("Panmunjom").hits] == ["nul"]
    assert {h.doc_id for h in index.search("Korea").hits} == {"longline", "good"}  # good: NK = North Korea
    assert index.search("secret").total == 0
