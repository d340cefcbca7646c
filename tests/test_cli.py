"""The command line and its JSON contract, on the real seed and on a small world."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from searchapp.cli import main
from searchapp.indexer import IndexNotBuilt, current_generation

from .conftest import SEEDS, write_corpus

HIT_FIELDS = {"doc_id", "para_id", "n", "kind", "page", "title", "date", "score", "text", "snippet", "url", "abbreviations"}
SEED_ID = "000_543ec0455553e979"


@pytest.fixture(scope="module")
def seed_cli_index(tmp_path_factory):
    index = tmp_path_factory.mktemp("cli") / "index"
    result = CliRunner().invoke(main, ["build", "--corpus", str(SEEDS), "--index", str(index)])
    assert result.exit_code == 0, result.output
    assert "Indexed 1 documents, 16 paragraphs from 1 files" in result.output
    return index


def search_json(index, *args):
    result = CliRunner().invoke(main, ["search", "--index", str(index), "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output.strip().splitlines()[-1])


def test_armistice_json_contract(seed_cli_index):
    out = search_json(seed_cli_index, "armistice")
    assert out["query"] == "armistice"
    assert out["total"] == 8
    hit = out["hits"][0]
    assert HIT_FIELDS <= set(hit)
    for hit in out["hits"]:
        assert hit["doc_id"] == SEED_ID
        assert hit["date"] == "1951-09-21"
        assert hit["title"] == "The Acting Secretary of State to the Embassy in the Soviet Union"
        assert hit["url"] == f"/doc/{SEED_ID}#p{hit['n']}"
        assert hit["para_id"] == f"{SEED_ID}#p{hit['n']}"
        assert hit["kind"] == "body"
        assert isinstance(hit["page"], int) and 971 <= hit["page"] <= 973
        assert "<mark>" in hit["snippet"] and "armistice" in hit["text"].lower()
    assert [h["score"] for h in out["hits"]] == sorted((h["score"] for h in out["hits"]), reverse=True)


def test_fit_finds_the_paragraph_with_its_footnote_marker(seed_cli_index):
    out = search_json(seed_cli_index, "fit")
    assert [(h["n"], h["text"].endswith("fit.2")) for h in out["hits"]] == [(2, True)]
    assert out["hits"][0]["snippet"].endswith('<mark>fit</mark>.<sup class="fnref">2</sup>')


@pytest.mark.parametrize("query", ["972", "973", "Page"])
def test_page_markers_are_not_words(seed_cli_index, query):
    assert search_json(seed_cli_index, query)["total"] == 0


def test_footnotes_are_separate_paragraphs(seed_cli_index):
    out = search_json(seed_cli_index, "Bohlen")
    assert [(h["n"], h["kind"], h["page"]) for h in out["hits"]] == [(16, "footnote", 973)]
    assert "Please show Deptels 509 and 510" in out["hits"][0]["text"]


def test_vyshinsky(seed_cli_index):
    assert search_json(seed_cli_index, "Vyshinsky")["total"] >= 3


@pytest.mark.parametrize(
    "query,forms",
    [
        ("should", {"shld", "Shld"}),
        ('"Soviet Government"', {"Sov Govt"}),
        ("Chinese Communist", {"Chi Commie"}),
        ("North Korean", {"NK", "North Korean"}),
        ('"Embassy telegram"', {"Embtel"}),
    ],
)
def test_seed_abbreviations_are_found_and_marked(seed_cli_index, query, forms):
    import re

    out = search_json(seed_cli_index, "--limit", "50", query)
    marked = {re.sub(r"<[^>]+>", "", m) for h in out["hits"] for m in re.findall(r"<mark>(.*?)</mark>", h["snippet"])}
    assert forms <= marked
    abbreviated = [h for h in out["hits"] if any(f in h["text"] for f in forms - {"North Korean"})]
    assert abbreviated
    for h in abbreviated:
        assert h["abbreviations"], h["text"][:60]


def test_batch_is_json_lines_in_order(seed_cli_index, tmp_path):
    queries = tmp_path / "q.txt"
    queries.write_text('armistice\nshld\n"unbalanced\n*\nVyshinsky\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["search", "--index", str(seed_cli_index), "--json", "--limit", "200", "--batch", str(queries)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.strip().splitlines()]
    assert [line["query"] for line in lines] == ["armistice", "shld", '"unbalanced', "*", "Vyshinsky"]
    assert lines[0]["total"] == 8 and lines[1]["total"] > 0
    assert lines[3]["total"] == 0 and "error" in lines[3]


def test_readable_output(seed_cli_index):
    result = CliRunner().invoke(main, ["search", "--index", str(seed_cli_index), "Soviet Government should"])
    assert result.exit_code == 0
    assert "paragraphs in 1 documents" in result.output
    also = next(line for line in result.output.splitlines() if line.startswith("Also matched: "))
    assert {"Sov Govt", "shld"} <= set(also.removeprefix("Also matched: ").split(", "))
    assert f"/doc/{SEED_ID}#p" in result.output


def test_missing_index_says_what_to_run(tmp_path):
    result = CliRunner().invoke(main, ["search", "--index", str(tmp_path / "nothing"), "x"])
    assert result.exit_code == 1
    assert "Error: no index at" in result.output and "searchapp build" in result.output


def test_build_reports_skipped_files(tmp_path):
    corpus = write_corpus(tmp_path / "corpus")
    (corpus / "image.png").write_bytes(b"\x89PNG\r\n")
    (corpus / "empty.txt").write_text("")
    result = CliRunner().invoke(main, ["build", "--corpus", str(corpus), "--index", str(tmp_path / "ix")])
    assert result.exit_code == 0, result.output
    assert "Indexed 3 documents" in result.output
    assert "image.png: not a .txt or .xml file (.png)" in result.output
    assert "empty.txt: empty file" in result.output


def test_rebuild_switches_generation_and_keeps_previous(tmp_path):
    corpus = write_corpus(tmp_path / "corpus")
    index = tmp_path / "ix"
    runner = CliRunner()
    gens = []
    for _ in range(3):
        assert runner.invoke(main, ["build", "--full", "--corpus", str(corpus), "--index", str(index)]).exit_code == 0
        gens.append(current_generation(index).name)
    assert len(set(gens)) == 3
    assert sorted(p.name for p in index.glob("gen-*")) == sorted(gens[1:])


def test_user_abbreviations_and_staleness(tmp_path):
    corpus = write_corpus(tmp_path / "corpus", {"x": "Title line\n\nThe Kremlinbd met today.\n"})
    extra = tmp_path / "mine.tsv"
    extra.write_text("form\texpansion\tkind\tcase\tmatch\tnote\nKremlinbd\tKremlin board\tother\tany\tboth\tmine\n", encoding="utf-8")
    index = tmp_path / "ix"
    runner = CliRunner()
    assert runner.invoke(main, ["build", "--corpus", str(corpus), "--index", str(index), "--abbreviations", str(extra)]).exit_code == 0
    out = search_json(index, "--abbreviations", str(extra), '"Kremlin board"')
    assert out["total"] == 1
    stale = runner.invoke(main, ["search", "--index", str(index), "Kremlin"])
    assert "Warning: the abbreviation dictionary changed" in stale.output


def test_abbreviations_glossary():
    result = CliRunner().invoke(main, ["abbreviations", "--json"])
    assert result.exit_code == 0
    entries = json.loads(result.output)
    assert len(entries) >= 400
    shld = next(e for e in entries if e["form"] == "shld")
    assert shld["expansion"] == "should" and shld["match"] == "both"


def test_index_errors_are_named():
    with pytest.raises(IndexNotBuilt):
        current_generation(SEEDS / "no-index-here")
