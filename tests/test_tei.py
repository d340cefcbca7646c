"""Tests of searchapp.tei: FRUS TEI volumes → Document values."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest

from searchapp.models import Document, Marker, Paragraph
from searchapp.tei import TeiError, read_tei_volume, read_volume_abbreviations, split_sender_recipient

FIXTURE = Path(__file__).parent / "fixtures" / "tei" / "frus1951mini.xml"
# ../shared beside the clone (CI has it; a user's clone may not)
EXCERPT = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "frus1951v07p2-excerpt.xml"

TERMS = (
    ("Deptel", "Department of State telegram"),
    ("GOI", "Government of India"),
    ("AFP", "Agence France Presse"),
    ("MDAP", "Mutual Defense Assistance Program; see GOI"),
)

EXPECTED = [
    Document(
        doc_id="frus1951mini-d1",
        title="The Ambassador in India (Henderson) to the Secretary of State",
        paragraphs=(
            Paragraph(1, "source", "791.00/1–1251: Telegram", ("100",)),
            Paragraph(2, "dateline", "New Delhi, January 12, 1951—9 p. m.", ("100",)),
            Paragraph(
                3,
                "body",
                "1691. Deptel 1047, January 6.3 Bajpai said GOI would not object to the [Page 101] proposal.",
                ("100", "101"),
                (Marker(29, 30, "footnote", "3"), Marker(71, 81, "page", "101")),
                emphasis=((53, 56),),  # <hi rend="italic">not</hi>
            ),
            Paragraph(4, "body", "Second paragraph, on page 101.", ("101",)),
            Paragraph(5, "signature", "Henderson", ("101",)),
            Paragraph(6, "footnote", "Repeated to London.", ("100",), label="2"),
            Paragraph(7, "footnote", "Not printed.", ("100",), label="3"),
        ),
        file_number="791.00/1–1251",
        doc_type="Telegram",
        date=dt.date(1951, 1, 12),
        classification="Top Secret",
        sender="The Ambassador in India (Henderson)",
        recipient="the Secretary of State",
        place="New Delhi",
        source_note="791.00/1–1251: Telegram",
        volume="frus1951mini",
        extra_abbreviations=TERMS,
    ),
    Document(
        doc_id="frus1951mini-d2",
        title="Memorandum of Conversation, by the Secretary of State",
        paragraphs=(
            Paragraph(1, "source", "Secretary’s Memoranda: Lot 53 D 444", ("102",)),
            Paragraph(2, "dateline", "Washington, January 14, 1951.", ("102",)),
            Paragraph(3, "body", "Participants: The Secretary; Ambassador Pandit.", ("102",)),
            Paragraph(4, "body", "1. Wheat for GOI.2\n2. Shipping.", ("102",), (Marker(17, 18, "footnote", "2"),)),
            Paragraph(5, "body", "Item | Tons\nWheat | 2,000,000", ("102",)),
            # a page break before the first word moves the page without a marker
            Paragraph(6, "body", "The Ambassador agreed.", ("103",)),
            Paragraph(7, "footnote", "Drafted on January 16.", ("102",), label="1"),
            Paragraph(8, "footnote", "See page 100.", ("102",), label="2"),
        ),
        file_number=None,
        doc_type="Memorandum of Conversation",
        date=dt.date(1951, 1, 15),  # frus:doc-dateTime-min wins over the dateline
        classification="Confidential",
        sender=None,
        recipient=None,
        place="Washington",
        source_note="Secretary’s Memoranda: Lot 53 D 444",
        volume="frus1951mini",
        extra_abbreviations=TERMS,
    ),
]


def assert_markers_consistent(doc: Document) -> None:
    for para in doc.paragraphs:
        for m in para.markers:
            expected = f"[Page {m.value}]" if m.kind == "page" else m.value
            assert para.text[m.start : m.end] == expected, (doc.doc_id, para.n, m)
        pages_in = [m.value for m in para.markers if m.kind == "page"]
        assert list(para.pages[len(para.pages) - len(pages_in) :]) == pages_in, (doc.doc_id, para.n)


# -- the small fixture -------------------------------------------------------------------
def test_fixture_documents_whole_values() -> None:
    assert list(read_tei_volume(FIXTURE)) == EXPECTED


def test_fixture_abbreviations() -> None:
    assert read_volume_abbreviations(FIXTURE) == list(TERMS)


def test_fixture_markers_consistent() -> None:
    for doc in read_tei_volume(FIXTURE):
        assert_markers_consistent(doc)


def test_volume_id_falls_back_to_file_stem(tmp_path: Path) -> None:
    text = FIXTURE.read_text(encoding="utf-8").replace(' xml:id="frus1951mini"', "", 1)
    path = tmp_path / "frus1999x.xml"
    path.write_text(text, encoding="utf-8")
    docs = list(read_tei_volume(path))
    assert [d.doc_id for d in docs] == ["frus1999x-d1", "frus1999x-d2"]
    assert {d.volume for d in docs} == {"frus1999x"}


@pytest.mark.parametrize(
    "title,expected",
    [
        ("The Ambassador in India (Henderson) to the Secretary of State",
         ("The Ambassador in India (Henderson)", "the Secretary of State")),
        ("The Secretary of State to the Embassy in India",
         ("The Secretary of State", "the Embassy in India")),
        ("Memorandum by the Joint Chiefs of Staff to the Secretary of Defense (Marshall)",
         ("the Joint Chiefs of Staff", "the Secretary of Defense (Marshall)")),
        ("Memorandum of Conversation, Prepared in the Department of State", (None, None)),
        ("Memorandum Prepared by the Central Intelligence Agency for the Senior Staff", (None, None)),
        ("Editorial Note", (None, None)),
    ],
)
def test_split_sender_recipient(title: str, expected: tuple[str | None, str | None]) -> None:
    assert split_sender_recipient(title) == expected


# -- errors ------------------------------------------------------------------------------
def test_non_xml_file_raises_tei_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "not-a-volume.xml"
    path.write_text("611.61/9–2151: Telegram\n\nThe Acting Secretary of State to ...\n", encoding="utf-8")
    with pytest.raises(TeiError, match="not-a-volume.xml"):
        list(read_tei_volume(path))
    with pytest.raises(TeiError, match="not-a-volume.xml"):
        read_volume_abbreviations(path)


def test_empty_file_raises_tei_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.xml"
    path.write_bytes(b"")
    with pytest.raises(TeiError, match="empty.xml"):
        list(read_tei_volume(path))


def test_xml_that_is_not_tei_raises_tei_error(tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    path.write_text('<?xml version="1.0"?><rss><channel/></rss>', encoding="utf-8")
    with pytest.raises(TeiError, match=r"feed\.xml.*not a TEI volume.*<rss>"):
        list(read_tei_volume(path))


def test_missing_file_raises_tei_error(tmp_path: Path) -> None:
    with pytest.raises(TeiError, match="nowhere.xml"):
        list(read_tei_volume(tmp_path / "nowhere.xml"))


def test_truncated_volume_yields_complete_documents_then_fails(tmp_path: Path) -> None:
    text = FIXTURE.read_text(encoding="utf-8")
    path = tmp_path / "truncated.xml"
    path.write_text(text[: text.index("Participants:")], encoding="utf-8")
    # the terms list comes before <body>: read without reaching the broken part
    assert read_volume_abbreviations(path) == list(TERMS)
    docs = read_tei_volume(path)
    assert next(docs) == EXPECTED[0]  # streamed: d1 is out before the parser reaches the damage
    with pytest.raises(TeiError, match=r"truncated\.xml.*not well-formed"):
        next(docs)


# -- the real excerpt (FRUS 1951 vol. VII part 2) ----------------------------------------
needs_excerpt = pytest.mark.skipif(not EXCERPT.exists(), reason=f"{EXCERPT} is not present")


@pytest.fixture(scope="module")
def excerpt_docs() -> list[Document]:
    return list(read_tei_volume(EXCERPT))


@pytest.mark.shared
@needs_excerpt
def test_excerpt_documents(excerpt_docs: list[Document]) -> None:
    assert [d.doc_id for d in excerpt_docs] == [f"frus1951v07p2-d{i}" for i in range(1, 5)]
    assert {d.volume for d in excerpt_docs} == {"frus1951v07p2"}
    assert [
        (d.date, d.place, d.classification, d.doc_type, d.file_number, d.sender, d.recipient)
        for d in excerpt_docs
    ] == [
        (dt.date(1951, 1, 2), "Washington", "Top Secret", "Memorandum", "794A.5/1–351",
         "the Joint Chiefs of Staff", "the Secretary of Defense (Marshall)"),
        (dt.date(1951, 1, 6), None, "Top Secret", "Memorandum of Conversation", None, None, None),
        (dt.date(1951, 1, 11), "Washington", "Secret", "Memorandum", None, None, None),
        (dt.date(1951, 1, 12), "New Delhi", "Top Secret", "Telegram", "793B.00/1–1251",
         "The Ambassador in India (Henderson)", "the Secretary of State"),
    ]
    assert excerpt_docs[0].title == (
        "Memorandum by the Joint Chiefs of Staff to the Secretary of Defense (Marshall)"
    )
    assert excerpt_docs[3].title == "The Ambassador in India (Henderson) to the Secretary of State"
    assert excerpt_docs[3].source_note == "793B.00/1–1251: Telegram"


@pytest.mark.shared
@needs_excerpt
def test_excerpt_paragraph_kinds(excerpt_docs: list[Document]) -> None:
    counts = [dict(Counter(p.kind for p in d.paragraphs)) for d in excerpt_docs]
    assert counts == [
        {"source": 1, "dateline": 1, "body": 2, "signature": 1, "footnote": 4},
        {"source": 1, "dateline": 1, "body": 171, "footnote": 39},
        {"source": 1, "dateline": 1, "body": 19, "footnote": 3},
        {"source": 1, "dateline": 1, "body": 13, "signature": 1, "footnote": 5},
    ]
    for doc in excerpt_docs:
        assert [p.n for p in doc.paragraphs] == list(range(1, len(doc.paragraphs) + 1))
        labels = [p.label for p in doc.paragraphs if p.kind == "footnote"]
        refs = [m.value for p in doc.paragraphs for m in p.markers if m.kind == "footnote"]
        assert len(labels) == len(set(labels))
        # every footnote but the one in the head is referenced by a marker in the text
        assert set(labels) - set(refs) <= {labels[0]}


@pytest.mark.shared
@needs_excerpt
def test_excerpt_abbreviations() -> None:
    terms = read_volume_abbreviations(EXCERPT)
    assert len(terms) == 220
    assert ("GOI", "Government of India") in terms
    assert terms[0] == ("AA", "anti-aircraft")
    assert ("AMC", "Additional Measures Committee (United Nations); see CAM") in terms


@pytest.mark.shared
@needs_excerpt
def test_excerpt_documents_carry_the_volume_terms(excerpt_docs: list[Document]) -> None:
    terms = tuple(read_volume_abbreviations(EXCERPT))
    assert all(d.extra_abbreviations == terms for d in excerpt_docs)


@pytest.mark.shared
@needs_excerpt
def test_excerpt_d4_text(excerpt_docs: list[Document]) -> None:
    d4 = excerpt_docs[3]
    assert any("GOI" in p.text for p in d4.paragraphs if p.kind == "body")
    p4 = d4.paragraphs[3]
    assert p4.text.startswith(
        "1. We have no first hand information re conditions Tibet. Recent Embtels contain reports "
        "from Indian press (Embtel 1648, January 82 [Page 1507] for example)"
    )
    assert p4.pages == ("1506", "1507")
    assert [m.kind for m in p4.markers] == ["footnote", "page", "footnote"]
    assert d4.paragraphs[-1] == Paragraph(
        21,
        "footnote",
        "Telegram 1015 to New Delhi stated that the Tibetan Delegation to the United Nations should "
        "be advised that application for visas for temporary entry into the United States could be "
        "made to the American Consulate General at Calcutta which had appropriate instructions "
        "(793B.00/12–2650). Telegram 1622 from New Delhi reported that the Embassy had sent an "
        "airmail letter to that effect to the Tibetan Delegation (793B.00/1–551).",
        ("1508",),
        label="5",
    )


@pytest.mark.shared
@needs_excerpt
def test_excerpt_pages(excerpt_docs: list[Document]) -> None:
    pages = {pg for d in excerpt_docs for p in d.paragraphs for pg in p.pages}
    assert pages == {str(n) for n in range(1474, 1509)}
    assert all(p.pages for d in excerpt_docs for p in d.paragraphs)


@pytest.mark.shared
@needs_excerpt
def test_excerpt_markers_consistent(excerpt_docs: list[Document]) -> None:
    total = Counter()
    for doc in excerpt_docs:
        assert_markers_consistent(doc)
        total.update(m.kind for p in doc.paragraphs for m in p.markers)
    # 51 document footnotes, 3 of them in heads (no marker); 34 page breaks inside the
    # documents, 7 of them between paragraphs of d2 (no marker)
    assert total == {"footnote": 48, "page": 27}


@pytest.mark.shared
@needs_excerpt
def test_excerpt_no_layout_whitespace(excerpt_docs: list[Document]) -> None:
    for doc in excerpt_docs:
        for p in doc.paragraphs:
            assert p.text == p.text.strip()
            assert "  " not in p.text and "( " not in p.text and " )" not in p.text
