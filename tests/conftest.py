"""Shared fixtures: a small world of telegrams written to a temporary folder and indexed."""

from __future__ import annotations

from pathlib import Path

import pytest

from searchapp.indexer import build_index
from searchapp.search import SearchIndex

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SHARED = ROOT.parent / "shared"

# Telegrams written for the tests (not copies of the seed). Each paragraph states one
# concept either abbreviated or in full, so matches can be asserted exactly.
TELEGRAMS = {
    "t1": """\
795.00/10–1551: Telegram

The Ambassador in Korea (Muccio) to the Secretary of State 1

secret priority

301. Sov Govt shld be told US will not accept NK proposal.2

FonOff informs Emb Brit Govt concurs re Deptel 224.

The Soviet Government should understand our position on the armistice line.

Muccio

  1. Repeated to London.
  2. See telegram 299.
""",
    "t2": """\
611.61/1–552: Telegram

The Secretary of State to the Embassy in the Soviet Union

confidential

12. Urtel 1003 recd. Chi Commie negotiators insist on 38th parallel.

Chinese Communist delegation walked out of mtg yesterday.

Meeting of the commission postponed; us and them both uncertain.

A–123 of May 5 gives details of the polit and mil sitn.

Acheson
""",
    "t3": """\
751G.00/3–1053: Telegram

The Chargé in Indonesia (Cumming) to the Department of State

restricted

Embassy telegram 88 described the negotiations; Gen Bradley shld not be told.

The general offensive was not expected; GOI officials informed us of negots.

Government of India note handed over today.

Cumming
""",
}


def write_corpus(folder: Path, docs: dict[str, str] = TELEGRAMS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for doc_id, text in docs.items():
        (folder / f"{doc_id}.txt").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def small_index(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("small")
    corpus = write_corpus(root / "corpus")
    build_index(corpus, root / "index")
    return root / "index"


@pytest.fixture
def searcher(small_index):
    index = SearchIndex(small_index)
    yield index
    index.close()


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("seed")
    build_index(SEEDS, root / "index")
    return root / "index"
