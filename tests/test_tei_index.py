"""FRUS TEI volumes indexed beside text files: the real excerpt (where ../shared is
present) and the small fixture written for the tests."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from searchapp.indexer import build_index
from searchapp.search import SearchIndex

from .conftest import SEEDS, SHARED

EXCERPT = SHARED / "fixtures" / "frus1951v07p2-excerpt.xml"
MINI = Path(__file__).resolve().parent / "fixtures" / "tei"


@pytest.fixture(scope="module")
def excerpt_index(tmp_path_factory):
    if not EXCERPT.exists():
        pytest.skip("../shared/fixtures is not beside this clone")
    root = tmp_path_factory.mktemp("tei")
    corpus = root / "corpus"
    corpus.mkdir()
    shutil.copy(EXCERPT, corpus)
    for seed in SEEDS.glob("*.txt"):
        shutil.copy(seed, corpus)
    (corpus / "jakarta.txt").write_text("Jakarta note\n\nGOI officials agreed today.\n", encoding="utf-8")
    report = build_index(corpus, root / "index")
    index = SearchIndex(root / "index")
    yield report, index
    index.close()


@pytest.mark.shared
def test_excerpt_documents(excerpt_index):
    report, index = excerpt_index
    assert report.documents == 6 and not report.skipped
    docs = {h.doc_id: h for h in index.search("kind:source", page_size=50).hits}
    assert sorted(docs) == [f"frus1951v07p2-d{i}" for i in (1, 2, 3, 4)]
    assert docs["frus1951v07p2-d4"].date == dt.date(1951, 1, 12)
    assert docs["frus1951v07p2-d4"].volume == "frus1951v07p2"


@pytest.mark.shared
def test_volume_list_of_abbreviations_is_used(excerpt_index):
    _, index = excerpt_index
    result = index.search('"Government of India"', page_size=50)
    assert result.total >= 3
    assert {h.doc_id for h in result.hits} == {"frus1951v07p2-d4"}
    assert all("<mark>GOI</mark>" in h.snippet for h in result.hits if "Government of India" not in h.text)
    assert "GOI" in result.also_matched
    # outside the volume GOI keeps its built-in, one-way meaning (India, Indonesia, Iran...):
    # the full form does not drag in another document's GOI, but GOI still finds it
    assert {h.doc_id for h in index.search("GOI", page_size=50).hits} == {"frus1951v07p2-d4", "jakarta"}


@pytest.mark.shared
def test_text_inside_hi_and_gloss_is_searchable_and_faceted(excerpt_index):
    _, index = excerpt_index
    assert any(h.doc_id == "frus1951v07p2-d4" for h in index.search('"Deptel 1047"').hits)
    assert index.search("Henderson", page_size=50).total >= 1
    both = index.search("armistice OR Tibet", page_size=50)
    assert dict(both.volumes).get("frus1951v07p2", 0) >= 1
    only = index.search("armistice OR Tibet", volume="frus1951v07p2", page_size=50)
    assert {h.volume for h in only.hits} == {"frus1951v07p2"}
    assert only.total < both.total


def test_small_tei_fixture_indexes(tmp_path):
    xml = sorted(MINI.glob("*.xml"))
    assert xml, "the TEI fixture is missing"
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for path in xml:
        shutil.copy(path, corpus)
    report = build_index(corpus, tmp_path / "index")
    assert report.documents >= 2 and not report.skipped
    index = SearchIndex(tmp_path / "index")
    first = index.search("kind:source", page_size=10).hits
    assert all(h.volume for h in first)
