"""The array evaluator agrees with Whoosh's own matchers: same matches, same scores, same order.

Both paths of ``SearchIndex`` run on the labelled evaluation corpus (35 telegrams), on its
queries and on query forms of every kind, and again after an incremental update (deleted
documents still in the segments).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from whoosh import query as wq

from searchapp.evaluate import GenerationArrays, Unsupported, evaluate
from searchapp.indexer import build_index
from searchapp.schema import FIELD_B
from searchapp.search import SearchIndex, _with_title_boost, parse_date, prepare

EVAL_CORPUS = Path(__file__).parent / "eval" / "corpus"
QUERIES_FILE = Path(__file__).parent / "eval" / "queries.tsv"

EXTRA_QUERIES = [
    "embassy", "Embassy AND NOT Soviet", "embassy -soviet", "govt OR minister", "negot*", "Sov*",
    "title:korea", "title:korea embassy", "kind:footnote", "kind:footnote Department",
    "(shld OR wld) Secy", '"North Korean" forces', "Sov Govt shld", '"armistice line"',
    '"your telegram"', '"the Embassy"', '"Foreign Minister said"', '"Soviet Government"~3',
    "sender:Acheson", "from:Kennan", "recipient:Department", "GOI", "Government of India",
    "zzzzunknown", "Deptel OR Embtel OR urtel", "NOT embassy", "mil polit econ",
]


def _queries() -> list[str]:
    lines = QUERIES_FILE.read_text(encoding="utf-8").splitlines()[1:]
    from_file = [line.split("\t")[0] for line in lines if line.strip()]
    return list(dict.fromkeys(from_file + EXTRA_QUERIES))


@pytest.fixture(scope="module")
def eval_index(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("evaluate")
    build_index(EVAL_CORPUS, root / "index")
    return root / "index"


@pytest.fixture(scope="module")
def updated_index(tmp_path_factory) -> Path:
    """The corpus built, then three files changed and one removed: incremental."""
    root = tmp_path_factory.mktemp("evaluate-updated")
    corpus = root / "corpus"
    shutil.copytree(EVAL_CORPUS, corpus)
    build_index(corpus, root / "index")
    files = sorted(corpus.glob("*.txt"))
    for f in files[:3]:
        f.write_text(f.read_text(encoding="utf-8").replace("Embassy", "Embassy Embassy"), encoding="utf-8")
    files[3].unlink()
    report = build_index(corpus, root / "index")
    assert report.mode == "incremental"
    return root / "index"


def _both(index: SearchIndex, text: str, sort: str = "relevance", limit: int = 50,
          start: str | None = None, end: str | None = None):
    state = index._current_state()
    searcher = index.searcher()
    prepared = prepare(text, state[3], searcher.schema, searcher.reader(), state[5])
    q = _with_title_boost(prepared.query)
    args = (searcher, q, sort, limit, parse_date(start), parse_date(end, end=True), None)
    arrays = index._run_arrays(state[0], *args)
    whoosh = index._run_whoosh(*args)
    return q, arrays, whoosh


def _assert_same(q, arrays, whoosh, sort: str, text: str = "") -> None:
    (ranked_a, matched_a), (ranked_w, matched_w) = arrays, whoosh
    assert sorted(matched_a.tolist()) == sorted(matched_w.tolist())
    assert len(ranked_a) == len(ranked_w)
    if sort != "relevance":
        assert [d for d, _ in ranked_a] == [d for d, _ in ranked_w]
    else:
        for (doc_a, score_a), (doc_w, score_w) in zip(ranked_a, ranked_w):
            assert score_a == pytest.approx(score_w, rel=1e-9), (text, q)
            if doc_a != doc_w:  # only a tie may be ordered otherwise
                assert dict(ranked_w).get(doc_a) == pytest.approx(score_a, rel=1e-9)


@pytest.mark.parametrize("which", ["eval_index", "updated_index"])
def test_arrays_and_whoosh_agree_on_every_query(which, request):
    index_dir = request.getfixturevalue(which)
    handled = unsupported = 0
    with SearchIndex(index_dir) as index:
        for text in _queries():
            try:
                q, arrays, whoosh = _both(index, text)
            except Unsupported:
                unsupported += 1
                continue
            except Exception as exc:  # a query the rewriter refuses is refused on both paths
                assert exc.__class__.__name__ == "QueryError", (text, exc)
                continue
            handled += 1
            _assert_same(q, arrays, whoosh, "relevance", text)
    assert handled >= 50 and unsupported <= 2, (handled, unsupported)


def test_updated_index_really_has_deleted_documents(updated_index):
    with SearchIndex(updated_index) as index:
        readers = [sub.reader() for sub, _ in index.searcher().leaf_searchers()]
        assert any(r.has_deletions() for r in readers)


@pytest.mark.parametrize("sort", ["date", "-date"])
@pytest.mark.parametrize("text", ["embassy", "Govt", "negots OR negotiations", "shld"])
def test_date_order_and_date_ranges_agree(eval_index, text, sort):
    with SearchIndex(eval_index) as index:
        q, arrays, whoosh = _both(index, text, sort=sort, limit=200)
        assert len(arrays[0]) > 3
        _assert_same(q, arrays, whoosh, sort)
        q, arrays, whoosh = _both(index, text, sort=sort, start="1950-07", end="1951-06-30")
        _assert_same(q, arrays, whoosh, sort)


@pytest.mark.parametrize("few", [0, 10_000])  # positions as arrays / Whoosh's phrase matcher
@pytest.mark.parametrize("words, slop, found", [
    (["soviet", "government"], 1, True), (["the", "soviet", "government"], 1, True), (["soviet", "government"], 3, True),
    (["government", "soviet"], 1, False), (["the", "embassy", "telegram"], 1, True), (["embassy", "shld"], 5, True),
    (["north", "korean", "forces"], 1, True), (["of", "the"], 1, True), (["of", "the", "embassy"], 2, False),
    (["the", "the"], 1, False), (["embassy", "telegram"], 1, True), (["department", "telegram"], 1, True),
])
def test_phrases_match_exactly_what_whoosh_matches(eval_index, updated_index, words, slop, found, few, monkeypatch):
    import searchapp.evaluate as evaluate_module

    monkeypatch.setattr(evaluate_module, "FEW_CANDIDATES", few)
    for index_dir in (eval_index, updated_index):
        with SearchIndex(index_dir) as index:
            searcher = index.searcher()
            arrays = GenerationArrays(searcher, FIELD_B)
            phrase = wq.Phrase("text", words, slop=slop)
            matched = evaluate(phrase, searcher, arrays)
            assert matched.ids.tolist() == sorted(searcher.docs_for_query(phrase))
            if index_dir == eval_index:
                assert bool(len(matched)) is found


def test_positions_are_read_back_as_the_analyzer_placed_them(eval_index):
    with SearchIndex(eval_index) as index:
        searcher = index.searcher()
        arrays = GenerationArrays(searcher, FIELD_B)
        positions = arrays.positions(searcher, "the")
        assert len(positions.ids) == searcher.doc_frequency("text", "the")
        doc = int(positions.ids[0])
        mine = positions.positions[positions.starts[0]:positions.starts[1]].tolist()
        vector = [p for p in searcher.postings("text", "the").items_as("positions") if p[0] == doc][0][1]
        assert mine == list(vector)


def test_the_cache_keeps_long_postings_only(eval_index, monkeypatch):
    import searchapp.evaluate as evaluate_module

    monkeypatch.setattr(evaluate_module, "CACHE_MIN_POSTINGS", 5)
    with SearchIndex(eval_index) as index:
        searcher = index.searcher()
        arrays = GenerationArrays(searcher, FIELD_B)
        common = arrays.postings(searcher, "text", "the")
        rare = arrays.postings(searcher, "text", "acheson")
        assert len(common) >= 5 > len(rare)
        assert arrays.postings(searcher, "text", "the") is common  # from the cache
        assert arrays.postings(searcher, "text", "acheson") is not rare  # read again
        assert np.all(np.diff(common.ids) > 0)


@pytest.mark.parametrize("small_size, big_size", [(0, 10), (5, 1000), (300, 1000), (1000, 1000), (3, 0)])
def test_common_ids_by_lookup_or_by_sorting_agree(small_size, big_size):
    from searchapp.evaluate import _common

    rng = np.random.default_rng(small_size * 7 + big_size)
    small = np.unique(rng.integers(0, 3000, small_size))
    big = np.unique(rng.integers(0, 3000, big_size))
    ia, ib = _common(small, big)
    expected = np.intersect1d(small, big)
    assert small[ia].tolist() == big[ib].tolist() == expected.tolist()


def test_threads_sharing_one_index_get_the_answers_of_one_thread(eval_index, monkeypatch):
    """Threads start cold together (one read per uncached term, evaluations limited to the
    cores, docnum maps built once) and still get exactly the sequential answers."""
    import threading

    import searchapp.evaluate as evaluate_module

    monkeypatch.setattr(evaluate_module, "CACHE_MIN_POSTINGS", 2)  # cache the eval corpus's words
    queries = _queries()[:30]
    with SearchIndex(eval_index) as sequential:
        expected = {q: _answer(sequential, q) for q in queries}
    with SearchIndex(eval_index) as shared:
        start = threading.Barrier(8)
        got: list[dict] = []
        errors: list[BaseException] = []

        def worker(offset: int) -> None:
            start.wait()
            try:
                got.append({q: _answer(shared, q) for q in queries[offset:] + queries[:offset]})
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=worker, args=(i * 3,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        assert len(got) == 8 and all(answers == expected for answers in got)
        assert shared._arrays[1]._cache and not shared._arrays[1]._reading


def _answer(index: SearchIndex, text: str):
    try:
        result = index.search(text, page_size=20)
    except Exception as exc:  # noqa: BLE001 - a refused query is an answer too
        return type(exc).__name__
    return result.total, result.documents, [(h.para_id, h.score) for h in result.hits]
