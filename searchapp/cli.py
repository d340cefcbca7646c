"""The ``searchapp`` command: a thin skin over the core (build, search, abbreviations,
serve, bench). Library errors become one line ``Error: ...`` and exit code 1."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from . import config
from .abbreviations import AbbreviationFileError, AbbreviationTable
from .corpus import CorpusError
from .indexer import BuildReport, SearchappIndexError, build_index
from .models import Hit, SearchResult

BUILD_NICENESS = 10


def _table(abbreviations: str | None) -> AbbreviationTable:
    path = abbreviations or config.setting("abbreviations")
    try:
        return AbbreviationTable.load([Path(path)] if path else [])
    except AbbreviationFileError as exc:
        raise click.ClickException(str(exc)) from exc


def _page_value(page: str | None) -> int | str | None:
    return int(page) if page is not None and page.isdigit() else page


def hit_to_dict(hit: Hit) -> dict:
    """The JSON form of a hit (the contract of ``searchapp search --json`` and the API)."""
    return {
        "doc_id": hit.doc_id,
        "para_id": hit.para_id,
        "n": hit.n,
        "kind": hit.kind,
        "page": _page_value(hit.page),
        "pages": [_page_value(p) for p in hit.pages],
        "title": hit.title,
        "date": hit.date.isoformat() if hit.date else None,
        "file_number": hit.file_number,
        "doc_type": hit.doc_type,
        "classification": hit.classification,
        "sender": hit.sender,
        "recipient": hit.recipient,
        "volume": hit.volume,
        "score": hit.score,
        "text": hit.text,
        "snippet": hit.snippet,
        "url": hit.url,
        "abbreviations": [{"form": a.form, "expansion": a.expansion} for a in hit.abbreviations],
    }


def result_to_dict(result: SearchResult) -> dict:
    return {
        "query": result.query,
        "total": result.total,
        "documents": result.documents,
        "page": result.page,
        "page_size": result.page_size,
        "expanded_query": result.expanded_query,
        "also_matched": list(result.also_matched),
        "suggestion": result.suggestion,
        "message": result.message,
        "elapsed_ms": result.elapsed_ms,
        "volumes": dict(result.volumes),
        "hits": [hit_to_dict(h) for h in result.hits],
    }


def error_to_dict(query: str, message: str) -> dict:
    return {"query": query, "total": 0, "documents": 0, "hits": [], "error": message}


@click.group()
@click.version_option(package_name="searchapp")
def main() -> None:
    """Full-text search of FRUS diplomatic telegrams, telegraphese included."""


@main.command()
@click.option("--corpus", type=click.Path(path_type=Path), default=None, help="Corpus folder [env SEARCHAPP_CORPUS; default seeds/].")
@click.option("--index", "index_dir", type=click.Path(path_type=Path), default=None, help="Index folder [env SEARCHAPP_INDEX; default index/].")
@click.option("--abbreviations", type=click.Path(exists=True, dir_okay=False), default=None, help="TSV of your own abbreviations.")
@click.option("--full", is_flag=True, help="Re-index every file, not only the files changed since the last build.")
@click.option("--json", "as_json", is_flag=True, help="Print the build report as JSON.")
def build(corpus: Path | None, index_dir: Path | None, abbreviations: str | None, full: bool, as_json: bool) -> None:
    """Index the documents of the corpus folder (one index document per paragraph).

    Only files added, changed or removed since the last build are re-indexed, unless
    --full is given or the dictionary or schema changed."""
    corpus = corpus or Path(config.setting("corpus"))
    index_dir = index_dir or Path(config.setting("index"))
    table = _table(abbreviations)
    # a build is background work: a server answering on the same machine goes first
    os.nice(BUILD_NICENESS)
    report = run_build(corpus, index_dir, table, quiet=as_json, full=full)
    if as_json:
        click.echo(json.dumps(report.to_dict(), default=str))
    else:
        print_report(report)


def run_build(corpus: Path, index_dir: Path, table: AbbreviationTable, quiet: bool = False, full: bool = False) -> BuildReport:
    """Build with a progress bar on a terminal; library errors become ClickException."""
    show = not quiet and sys.stderr.isatty()
    bar = click.progressbar(length=1, label="Indexing", file=sys.stderr) if show else None
    last = [0]

    def progress(done: int, total: int) -> None:
        if bar is None:
            return
        bar.length = max(total, 1)
        bar.update(done - last[0])
        last[0] = done

    try:
        if bar is not None:
            with bar:
                return build_index(corpus, index_dir, table, progress, full=full)
        return build_index(corpus, index_dir, table, progress, full=full)
    except (CorpusError, SearchappIndexError) as exc:
        raise click.ClickException(str(exc)) from exc


def print_report(report: BuildReport) -> None:
    for line in report.summary_lines():
        click.echo(line)


def _open(index_dir: Path | None, abbreviations: str | None):
    from .search import SearchIndex

    index_dir = index_dir or Path(config.setting("index"))
    try:
        searcher = SearchIndex(index_dir, _table(abbreviations))
    except SearchappIndexError as exc:
        raise click.ClickException(str(exc)) from exc
    stale = searcher.stale_reason()
    if stale:
        click.echo(f"Warning: {stale}", err=True)
    return searcher


def _print_hit(i: int, hit: Hit) -> None:
    import re

    from markupsafe import Markup

    # matches between *stars*, every other tag dropped, entities decoded
    marked = Markup(re.sub(r"</?mark>", "*", hit.snippet)).striptags()
    where = f"p. {hit.page}" if hit.page else ""
    date = hit.date.isoformat() if hit.date else "undated"
    click.echo(f"{i:>3}. {hit.title} ({date}) ¶{hit.n} {hit.kind} {where}  [{hit.score:.2f}]")
    click.echo(f"     {marked}")
    click.echo(f"     {hit.url}")


@main.command()
@click.argument("query", required=False)
@click.option("--index", "index_dir", type=click.Path(path_type=Path), default=None, help="Index folder [env SEARCHAPP_INDEX; default index/].")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 1000), help="Number of hits.")
@click.option("--page", default=1, show_default=True, type=click.IntRange(1), help="Page of hits.")
@click.option("--sort", type=click.Choice(["relevance", "date", "-date"]), default="relevance", show_default=True)
@click.option("--from", "date_from", default=None, help="Earliest date: YYYY, YYYY-MM or YYYY-MM-DD.")
@click.option("--to", "date_to", default=None, help="Latest date: YYYY, YYYY-MM or YYYY-MM-DD.")
@click.option("--volume", default=None, help="Search within one TEI volume (e.g. frus1951v07p2).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object (JSON Lines with --batch).")
@click.option("--batch", type=click.File("r", encoding="utf-8"), default=None, help="File of queries, one a line ('-' for stdin).")
@click.option("--abbreviations", type=click.Path(exists=True, dir_okay=False), default=None, help="TSV of your own abbreviations (to check staleness).")
def search(query, index_dir, limit, page, sort, date_from, date_to, volume, as_json, batch, abbreviations) -> None:
    """Search the index: words are ANDed; "phrases", OR, NOT, (), trailing * work."""
    from .search import QueryError

    if (query is None) == (batch is None):
        raise click.UsageError("give a QUERY or --batch FILE (not both)")
    searcher = _open(index_dir, abbreviations)
    queries = [line.rstrip("\n") for line in batch] if batch is not None else [query]
    failed = False
    for q in queries:
        try:
            result = searcher.search(q, page=page, page_size=limit, sort=sort, date_from=date_from, date_to=date_to, volume=volume)
        except QueryError as exc:
            failed = batch is None
            if as_json:
                click.echo(json.dumps(error_to_dict(q, str(exc)), ensure_ascii=False))
            else:
                click.echo(f"{q}: {exc}", err=True)
            continue
        if as_json:
            click.echo(json.dumps(result_to_dict(result), ensure_ascii=False))
            continue
        click.echo(f"{result.total} paragraphs in {result.documents} documents for {q!r} ({result.elapsed_ms:.0f} ms)")
        if result.also_matched:
            click.echo(f"Also matched: {', '.join(result.also_matched)}")
        if result.message:
            click.echo(result.message)
        if result.suggestion:
            click.echo(f"Did you mean: {result.suggestion}")
        for i, hit in enumerate(result.hits, start=(page - 1) * limit + 1):
            _print_hit(i, hit)
    searcher.close()
    if failed:
        sys.exit(1)


@main.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print the glossary as JSON.")
@click.option("--abbreviations", type=click.Path(exists=True, dir_okay=False), default=None, help="TSV of your own abbreviations.")
@click.pass_context
def abbreviations(ctx: click.Context, as_json: bool, abbreviations: str | None) -> None:
    """Print the abbreviation glossary (built-in plus your own entries)."""
    if ctx.invoked_subcommand is not None:
        return
    table = _table(abbreviations)
    entries = sorted(table, key=lambda e: (e.form.lower(), e.form))
    if as_json:
        click.echo(
            json.dumps(
                [
                    {"form": e.form, "expansion": e.expansion, "expansions": list(e.expansions), "kind": e.kind,
                     "case": e.case, "match": e.match, "note": e.note, "source": e.source}
                    for e in entries
                ],
                ensure_ascii=False,
            )
        )
        return
    width = max(len(e.form) for e in entries)
    for e in entries:
        click.echo(f"{e.form:<{width}}  {' | '.join(e.expansions)}  [{e.kind}, {e.match}]")
    click.echo(f"{len(entries)} entries, digest {table.digest()}")


@abbreviations.command("suggest")
@click.option("--corpus", type=click.Path(path_type=Path), default=None, help="Corpus folder [env SEARCHAPP_CORPUS; default seeds/].")
@click.option("--min-count", default=3, show_default=True, type=click.IntRange(1), help="Least number of occurrences.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1), help="Most suggestions to list.")
@click.option("--json", "as_json", is_flag=True, help="Print the suggestions as JSON.")
@click.option("--tsv", "as_tsv", is_flag=True, help="Print dictionary lines (match=display) to review and add with --abbreviations.")
@click.option("--abbreviations", type=click.Path(exists=True, dir_okay=False), default=None, help="TSV of your own abbreviations (known ones are not suggested).")
def suggest(corpus: Path | None, min_count: int, limit: int, as_json: bool, as_tsv: bool, abbreviations: str | None) -> None:
    """List words of a corpus that look like abbreviations the dictionary lacks."""
    from .corpus import read_corpus
    from .discovery import suggest_abbreviations

    corpus = corpus or Path(config.setting("corpus"))
    try:
        scan = read_corpus(corpus)
    except CorpusError as exc:
        raise click.ClickException(str(exc)) from exc
    found = suggest_abbreviations(scan, _table(abbreviations), min_count=min_count, limit=limit)
    if as_json:
        click.echo(json.dumps([s.__dict__ for s in found], ensure_ascii=False))
        return
    if as_tsv:
        click.echo("form\texpansion\tkind\tcase\tmatch\tnote")
        for s in found:
            case = "exact" if s.kind == "acronym" else "any"
            note = f"suggested: {s.count} times in {s.documents} documents; guess from {s.guess_source}"
            click.echo(f"{s.form}\t{s.guess or '?'}\t{s.kind}\t{case}\tdisplay\t{note}")
        return
    if not found:
        click.echo(f"No unknown abbreviations occurring {min_count}+ times in {corpus}/.")
    for s in found:
        guess = f"{s.guess} (from the {s.guess_source})" if s.guess else "?"
        click.echo(f"{s.form:<12} {s.count:>5}× in {s.documents} docs  {s.kind:<11}  guess: {guess}")
        for example in s.examples:
            click.echo(f"               … {example} …")


@main.command()
@click.option("--host", default=None, help="Address to listen on [env SEARCHAPP_HOST; default 127.0.0.1].")
@click.option("--port", default=None, type=click.IntRange(1, 65535), help="Port [env SEARCHAPP_PORT; default 8000].")
@click.option("--corpus", type=click.Path(path_type=Path), default=None, help="Corpus folder [env SEARCHAPP_CORPUS; default seeds/].")
@click.option("--index", "index_dir", type=click.Path(path_type=Path), default=None, help="Index folder [env SEARCHAPP_INDEX; default index/].")
@click.option("--abbreviations", type=click.Path(exists=True, dir_okay=False), default=None, help="TSV of your own abbreviations.")
def serve(host, port, corpus, index_dir, abbreviations) -> None:
    """Serve the web app (waitress); builds the index first if it is missing or stale."""
    from .server import run_server

    corpus = corpus or Path(config.setting("corpus"))
    index_dir = index_dir or Path(config.setting("index"))
    table = _table(abbreviations)
    host = host or config.setting("host")
    port = port or int(config.setting("port"))
    try:
        run_server(corpus=corpus, index_dir=index_dir, table=table, host=host, port=port, echo=click.echo)
    except (CorpusError, SearchappIndexError) as exc:
        raise click.ClickException(str(exc)) from exc


@main.command()
@click.option("--paragraphs", default=10000, show_default=True, type=click.IntRange(100), help="Size of the generated corpus.")
@click.option("--queries", default=200, show_default=True, type=click.IntRange(8), help="Number of timed queries per engine.")
@click.option("--workdir", type=click.Path(path_type=Path), default=None, help="Where to write corpus and indexes (default: a temporary folder).")
@click.option("--json", "as_json", is_flag=True, help="End with one JSON object on the last line.")
def bench(paragraphs: int, queries: int, workdir: Path | None, as_json: bool) -> None:
    """Measure build rate and query latency side by side with plain Whoosh."""
    from .bench import run_bench

    run_bench(paragraphs=paragraphs, queries=queries, workdir=workdir, as_json=as_json, echo=click.echo)


if __name__ == "__main__":  # pragma: no cover
    main()
