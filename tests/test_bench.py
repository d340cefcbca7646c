"""The benchmark: a deterministic generator in the reader's format, and a JSON report
with every key issue 6 asks for (no timing is asserted)."""

from __future__ import annotations

import json

import pytest

from searchapp.bench import generate_corpus, percentile, run_bench
from searchapp.corpus import read_corpus

REQUIRED_KEYS = {
    "paragraphs", "build_paragraphs_per_s", "baseline_build_paragraphs_per_s", "build_ratio",
    "query_p50_ms", "query_p95_ms", "query_p99_ms",
    "baseline_query_p50_ms", "baseline_query_p95_ms", "baseline_query_p99_ms", "query_p95_ratio",
    "index_mb", "baseline_index_mb", "peak_rss_mb", "baseline_peak_rss_mb",
    "query_p95_ms_by_class", "baseline_query_p95_ms_by_class", "targets", "targets_met",
}
CLASSES = {"rare", "common", "and", "phrase", "abbreviation", "multiword", "wildcard", "date"}


def _files(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.txt"))}


def test_same_seed_same_files(tmp_path):
    a = generate_corpus(tmp_path / "a", 400)
    b = generate_corpus(tmp_path / "b", 400)
    assert _files(a.folder) == _files(b.folder)
    assert (a.files, a.page_markers, a.footnote_markers, a.rare_words) == (b.files, b.page_markers, b.footnote_markers, b.rare_words)


def test_other_seed_other_files(tmp_path):
    a = generate_corpus(tmp_path / "a", 200, seed=1)
    b = generate_corpus(tmp_path / "b", 200, seed=2)
    assert _files(a.folder) != _files(b.folder)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    corpus = generate_corpus(tmp_path_factory.mktemp("gen") / "corpus", 600)
    return corpus, read_corpus(corpus.folder)


def test_reader_finds_every_paragraph(generated):
    corpus, scan = generated
    assert scan.skipped == []
    assert len(scan.documents) == corpus.files
    assert sum(len(d.paragraphs) for d in scan.documents) == corpus.paragraphs == 600


def test_reader_finds_the_layout(generated):
    _, scan = generated
    for doc in scan.documents:
        assert doc.doc_type == "Telegram"
        assert doc.title.endswith("to the Secretary of State")
        assert doc.sender and doc.recipient == "the Secretary of State"
        assert doc.classification
        assert 1945 <= doc.date.year <= 1960
        kinds = [p.kind for p in doc.paragraphs]
        assert kinds == sorted(kinds, key=["body", "signature", "footnote"].index)
        assert "signature" in kinds
        assert [p.label for p in doc.paragraphs if p.kind == "footnote"] == [str(i) for i in range(1, kinds.count("footnote") + 1)]


def test_reader_finds_the_markers(generated):
    corpus, scan = generated
    pages = footnotes = 0
    for doc in scan.documents:
        for p in doc.paragraphs:
            if p.kind == "body":
                pages += sum(m.kind == "page" for m in p.markers)
                footnotes += sum(m.kind == "footnote" for m in p.markers)
                assert 40 <= len(p.text.split()) <= 200
    assert pages == corpus.page_markers > 0
    assert footnotes == corpus.footnote_markers > 0


def test_percentile_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert [percentile(values, p) for p in (50, 95, 99, 100)] == [50.0, 95.0, 99.0, 100.0]
    assert percentile([], 95) == 0.0


def test_run_bench_json_last_line(tmp_path):
    lines: list[str] = []
    run_bench(paragraphs=300, queries=16, workdir=tmp_path, as_json=True, echo=lines.append)
    report = json.loads(lines[-1])
    assert REQUIRED_KEYS <= set(report)
    assert report["paragraphs"] == report["indexed_paragraphs"] == report["baseline_indexed_paragraphs"] == 300
    assert set(report["query_p95_ms_by_class"]) == set(report["baseline_query_p95_ms_by_class"]) == CLASSES
    assert set(report["targets_met"]) == {"build_ratio", "query_p95_ms", "query_p95_ratio"}
    assert any("paragraphs/s" in line for line in lines[:-1])
    # the first run of each query (nothing cached) is reported beside the steady state
    assert report["first_query_p50_ms"] > 0 and report["baseline_first_query_max_ms"] > 0
    assert any(line.startswith("first run of each") for line in lines[:-1])
