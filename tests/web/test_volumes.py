"""The volume facet and search within one volume, in the page and the API."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from searchapp import create_app
from searchapp.indexer import build_index

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "fixtures" / "tei" / "frus1951mini.xml"


@pytest.fixture(scope="module")
def volume_client(tmp_path_factory):
    root = tmp_path_factory.mktemp("volumes")
    corpus = root / "corpus"
    corpus.mkdir()
    shutil.copy(MINI, corpus)
    for seed in (ROOT / "seeds").glob("*.txt"):
        shutil.copy(seed, corpus)
    build_index(corpus, root / "index")
    return create_app({"TESTING": True, "SEARCHAPP_INDEX": str(root / "index")}).test_client()


def test_api_reports_volumes_and_filters(volume_client):
    everything = volume_client.get("/api/search?q=Secretary").get_json()
    assert everything["volumes"] and all(count > 0 for count in everything["volumes"].values())
    volume = next(iter(everything["volumes"]))
    within = volume_client.get(f"/api/search?q=Secretary&volume={volume}&limit=100").get_json()
    assert within["total"] == everything["volumes"][volume] < everything["total"]
    assert {h["volume"] for h in within["hits"]} == {volume}


def test_page_links_each_volume_and_keeps_the_filter(volume_client):
    page = volume_client.get("/search?q=Secretary").get_data(as_text=True)
    assert 'aria-label="Volumes"' in page and "volume=frus" in page
    volume = page.split("volume=", 1)[1].split("&", 1)[0].split('"', 1)[0]
    filtered = volume_client.get(f"/search?q=Secretary&volume={volume}").get_data(as_text=True)
    assert "All volumes" in filtered
    assert f'name="volume" value="{volume}"' in filtered


def test_tei_italics_render_on_the_document_page(volume_client):
    page = volume_client.get("/doc/frus1951mini-d1").get_data(as_text=True)
    assert "<i>not</i>" in page


def test_italics_coexist_with_marks():
    from searchapp.abbreviations import AbbreviationTable
    from searchapp.highlight import MatchSpec, annotate, render

    text = "We shld not accept the Agence France Presse report."
    annotated = annotate(text, (), AbbreviationTable.builtin(), MatchSpec(terms=frozenset({"should", "agence"})), [(8, 11), (23, 43)])
    html = str(render(annotated))
    assert '<abbr title="should"><mark>shld</mark></abbr> <i>not</i>' in html
    assert "<mark><i>Agence</i></mark><i> France Presse</i>" in html


def test_glossary_shows_volume_lists_with_their_source(volume_client):
    page = volume_client.get("/abbreviations?q=GOI").get_data(as_text=True)
    assert "frus1951mini list of abbreviations" in page
    assert "built-in" in page  # the one-way built-in GOI is listed too
