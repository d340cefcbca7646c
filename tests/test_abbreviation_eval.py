"""Labelled evaluation of abbreviation matching in both directions.

Data: ``tests/eval/corpus/*.txt`` (short telegrams in the history.state.gov text format) and
``tests/eval/queries.tsv`` (``query  form_a  form_b  note``). ``form_a`` lists the abbreviated
forms of one concept, ``form_b`` its full forms, each a ``|``-separated list of regexes matched
case-insensitively and word-bounded (a space in a form matches any run of whitespace).

The ground truth is computed here from the corpus text with those patterns, never hand-listed:
a body paragraph is relevant to a query when it matches ``form_a`` or ``form_b``.  A query is an
*abbreviation query* when it (without quotes) is itself a ``form_a`` form, otherwise a *full-form
query*.  Metrics, over all queries:

- ``recall_abbrev_only``: full-form queries; relevant paragraphs that contain only the
  abbreviation (form_a and not form_b) and are returned;
- ``recall_full_only``: abbreviation queries; paragraphs with only the full form, returned;
- ``precision_at_10``: top-10 hits whose text contains form_a or form_b;
- ``mark_rate``: hits whose text contains only the abbreviation and whose snippet has a
  ``<mark>`` containing (inner tags stripped, adjacent marks joined) a form_a match.

The search runs through the CLI (``build`` then ``search --batch --json``), exactly as an
outside evaluator would run it.
"""

from __future__ import annotations

import csv
import html
import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

EVAL_DIR = Path(__file__).parent / "eval"
CORPUS_DIR = EVAL_DIR / "corpus"
QUERIES_FILE = EVAL_DIR / "queries.tsv"

RECALL_FLOOR = 0.9
PRECISION_AT_10_FLOOR = 0.85
MARK_RATE_FLOOR = 0.9
MIN_PARAGRAPHS_PER_SIDE = 3


# --------------------------------------------------------------------------- data set


def normalize(text: str) -> str:
    """Key for comparing a hit's text with a corpus paragraph."""
    text = unicodedata.normalize("NFC", text)
    text = re.sub(r"\s+", " ", text).strip()
    return re.sub(r"^[0-9]+\.\s+", "", text)  # the message number may or may not be kept


def _loose(text: str) -> str:
    """Fallback key: without page markers, glued footnote markers and punctuation."""
    text = re.sub(r"\[Page\s+\w+\]", " ", normalize(text))
    text = re.sub(r"(?<=[A-Za-z.,;:)’”])[0-9]{1,2}(?=[\s.,;:)’”]|$)", "", text)
    return re.sub(r"[^0-9a-z]+", " ", text.lower()).strip()


def compile_forms(forms: str) -> re.Pattern[str]:
    alternatives = []
    for form in forms.split("|"):
        form = form.strip()
        assert form, f"empty alternative in {forms!r}"
        alternatives.append(form.replace(" ?", r"\s*").replace(" ", r"\s+"))
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.IGNORECASE)


@dataclass(frozen=True)
class Paragraph:
    doc_id: str
    n: int  # 1-based position among the body paragraphs of the file (this test's numbering)
    text: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.doc_id, normalize(self.text))

    def show(self) -> str:
        return f"{self.doc_id}#{self.n}: {normalize(self.text)[:80]}"


@dataclass
class Document:
    doc_id: str
    heading: str
    classification: str
    paragraphs: list[Paragraph]
    signature: str
    footnotes: list[str]


@dataclass(frozen=True)
class Query:
    query: str
    form_a: re.Pattern[str]
    form_b: re.Pattern[str]
    note: str

    @property
    def direction(self) -> str:
        """``abbrev`` when the query is itself an abbreviated form, ``full`` otherwise."""
        bare = self.query.strip().strip('"').strip()
        if self.form_a.fullmatch(bare):
            return "abbrev"
        if self.form_b.fullmatch(bare):
            return "full"
        raise AssertionError(f"query {self.query!r} matches neither its form_a nor its form_b")

    def side(self, text: str) -> str:
        """``a`` (abbreviation only), ``b`` (full form only), ``ab`` (both) or ``""``."""
        return ("a" if self.form_a.search(text) else "") + ("b" if self.form_b.search(text) else "")


_FILE_LINE = re.compile(r"^\S.*: Telegram$")
_FOOTNOTE = re.compile(r"^  [0-9]+\. ")


def parse_file(path: Path) -> Document:
    """Split one corpus file into heading, classification, body paragraphs, signature, notes."""
    raw = unicodedata.normalize("NFC", path.read_text(encoding="utf-8"))
    blocks = [b.strip("\n") for b in re.split(r"\n[ \t]*\n", raw.strip("\n")) if b.strip()]
    assert len(blocks) >= 5, f"{path.name}: too few blocks"
    assert _FILE_LINE.match(blocks[0]), f"{path.name}: bad file-number line {blocks[0]!r}"
    assert re.search(r" 1$", blocks[1]), f"{path.name}: heading without footnote marker"
    tail = blocks[-1].split("\n")
    signature, notes = tail[0], tail[1:]
    assert notes and all(_FOOTNOTE.match(n) or n.startswith("    ") for n in notes), path.name
    assert len(signature.split()) <= 3 and not signature.endswith("."), f"{path.name}: {signature!r}"
    body = blocks[3:-1]
    assert re.match(r"^[0-9]+\. ", body[0]), f"{path.name}: first paragraph lacks message number"
    paragraphs = [Paragraph(path.stem, i, text) for i, text in enumerate(body, start=1)]
    return Document(path.stem, blocks[1], blocks[2], paragraphs, signature, notes)


def load_corpus() -> list[Document]:
    return [parse_file(p) for p in sorted(CORPUS_DIR.glob("*.txt"))]


def load_queries() -> list[Query]:
    with QUERIES_FILE.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader)
        assert header == ["query", "form_a", "form_b", "note"], header
        return [
            Query(row[0], compile_forms(row[1]), compile_forms(row[2]), row[3] if len(row) > 3 else "")
            for row in reader
            if row and row[0].strip()
        ]


def ground_truth(queries: list[Query], paragraphs: list[Paragraph]) -> dict[str, dict[str, list[Paragraph]]]:
    """query -> {"a": abbreviation-only paragraphs, "b": full-only, "ab": both}."""
    truth: dict[str, dict[str, list[Paragraph]]] = {}
    for q in queries:
        sides: dict[str, list[Paragraph]] = {"a": [], "b": [], "ab": []}
        for p in paragraphs:
            side = q.side(p.text)
            if side:
                sides[side].append(p)
        truth[q.query] = sides
    return truth


def all_paragraphs(docs: list[Document]) -> list[Paragraph]:
    return [p for d in docs for p in d.paragraphs]


# --------------------------------------------------------------------------- data set checks


def test_eval_dataset_is_sound():
    """The data set itself: format, size, and enough evidence on both sides of every query."""
    docs = load_corpus()
    queries = load_queries()
    paragraphs = all_paragraphs(docs)
    assert 25 <= len(docs) <= 35
    assert len(paragraphs) >= 120
    assert len({q.query for q in queries}) == len(queries), "duplicate query"
    directions = {q.query: q.direction for q in queries}  # raises on an inconsistent row
    assert {"abbrev", "full"} <= set(directions.values())

    truth = ground_truth(queries, paragraphs)
    thin = [
        (q, len(truth[q]["a"]), len(truth[q]["b"]))
        for q in truth
        if min(len(truth[q]["a"]), len(truth[q]["b"])) < MIN_PARAGRAPHS_PER_SIDE
    ]
    assert not thin, f"queries with fewer than {MIN_PARAGRAPHS_PER_SIDE} a-only/b-only paragraphs: {thin}"

    # every query needs distractors too: paragraphs that share a word with it but match neither
    # form are what precision is measured against (checked globally: most paragraphs match none)
    unrelated = [p for p in paragraphs if not any(q.side(p.text) for q in queries)]
    assert len(unrelated) >= 20, len(unrelated)

    # only body paragraphs carry the concepts: headings (apart from "Secretary of State"),
    # signatures and footnotes must not, or hits there would be neither relevant nor wrong
    for d in docs:
        for q in queries:
            for where, text in [("heading", d.heading), ("signature", d.signature)] + [
                ("footnote", n) for n in d.footnotes
            ]:
                if where == "heading" and q.form_b.pattern.find("Secretary") >= 0:
                    continue
                assert not q.side(text), f"{d.doc_id} {where} matches {q.query!r}: {text!r}"


def test_ground_truth_patterns_behave():
    """The pattern machinery: word boundaries, whitespace, case."""
    sov = compile_forms(r"Sov\.? Govts?|SovGovt?")
    assert sov.search("position Sov Govt Gromyko") and sov.search("SovGov intends")
    assert sov.search("Sov\nGovt") and sov.search("sov govts")
    assert not sov.search("Sov note") and not sov.search("Sov Govtx")
    chi = compile_forms("Chi ?Coms?")
    assert chi.search("ChiComs took") and chi.search("Chi Coms took") and not chi.search("Chinese")
    mil = compile_forms("mil|milit")
    assert mil.search("Mil attachés") and not mil.search("million") and not mil.search("military")
    assert compile_forms("Secy").search("Secy’s statement")
    assert normalize("925.  NK forces\n advance") == "NK forces advance"


# --------------------------------------------------------------------------- the evaluation


def _mark_texts(snippet: str) -> list[str]:
    """Text inside each <mark>, inner tags stripped, marks separated only by space joined."""
    s = re.sub(r"<(?!/?mark\b)[^>]*>", "", snippet, flags=re.IGNORECASE)
    s = re.sub(r"</mark>(\s*)<mark\b[^>]*>", r"\1", s, flags=re.IGNORECASE)
    return [html.unescape(m) for m in re.findall(r"<mark\b[^>]*>(.*?)</mark>", s, flags=re.IGNORECASE | re.DOTALL)]


def _parse_jsonl(output: str) -> list[dict]:
    objects = []
    for line in output.splitlines():
        line = line.strip()
        if line.startswith("{"):
            objects.append(json.loads(line))
    return objects


def run_cli(tmp_path: Path, queries: list[Query]) -> list[dict]:
    from click.testing import CliRunner

    from searchapp.cli import main

    runner = CliRunner()
    index = tmp_path / "index"
    result = runner.invoke(main, ["build", "--corpus", str(CORPUS_DIR), "--index", str(index)])
    assert result.exit_code == 0, f"build failed: {result.output}\n{result.exception!r}"

    qfile = tmp_path / "queries.txt"
    qfile.write_text("".join(q.query + "\n" for q in queries), encoding="utf-8")
    result = runner.invoke(
        main, ["search", "--index", str(index), "--limit", "200", "--json", "--batch", str(qfile)]
    )
    assert result.exit_code == 0, f"search failed: {result.output}\n{result.exception!r}"
    out = getattr(result, "stdout", None) or result.output
    objects = _parse_jsonl(out)
    assert len(objects) == len(queries), f"expected {len(queries)} JSON lines, got {len(objects)}"
    for q, obj in zip(queries, objects):
        assert obj.get("query") == q.query, (obj.get("query"), q.query)
    return objects


def evaluate(queries: list[Query], results: list[dict], paragraphs: list[Paragraph]) -> tuple[dict, dict]:
    truth = ground_truth(queries, paragraphs)
    by_key = {p.key: p for p in paragraphs}
    by_loose = {(p.doc_id, _loose(p.text)): p for p in paragraphs}

    def identify(hit: dict) -> Paragraph | None:
        doc_id, text = str(hit.get("doc_id", "")), hit.get("text") or ""
        return by_key.get((doc_id, normalize(text))) or by_loose.get((doc_id, _loose(text)))

    counts = {k: [0, 0] for k in ("recall_abbrev_only", "recall_full_only", "precision_at_10", "mark_rate")}
    failures: dict[str, list[str]] = {k: [] for k in counts}
    failures["unidentified_hits"] = []
    per_query = {}

    for q, res in zip(queries, results):
        hits = res.get("hits") or []
        returned = set()
        for hit in hits:
            p = identify(hit)
            if p is None:
                failures["unidentified_hits"].append(f"{q.query!r}: {hit.get('doc_id')}/{hit.get('n')}")
            else:
                returned.add(p.key)

        # recall across forms: the side the query does not spell
        metric, other = (
            ("recall_full_only", "b") if q.direction == "abbrev" else ("recall_abbrev_only", "a")
        )
        found = [p for p in truth[q.query][other] if p.key in returned]
        missed = [p for p in truth[q.query][other] if p.key not in returned]
        counts[metric][0] += len(found)
        counts[metric][1] += len(truth[q.query][other])
        failures[metric] += [f"{q.query!r} missed {p.show()}" for p in missed]

        # precision in the top 10, judged on the hit's own text
        top = hits[:10]
        good = [h for h in top if q.side(h.get("text") or "")]
        counts["precision_at_10"][0] += len(good)
        counts["precision_at_10"][1] += len(top)
        failures["precision_at_10"] += [
            f"{q.query!r} wrong hit {h.get('doc_id')}/{h.get('n')}: {normalize(h.get('text') or '')[:80]}"
            for h in top
            if h not in good
        ]

        # highlighting of the abbreviation in abbreviation-only hits
        for h in hits:
            if q.side(h.get("text") or "") != "a":
                continue
            counts["mark_rate"][1] += 1
            snippet = h.get("snippet") or ""
            if any(q.form_a.search(m) for m in _mark_texts(snippet)):
                counts["mark_rate"][0] += 1
            else:
                failures["mark_rate"].append(f"{q.query!r} {h.get('doc_id')}/{h.get('n')}: {snippet[:160]}")

        per_query[q.query] = {
            "direction": q.direction,
            "total": res.get("total"),
            "returned": len(hits),
            "cross_form_relevant": len(truth[q.query][other]),
            "cross_form_found": len(found),
        }

    metrics = {k: (num / den if den else 1.0) for k, (num, den) in counts.items()}
    metrics["counts"] = {k: {"hit": num, "of": den} for k, (num, den) in counts.items()}
    metrics["per_query"] = per_query
    return metrics, failures


def test_abbreviation_matching(tmp_path):
    docs = load_corpus()
    queries = load_queries()
    paragraphs = all_paragraphs(docs)
    results = run_cli(tmp_path, queries)
    metrics, failures = evaluate(queries, results, paragraphs)

    (tmp_path / "metrics.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    summary = {k: round(metrics[k], 3) for k in ("recall_abbrev_only", "recall_full_only", "precision_at_10", "mark_rate")}
    print(f"\nabbreviation eval ({len(queries)} queries, {len(paragraphs)} paragraphs): {summary}")
    print(f"metrics written to {tmp_path / 'metrics.json'}")

    floors = {
        "recall_abbrev_only": RECALL_FLOOR,
        "recall_full_only": RECALL_FLOOR,
        "precision_at_10": PRECISION_AT_10_FLOOR,
        "mark_rate": MARK_RATE_FLOOR,
    }
    problems = []
    for name, floor in floors.items():
        if metrics[name] < floor:
            listed = "\n    ".join(failures[name][:60])
            problems.append(f"{name} = {metrics[name]:.3f} < {floor}:\n    {listed}")
    if failures["unidentified_hits"]:
        # not fatal (headings or footnotes may be indexed too), but recall cannot count them
        print(
            f"{len(failures['unidentified_hits'])} hits match no body paragraph (text not verbatim?), e.g.\n    "
            + "\n    ".join(failures["unidentified_hits"][:10])
        )
    assert not problems, "\n".join(problems)
