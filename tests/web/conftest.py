"""Fixtures for the web app: a tiny corpus (a few telegrams, a hostile one, a copy of the
real seed) written to a temporary folder and indexed once per session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from searchapp import create_app
from searchapp.indexer import build_index

from ..conftest import write_corpus

ROOT = Path(__file__).resolve().parents[2]
SEED_ID = "000_543ec0455553e979"

WEB_TELEGRAMS = {
    "w1": """\
795.00/10–1551: Telegram

The Ambassador in Korea (Muccio) to the Secretary of State 1

secret priority

301. Sov Govt shld be told US will not accept NK proposal.2

FonOff informs Emb Brit Govt concurs re Deptel 224.

Muccio

  1. Repeated to London.
  2. See telegram 299.
""",
    "w2": """\
611.61/1–552: Telegram

The Secretary of State to the Embassy in the Soviet Union

confidential

12. Urtel 1003 recd. Chi Commie negotiators insist on 38th parallel.

Meeting of the commission postponed; the armistice talks are stalled.

Acheson
""",
    "evil": """\
100.1/2–253: Telegram

The Ambassador <script>alert(1)</script> to the Department {{ 7*7 }}

secret

5. Embassy received <script>alert(1)</script> and <img src=x onerror=alert(2)> in a note; {{ 7*7 }} and {% if true %}yes{% endif %} shld be shown as written.

Evilsender
""",
}


def write_web_corpus(folder: Path) -> Path:
    write_corpus(folder, WEB_TELEGRAMS)
    for seed in (ROOT / "seeds").glob("*.txt"):
        shutil.copy(seed, folder / seed.name)
    return folder


@pytest.fixture(scope="session")
def web_index(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("web")
    corpus = write_web_corpus(root / "corpus")
    build_index(corpus, root / "index")
    return root / "index"


@pytest.fixture
def app(web_index):
    app = create_app({"TESTING": True, "SEARCHAPP_INDEX": str(web_index)})
    yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner():
    """A click runner for the ``searchapp`` command (``serve`` is the web app's entry)."""
    return CliRunner()
