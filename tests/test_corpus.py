"""The reader: the seed's parse pinned exactly, and variants of the page format."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from searchapp.corpus import (
    date_from_file_number,
    is_classification,
    parse_document,
    read_corpus,
    split_sender_recipient,
)

SEED = Path(__file__).resolve().parent.parent / "seeds" / "000_543ec0455553e979.txt"


@pytest.fixture(scope="module")
def seed():
    return parse_document("000_543ec0455553e979", SEED.read_text(encoding="utf-8"))


def test_seed_header(seed):
    assert seed.doc_id == "000_543ec0455553e979"
    assert seed.file_number == "611.61/9–2151"
    assert seed.doc_type == "Telegram"
    assert seed.date == dt.date(1951, 9, 21)
    assert seed.title == "The Acting Secretary of State to the Embassy in the Soviet Union"
    assert seed.sender == "The Acting Secretary of State"
    assert seed.recipient == "the Embassy in the Soviet Union"
    assert seed.classification == "top secret"


def test_seed_paragraphs(seed):
    kinds = [p.kind for p in seed.paragraphs]
    assert kinds == ["body"] * 10 + ["signature"] + ["footnote"] * 5
    assert [p.n for p in seed.paragraphs] == list(range(1, 17))
    assert seed.paragraphs[0].text == "225. For ur info only since not yet cleared by Def or fully in Dept."
    assert seed.paragraphs[10].text == "Webb"
    assert [p.label for p in seed.paragraphs[11:]] == ["1", "2", "3", "4", "5"]
    assert [p.pages for p in seed.paragraphs] == [
        ("971",), ("971",), ("971",), ("971", "972"), ("972",), ("972",), ("972", "973"), ("973",),
        ("973",), ("973",), ("973",),
        ("971",), ("971",), ("972",), ("973",), ("973",),
    ]


def test_seed_footnote_five_quotes_the_whole_message(seed):
    note = seed.paragraphs[-1]
    assert note.text.startswith("5. The Department sent the following message in telegram 511")
    assert "“For Bohlen. Please show Deptels 509 and 510 addressed SCAP for USPolAd" in note.text
    assert note.text.endswith("(Lot 55D128: Black Book, Tab 101)")


def test_seed_markers(seed):
    def markers(n):
        p = seed.paragraphs[n - 1]
        return [(m.kind, m.value, p.text[m.start:m.end]) for m in p.markers]

    assert markers(2) == [("footnote", "2", "2")]
    assert seed.paragraphs[1].text.endswith("fit.2")
    assert markers(4) == [("page", "972", "[Page 972]")]
    assert markers(7) == [("footnote", "3", "3"), ("page", "973", "[Page 973]")]
    assert markers(10) == [("footnote", "4", "4"), ("footnote", "5", "5")]
    # numbers that are not references stay words: Embtel 491, 38th, 1950, 2180
    assert all(not p.markers for p in seed.paragraphs if p.n in (1, 3, 5, 6, 8, 9, 11))


def test_source_text_is_verbatim(seed):
    raw = SEED.read_text(encoding="utf-8")
    for p in seed.paragraphs:
        if p.kind != "footnote":
            assert p.text in raw


@pytest.mark.parametrize(
    "file_number,expected",
    [
        ("611.61/9–2151", dt.date(1951, 9, 21)),
        ("795.00/10–1551", dt.date(1951, 10, 15)),
        ("795.00/1-551", dt.date(1951, 1, 5)),
        ("795B.5/12–3150", dt.date(1950, 12, 31)),
        ("611.61/13–4051", None),
        ("Lot 55D128", None),
    ],
)
def test_date_from_file_number(file_number, expected):
    assert date_from_file_number(file_number) == expected


@pytest.mark.parametrize(
    "title,sender,recipient",
    [
        ("The Ambassador in Korea (Muccio) to the Secretary of State", "The Ambassador in Korea (Muccio)", "the Secretary of State"),
        (
            "The Special Assistant to the Secretary of State (Battle) to the Ambassador in France (Bruce)",
            "The Special Assistant to the Secretary of State (Battle)",
            "the Ambassador in France (Bruce)",
        ),
        ("Memorandum by the Secretary of State to the President", "the Secretary of State", "the President"),
        (
            "Memorandum by the Joint Chiefs of Staff to the Secretary of Defense (Marshall)",
            "the Joint Chiefs of Staff",
            "the Secretary of Defense (Marshall)",
        ),
        ("Telegram From the Embassy in Japan to the Department of State", "the Embassy in Japan", "the Department of State"),
        ("Memorandum of Conversation, by the Director of the Office of Chinese Affairs (Clubb)", None, None),
        ("Editorial Note", None, None),
    ],
)
def test_sender_recipient(title, sender, recipient):
    assert split_sender_recipient(title) == (sender, recipient)


@pytest.mark.parametrize(
    "line,expected",
    [("top secret", True), ("Secret Priority", True), ("confidential niact", True), ("restricted", True),
     ("official use only", True), ("Webb", False), ("secret talks were held", False), ("top", False)],
)
def test_classification(line, expected):
    assert is_classification(line) is expected


MEMCON = """\
793.00/1–551: Memorandum of Conversation

Memorandum of Conversation, by the Director of the Office of Chinese Affairs (Clubb) 1

secret

[Washington,] January 5, 1951.

Participants: Mr. Clubb, Mr. Koo.

The Ambassador said that the ChiNat Govt wld welcome any sign of US support.2

  1. Drafted by Mr. Clubb.
  2. See telegram 1052, supra.
"""


def test_memorandum_of_conversation():
    doc = parse_document("memcon", MEMCON)
    assert doc.doc_type == "Memorandum of Conversation"
    assert doc.title == "Memorandum of Conversation, by the Director of the Office of Chinese Affairs (Clubb)"
    assert (doc.sender, doc.recipient) == (None, None)
    assert doc.date == dt.date(1951, 1, 5)
    assert doc.classification == "secret"
    assert [p.kind for p in doc.paragraphs] == ["body", "body", "body", "footnote", "footnote"]
    assert [(m.kind, m.value) for m in doc.paragraphs[2].markers] == [("footnote", "2")]


NO_FOOTNOTES = """\
795.00/7–1051: Telegram

The Ambassador in Korea (Muccio) to the Secretary of State

confidential

25. Talks opened Kaesong today. NK dels insisted 38th parallel.

No agmt reached on agenda.

Muccio
"""


@pytest.mark.parametrize(
    "transform",
    [
        pytest.param(lambda s: s, id="plain"),
        pytest.param(lambda s: s.replace("–", "-"), id="hyphen-dash"),
        pytest.param(lambda s: s.replace("\n", "\r\n"), id="crlf"),
        pytest.param(lambda s: "\ufeff" + s, id="bom"),
    ],
)
def test_no_footnotes_and_variants(transform):
    doc = parse_document("t", transform(NO_FOOTNOTES))
    assert doc.file_number in ("795.00/7–1051", "795.00/7-1051")
    assert doc.date == dt.date(1951, 7, 10)
    assert doc.title == "The Ambassador in Korea (Muccio) to the Secretary of State"
    assert doc.sender == "The Ambassador in Korea (Muccio)"
    assert doc.classification == "confidential"
    assert [(p.kind, p.text) for p in doc.paragraphs] == [
        ("body", "25. Talks opened Kaesong today. NK dels insisted 38th parallel."),
        ("body", "No agmt reached on agenda."),
        ("signature", "Muccio"),
    ]
    assert all(not p.markers for p in doc.paragraphs)


def test_free_text_file_still_indexes():
    doc = parse_document("notes", "Some notes on the talks\nwith a second line.\n\nAnother block here.\n")
    assert doc.title == "Some notes on the talks"
    assert [p.text for p in doc.paragraphs] == ["Some notes on the talks\nwith a second line.", "Another block here."]
    assert doc.file_number is None and doc.date is None


def test_read_corpus_reports_skipped_files(tmp_path):
    (tmp_path / "a.txt").write_text(NO_FOOTNOTES, encoding="utf-8")
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    (tmp_path / "notes.md").write_text("# not a telegram", encoding="utf-8")
    (tmp_path / "bin.txt").write_bytes(bytes(range(256)) * 10)
    (tmp_path / "bad name!.txt").write_text("x", encoding="utf-8")
    scan = read_corpus(tmp_path)
    assert [d.doc_id for d in scan.documents] == ["a"]
    reasons = {s.path: s.reason for s in scan.skipped}
    assert set(reasons) == {"empty.txt", "notes.md", "bin.txt", "bad name!.txt"}
    assert "empty" in reasons["empty.txt"]
    assert "binary" in reasons["bin.txt"]
