"""Benchmark: build rate and query latency side by side with plain Whoosh.

Not a pipeline step: a measuring instrument over the pipeline (``searchapp bench``).

1. :func:`generate_corpus` writes a deterministic corpus of telegram-style pages (the
   seed's text format: file-number line with a date, heading with a footnote marker,
   classification, ~12 paragraphs of 40–120 words from a Zipf-like vocabulary with
   telegraphese abbreviations, ``[Page N]`` markers, glued footnote markers, signature,
   numbered footnotes).
2. Each build runs in a fresh child process (``python -m searchapp.bench --child``), so
   its peak memory (``ru_maxrss``) is its own: ours is :func:`~searchapp.indexer.build_index`;
   the baseline is plain Whoosh (default ``StandardAnalyzer``, no expansion, one writer,
   the same ``limitmb``) fed the paragraphs that our reader produces.
3. Queries of a fixed mix run in this process, interleaved (ours, then the baseline's,
   same query); both produce snippets for the top 10. Each query is first run once on the
   freshly opened indexes (reported as "first run": nothing of ours cached yet), then the
   mix is timed after a warm-up (the steady state that p50/p95/p99 report: our postings
   and positions caches hold the mix's common words by then).

Targets (issue 6) are reported with whether they were met, never asserted.
"""

from __future__ import annotations

import bisect
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SEED = 1951
WRITER_LIMIT_MB = 256  # the same as searchapp.indexer.WRITER_LIMIT_MB

#: issue 6: build >= 0.8x plain Whoosh, query p95 <= 50 ms (150 ms at 1M) and <= 1.5x plain Whoosh
TARGET_BUILD_RATIO = 0.8
TARGET_P95_RATIO = 1.5


def target_p95_ms(paragraphs: int) -> float:
    return 150.0 if paragraphs >= 1_000_000 else 50.0


# -- the generator ------------------------------------------------------------------------

DIPLOMATIC_WORDS = """
government embassy minister ambassador secretary department soviet korean armistice negotiations
military political economic president conference treaty agreement delegation commission council
security united nations foreign office proposal position situation communist chinese british french
german japanese forces troops line talks cease fire settlement withdrawal occupation aid assistance
program policy recognition sovereignty territory border frontier regime cabinet parliament premier
prime general commander command staff intelligence report telegram despatch memorandum note reply
instructions cleared informed discussed stated indicated believed agreed suggested requested
understanding consultation representatives allied allies western eastern europe asia korea china japan
germany france britain moscow peking london paris berlin tokyo washington seoul vienna trieste
greece turkey iran israel egypt india pakistan indonesia indochina vietnam formosa philippines
yugoslavia poland czechoslovakia hungary rumania bulgaria austria italy spain portugal netherlands
belgium norway denmark sweden finland canada mexico brazil argentina chile
communique aide memoire demarche protocol ratification reparations tariffs credits loans shipments
supplies dollars sterling economy industry production trade embargo blockade airlift refugees
prisoners repatriation elections plebiscite constitution coalition opposition parties leaders
ministry spokesman press statement declaration resolution assembly charter veto vote majority
""".split()

# bigrams that phrase queries look for (kept in order when they are drawn)
PHRASES = ["armistice line", "Security Council", "United Nations", "cease fire", "Foreign Office", "prisoners of war"]

NAMES = ["Muccio", "Kennan", "Bohlen", "Webb", "Acheson", "Dulles", "Bruce", "Harriman", "Kirk", "Austin",
         "Sebald", "Jessup", "Rusk", "Lodge", "Bunker", "Murphy", "Allison", "Conant", "Dillon", "Bowles"]
COUNTRIES = ["Korea", "the Soviet Union", "the United Kingdom", "France", "Japan", "India", "Germany",
             "Italy", "Turkey", "Iran", "Egypt", "Yugoslavia", "Austria", "Indonesia", "Pakistan", "Greece"]
SENDERS = ["Ambassador", "Chargé", "Minister", "Consul General", "Acting Political Adviser", "High Commissioner"]
CLASSIFICATIONS = ["secret", "top secret", "confidential", "restricted", "secret priority", "top secret niact"]
FILE_SERIES = ["611.61", "795.00", "793.00", "661.00", "740.5", "320", "751G.00", "684A.86", "762A.00", "711.5"]
FOOTNOTES = [
    "Repeated to London, Paris and Moscow.",
    "See telegram {n}, {date}, not printed.",
    "Not printed; it reported the views of the {country} Foreign Office.",
    "Drafted by {name}; cleared in substance with the Department of Defense.",
    "In telegram {n} the Embassy reported that the proposal had been delivered.",
    "The source text bears the handwritten notation: seen by the Secretary.",
]
SYLLABLES = ["ka", "lo", "mi", "ra", "ten", "vo", "sel", "dru", "pan", "zor", "qui", "bel", "fa", "nor",
             "gim", "tas", "vek", "lun", "hor", "sti", "mar", "cro", "dav", "pel", "yu", "wes", "thal", "or"]


def _abbreviation_forms() -> list[str]:
    """Written forms of the built-in entries that expand both ways (``shld``, ``Sov Govt``, ``NK``)."""
    from .abbreviations import AbbreviationTable

    forms = []
    for entry in AbbreviationTable.builtin():
        if entry.match != "both":
            continue
        form = entry.form
        if entry.case == "cap":
            form = form[:1].upper() + form[1:]
        forms.append(form)
    return forms


_UNFIT = frozenset("fuck fucking shit sex porn dick ass bitch damn hell gay sexy nude".split())


def build_vocabulary(rng: random.Random, size: int = 4000) -> list[str]:
    """A few thousand words, most frequent first: English function words, then English and
    diplomatic words interleaved, then invented words (the rare tail)."""
    from .abbreviations import ENGLISH_WORDS

    english = [w for w in ENGLISH_WORDS[:2200] if w.isalpha() and w not in _UNFIT]
    vocab: list[str] = []
    seen: set[str] = set()

    def add(word: str) -> None:
        if word not in seen:
            seen.add(word)
            vocab.append(word)

    for w in english[:60]:
        add(w)
    diplomatic = list(DIPLOMATIC_WORDS)
    for i, w in enumerate(english[60:]):
        add(w)
        if i % 6 == 0 and diplomatic:
            add(diplomatic.pop(0))
    for w in diplomatic:
        add(w)
    english_set = set(ENGLISH_WORDS)
    while len(vocab) < size:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in english_set:
            add(word)
    return vocab


@dataclass(frozen=True)
class GeneratedCorpus:
    """What :func:`generate_corpus` wrote."""

    folder: Path
    files: int
    paragraphs: int
    page_markers: int
    footnote_markers: int
    #: a word of the rare tail that occurs in the corpus, for the "rare term" queries
    rare_words: tuple[str, ...]


class _Writer:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.vocab = build_vocabulary(self.rng)
        weights = [1.0 / (rank + 2.7) ** 1.05 for rank in range(len(self.vocab))]
        self.cum = list(_accumulate(weights))
        self.forms = _abbreviation_forms()
        self.rare_counts: dict[str, int] = {}
        self.rare_start = len(self.vocab) - 600

    def words(self, n: int) -> list[str]:
        rng = self.rng
        out = []
        total = self.cum[-1]
        for _ in range(n):
            r = rng.random()
            if r < 0.05:
                out.append(rng.choice(self.forms))
            elif r < 0.06:
                out.append(rng.choice(PHRASES))
            else:
                i = bisect.bisect_left(self.cum, rng.random() * total)
                i = min(i, len(self.vocab) - 1)
                if i >= self.rare_start:
                    self.rare_counts[self.vocab[i]] = self.rare_counts.get(self.vocab[i], 0) + 1
                out.append(self.vocab[i])
        return out

    def paragraph(self, n_words: int, footnote: int | None, page: int | None, number: int | None) -> str:
        rng = self.rng
        words = self.words(n_words)
        sentences: list[str] = []
        i = 0
        while i < len(words):
            k = rng.randint(7, 20)
            chunk = words[i:i + k]
            i += k
            if rng.random() < 0.15:
                chunk.insert(rng.randrange(len(chunk) + 1), f"({rng.choice(['Embtel', 'Deptel', 'urtel', 'reftel'])} {rng.randint(100, 2999)})")
            chunk[0] = chunk[0][:1].upper() + chunk[0][1:]
            sentences.append(" ".join(chunk) + ".")
        if page is not None:
            at = rng.randrange(1, len(sentences)) if len(sentences) > 1 else 0
            sentences[at] = f"[Page {page}] " + sentences[at]
        if footnote is not None:
            at = rng.randrange(len(sentences))
            glue = rng.choice([".", ""])
            sentences[at] = sentences[at][:-1] + glue + str(footnote)
        text = " ".join(sentences)
        if number is not None:
            text = f"{number}. {text}"
        return text

    def document(self, size: int) -> tuple[str, int, int]:
        """Text of one page with ``size`` paragraphs (as the reader counts them):
        body paragraphs, a signature and footnotes. Returns (text, page markers, footnote markers)."""
        rng = self.rng
        n_notes = min(rng.randint(1, 3), max(0, size - 3))
        signature = 1 if size >= 2 else 0
        n_body = size - n_notes - signature
        year = rng.randint(1945, 1960)
        month, day = rng.randint(1, 12), rng.randint(1, 28)
        file_number = f"{rng.choice(FILE_SERIES)}/{month}–{day}{year % 100:02d}"
        heading = f"The {rng.choice(SENDERS)} in {rng.choice(COUNTRIES)} ({rng.choice(NAMES)}) to the Secretary of State"
        heading_note = n_notes > 0 and rng.random() < 0.5
        if heading_note:
            heading += " 1"
        # footnote references: 1 from the heading (sometimes), the others glued in body paragraphs
        body_notes = list(range(2 if heading_note else 1, n_notes + 1))
        holders = sorted(rng.sample(range(n_body), min(len(body_notes), n_body)))
        note_at = dict(zip(holders, body_notes))
        page = rng.randint(1, 1500)
        pages = 0
        body = []
        for i in range(n_body):
            marker_page = None
            if i > 0 and rng.random() < 0.3:
                page += 1
                marker_page = page
                pages += 1
            body.append(self.paragraph(rng.randint(40, 120), note_at.get(i), marker_page, rng.randint(100, 999) if i == 0 else None))
        lines = [f"{file_number}: Telegram", "", heading, "", rng.choice(CLASSIFICATIONS), ""]
        for text in body:
            lines += [text, ""]
        if signature:
            lines += [rng.choice(NAMES), ""]
        for n in range(1, n_notes + 1):
            note = rng.choice(FOOTNOTES).format(
                n=rng.randint(100, 2999), date=f"{month}/{day}/{year}", country=rng.choice(COUNTRIES), name=rng.choice(NAMES)
            )
            extra = " ".join(self.words(rng.randint(4, 20)))
            lines.append(f"  {n}. {note} {extra[:1].upper()}{extra[1:]}.")
        return "\n".join(lines) + "\n", pages, len(holders)


def _accumulate(values: list[float]) -> list[float]:
    total, out = 0.0, []
    for v in values:
        total += v
        out.append(total)
    return out


def generate_corpus(folder: Path, paragraphs: int, seed: int = SEED) -> GeneratedCorpus:
    """Write ``*.txt`` pages holding ``paragraphs`` paragraphs in all into ``folder``
    (emptied first). The same seed writes the same files."""
    folder = Path(folder)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    writer = _Writer(seed)
    rng = writer.rng
    remaining, files, page_markers, footnote_markers = paragraphs, 0, 0, 0
    while remaining > 0:
        size = min(remaining, rng.randint(9, 15))
        if 0 < remaining - size < 4:
            size = remaining
        text, pages, notes = writer.document(size)
        (folder / f"gen_{files:06d}.txt").write_text(text, encoding="utf-8")
        files += 1
        remaining -= size
        page_markers += pages
        footnote_markers += notes
    rare = sorted((w for w, c in writer.rare_counts.items() if 2 <= c), key=lambda w: (writer.rare_counts[w], w))
    return GeneratedCorpus(folder, files, paragraphs, page_markers, footnote_markers, tuple(rare[:2]) or ("zorvekdru",))


# -- builds (each in a fresh child process) ---------------------------------------------------


def dir_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file() and not p.is_symlink()) / 1e6


def peak_rss_mb() -> float:
    """Peak resident memory of this process or of the largest of its finished child
    processes, in MB."""
    # the build process and the largest of its writer worker processes (KiB on Linux)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, workers) / 1024


def _build_ours(corpus: Path, index_root: Path) -> dict:
    from .abbreviations import AbbreviationTable
    from .indexer import build_index, current_generation

    table = AbbreviationTable.builtin()
    started = time.perf_counter()
    report = build_index(corpus, index_root, table, full=True)
    seconds = time.perf_counter() - started
    return {"paragraphs": report.paragraphs, "seconds": seconds, "index_mb": dir_mb(current_generation(index_root))}


def baseline_schema():
    from whoosh.fields import ID, NUMERIC, STORED, TEXT, Schema

    return Schema(
        text=TEXT(stored=True), title=TEXT(stored=True), doc_id=ID(stored=True), n=STORED,
        date=NUMERIC(int, bits=32, sortable=True, signed=False),
    )


def _build_baseline(corpus: Path, index_dir: Path) -> dict:
    from whoosh import index as whoosh_index

    from .corpus import read_corpus
    from .indexer import date_key

    if index_dir.exists():
        shutil.rmtree(index_dir)
    index_dir.mkdir(parents=True)
    started = time.perf_counter()
    scan = read_corpus(corpus)
    ix = whoosh_index.create_in(str(index_dir), baseline_schema())
    writer = ix.writer(limitmb=WRITER_LIMIT_MB)
    count = 0
    for doc in scan.documents:
        for p in doc.paragraphs:
            writer.add_document(text=p.text, title=doc.title, doc_id=doc.doc_id, n=p.n, date=date_key(doc.date))
            count += 1
    writer.commit()
    ix.close()
    seconds = time.perf_counter() - started
    return {"paragraphs": count, "seconds": seconds, "index_mb": dir_mb(index_dir)}


def run_child_build(kind: str, corpus: Path, index_dir: Path) -> dict:
    """Run one build in a fresh interpreter; its result with the child's peak RSS."""
    proc = subprocess.run(
        [sys.executable, "-m", "searchapp.bench", "--child", kind, str(corpus), str(index_dir)],
        capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} build failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _child_main(argv: list[str]) -> None:
    kind, corpus, index_dir = argv
    result = (_build_ours if kind == "ours" else _build_baseline)(Path(corpus), Path(index_dir))
    result["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(result))


# -- queries ---------------------------------------------------------------------------------


def query_mix(rare_words: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """(class, query, sort) of the fixed mix, two of each class."""
    rare = list(rare_words) + list(rare_words)
    return [
        ("rare", rare[0], "relevance"),
        ("rare", rare[1], "relevance"),
        ("common", "embassy", "relevance"),
        ("common", "position", "relevance"),
        ("and", "armistice negotiations", "relevance"),
        ("and", "soviet proposal", "relevance"),
        ("phrase", '"armistice line"', "relevance"),
        ("phrase", '"security council"', "relevance"),
        ("abbreviation", "shld", "relevance"),
        ("abbreviation", "Govt", "relevance"),
        ("multiword", "Sov Govt", "relevance"),
        ("multiword", "Soviet Government", "relevance"),
        ("wildcard", "negot*", "relevance"),
        ("wildcard", "commun*", "relevance"),
        ("date", "armistice", "date"),
        ("date", "korea", "date"),
    ]


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), -(-len(ordered) * p // 100)))
    return ordered[int(rank) - 1]


class Baseline:
    """Plain Whoosh search + ``highlights()`` for the top 10."""

    def __init__(self, index_dir: Path):
        from whoosh import index as whoosh_index
        from whoosh.qparser import QueryParser

        self.ix = whoosh_index.open_dir(str(index_dir))
        self.searcher = self.ix.searcher()
        self.parser = QueryParser("text", self.ix.schema)

    def search(self, text: str, sort: str) -> int:
        q = self.parser.parse(text)
        results = self.searcher.search(q, limit=10, sortedby="date" if sort == "date" else None)
        for hit in results:
            hit.highlights("text")
        return results.scored_length()

    def close(self) -> None:
        self.searcher.close()
        self.ix.close()


def _engines(ours, baseline: Baseline | None) -> dict[str, Callable[[str, str], object]]:
    engines: dict[str, Callable[[str, str], object]] = {"ours": lambda q, sort: ours.search(q, page_size=10, sort=sort)}
    if baseline is not None:
        engines["baseline"] = baseline.search
    return engines


def time_first_queries(ours, baseline: Baseline | None, mix: list[tuple[str, str, str]]) -> dict[str, list[float]]:
    """Latencies in ms of each query of the mix run once on freshly opened indexes (no
    postings cached, columns not yet read; the files themselves are in the OS cache)."""
    engines = _engines(ours, baseline)
    times: dict[str, list[float]] = {name: [] for name in engines}
    for _, q, sort in mix:
        for name, run in engines.items():
            started = time.perf_counter()
            run(q, sort)
            times[name].append((time.perf_counter() - started) * 1000)
    return times


def time_queries(ours, baseline: Baseline | None, mix: list[tuple[str, str, str]], count: int) -> dict[str, dict[str, list[float]]]:
    """Latencies in ms per engine and class; each query runs on ours, then on the baseline
    (when there is one)."""
    engines = _engines(ours, baseline)
    for _ in range(2):  # warm-up: caches, lazily loaded postings and column readers
        for _, q, sort in mix:
            for run in engines.values():
                run(q, sort)
    times: dict[str, dict[str, list[float]]] = {name: {} for name in engines}
    for i in range(count):
        cls, q, sort = mix[i % len(mix)]
        for name, run in engines.items():
            started = time.perf_counter()
            run(q, sort)
            times[name].setdefault(cls, []).append((time.perf_counter() - started) * 1000)
    return times


# -- the run ---------------------------------------------------------------------------------


def run_bench(
    paragraphs: int = 10000,
    queries: int = 200,
    workdir: Path | None = None,
    as_json: bool = False,
    echo: Callable[[str], None] = print,
    seed: int = SEED,
) -> dict:
    """Generate, build both, time the query mix; print a table (and the JSON line)."""
    from .search import SearchIndex

    own_tmp = workdir is None
    root = Path(tempfile.mkdtemp(prefix="searchapp-bench-")) if own_tmp else Path(workdir)
    root.mkdir(parents=True, exist_ok=True)
    try:
        t0 = time.perf_counter()
        corpus = generate_corpus(root / "corpus", paragraphs, seed)
        gen_s = time.perf_counter() - t0
        echo(f"generated {corpus.paragraphs} paragraphs in {corpus.files} files ({gen_s:.1f} s)")
        index_root = root / "index"
        if index_root.exists():
            shutil.rmtree(index_root)
        ours = run_child_build("ours", corpus.folder, index_root)
        echo(f"our build: {ours['paragraphs']} paragraphs in {ours['seconds']:.1f} s")
        base = run_child_build("baseline", corpus.folder, root / "baseline")
        echo(f"baseline build: {base['paragraphs']} paragraphs in {base['seconds']:.1f} s")

        mix = query_mix(corpus.rare_words)
        index = SearchIndex(index_root)
        baseline = Baseline(root / "baseline")
        try:
            cold = time_first_queries(index, baseline, mix)
            times = time_queries(index, baseline, mix, queries)
        finally:
            index.close()
            baseline.close()
        result = summarize(paragraphs, ours, base, times, cold)
        for line in table(result):
            echo(line)
        if as_json:
            echo(json.dumps(result, sort_keys=False))
        return result
    finally:
        if own_tmp:
            shutil.rmtree(root, ignore_errors=True)


def summarize(paragraphs: int, ours: dict, base: dict, times: dict[str, dict[str, list[float]]],
              cold: dict[str, list[float]] | None = None) -> dict:
    def all_of(engine: str) -> list[float]:
        return [t for ts in times[engine].values() for t in ts]

    rate = ours["paragraphs"] / ours["seconds"]
    base_rate = base["paragraphs"] / base["seconds"]
    r = {
        "paragraphs": paragraphs,
        "indexed_paragraphs": ours["paragraphs"],
        "baseline_indexed_paragraphs": base["paragraphs"],
        "build_seconds": round(ours["seconds"], 2),
        "baseline_build_seconds": round(base["seconds"], 2),
        "build_paragraphs_per_s": round(rate, 1),
        "baseline_build_paragraphs_per_s": round(base_rate, 1),
        "build_ratio": round(rate / base_rate, 3),
    }
    for engine, prefix in (("ours", ""), ("baseline", "baseline_")):
        values = all_of(engine)
        for p in (50, 95, 99):
            r[f"{prefix}query_p{p}_ms"] = round(percentile(values, p), 2)
    r["query_p95_ratio"] = round(r["query_p95_ms"] / max(r["baseline_query_p95_ms"], 1e-9), 3)
    if cold:  # each query of the mix once, first thing after opening the index
        for engine, prefix in (("ours", ""), ("baseline", "baseline_")):
            r[f"{prefix}first_query_p50_ms"] = round(percentile(cold[engine], 50), 2)
            r[f"{prefix}first_query_max_ms"] = round(max(cold[engine]), 2)
    r["index_mb"] = round(ours["index_mb"], 1)
    r["baseline_index_mb"] = round(base["index_mb"], 1)
    r["peak_rss_mb"] = round(ours["peak_rss_mb"], 1)
    r["baseline_peak_rss_mb"] = round(base["peak_rss_mb"], 1)
    r["queries_per_engine"] = len(all_of("ours"))
    for engine, name in (("ours", "query_p95_ms_by_class"), ("baseline", "baseline_query_p95_ms_by_class")):
        r[name] = {cls: round(percentile(ts, 95), 2) for cls, ts in times[engine].items()}
    for engine, name in (("ours", "query_p50_ms_by_class"), ("baseline", "baseline_query_p50_ms_by_class")):
        r[name] = {cls: round(percentile(ts, 50), 2) for cls, ts in times[engine].items()}
    p95_max = target_p95_ms(paragraphs)
    r["targets"] = {
        "build_ratio_min": TARGET_BUILD_RATIO,
        "query_p95_ms_max": p95_max,
        "query_p95_ratio_max": TARGET_P95_RATIO,
    }
    r["targets_met"] = {
        "build_ratio": r["build_ratio"] >= TARGET_BUILD_RATIO,
        "query_p95_ms": r["query_p95_ms"] <= p95_max,
        "query_p95_ratio": r["query_p95_ratio"] <= TARGET_P95_RATIO,
    }
    r["python"] = sys.version.split()[0]
    r["cpus"] = os.cpu_count()
    return r


def table(r: dict) -> list[str]:
    """The readable report."""
    rows = [
        ("build, paragraphs/s", r["build_paragraphs_per_s"], r["baseline_build_paragraphs_per_s"], r["build_ratio"]),
        ("build, seconds", r["build_seconds"], r["baseline_build_seconds"], None),
        ("index size, MB", r["index_mb"], r["baseline_index_mb"], None),
        ("peak RSS of the build, MB", r["peak_rss_mb"], r["baseline_peak_rss_mb"], None),
        ("query p50, ms", r["query_p50_ms"], r["baseline_query_p50_ms"], None),
        ("query p95, ms", r["query_p95_ms"], r["baseline_query_p95_ms"], r["query_p95_ratio"]),
        ("query p99, ms", r["query_p99_ms"], r["baseline_query_p99_ms"], None),
    ]
    if "first_query_p50_ms" in r:
        rows += [
            ("first run of each, p50 ms", r["first_query_p50_ms"], r["baseline_first_query_p50_ms"], None),
            ("first run of each, max ms", r["first_query_max_ms"], r["baseline_first_query_max_ms"], None),
        ]
    for cls, v in r["query_p95_ms_by_class"].items():
        b = r["baseline_query_p95_ms_by_class"][cls]
        rows.append((f"  p95 {cls}, ms", v, b, round(v / b, 2) if b else None))
    lines = [f"{r['paragraphs']} paragraphs, {r['queries_per_engine']} queries per engine (snippets for the top 10)",
             f"{'':<28} {'searchapp':>10} {'Whoosh':>10} {'ratio':>7}"]
    for name, ours, base, ratio in rows:
        lines.append(f"{name:<28} {ours:>10} {base:>10} {'' if ratio is None else ratio:>7}")
    t, met = r["targets"], r["targets_met"]
    lines.append(
        f"targets: build >= {t['build_ratio_min']}x [{'met' if met['build_ratio'] else 'NOT met'}], "
        f"p95 <= {t['query_p95_ms_max']:g} ms [{'met' if met['query_p95_ms'] else 'NOT met'}], "
        f"p95 <= {t['query_p95_ratio_max']}x [{'met' if met['query_p95_ratio'] else 'NOT met'}]"
    )
    return lines


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        _child_main(sys.argv[2:])
    else:
        sys.exit("usage: searchapp bench (python -m searchapp.bench is for its child builds)")
