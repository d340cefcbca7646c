"""Routes: the search page, the document page, the glossary, tips and the JSON API.

Views read the request, call one helper of the core and render a template; templates
never see Whoosh objects. Escaping: Jinja escapes everything; the only HTML that comes
from the core is ``highlight``'s (snippets and rendered paragraphs), marked safe in
:func:`snippet_html` and already ``Markup`` in :mod:`document_view`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from flask import Blueprint, abort, current_app, jsonify, render_template, request, url_for
from markupsafe import Markup
from werkzeug.exceptions import HTTPException, InternalServerError

from .cli import error_to_dict, result_to_dict
from .corpus import DOC_ID_RE
from .document_view import build_document_view, document_to_dict
from .indexer import SearchappIndexError
from .models import Hit, SearchResult
from .search import MAX_RESULTS_DEPTH, SORTS, QueryError
from .web_index import get_index

bp = Blueprint("views", __name__)

PAGE_SIZE = 10
API_MAX_LIMIT = 100
EXAMPLES = (
    "Soviet Government should",
    "shld",
    '"armistice line"',
    "Chi Commie OR NK",
    "negot*",
    "title:Korea",
)
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


# -- helpers ----------------------------------------------------------------------------------


@bp.app_template_filter("snippet_html")
def snippet_html(hit: Hit) -> Markup:
    """A hit's snippet as HTML: ``highlight`` escaped its text; the one place it is marked safe."""
    return Markup(hit.snippet)


@bp.app_template_filter("longdate")
def longdate(date) -> str:
    """``1951-09-21`` → ``September 21, 1951``."""
    return f"{date:%B} {date.day}, {date.year}"


@dataclass(frozen=True)
class SearchParams:
    q: str
    page: int
    sort: str
    date_from: str
    date_to: str
    limit: int = PAGE_SIZE
    volume: str = ""


def _int_arg(name: str, value: str | None, default: int) -> int:
    if value is None or value.strip() == "":
        return default
    try:
        return int(value.strip())
    except ValueError:
        raise QueryError(f"{name} must be a whole number.") from None


def search_params(args, max_limit: int | None = None) -> SearchParams:
    """The search parameters of a request; QueryError with a message when one is wrong."""
    sort = args.get("sort") or "relevance"
    if sort not in SORTS:
        raise QueryError(f"sort must be one of {', '.join(SORTS)}.")
    limit = PAGE_SIZE
    if max_limit is not None:
        limit = _int_arg("limit", args.get("limit"), PAGE_SIZE)
        if limit < 1:
            raise QueryError("limit must be 1 or more.")
        limit = min(limit, max_limit)
    return SearchParams(
        q=args.get("q", ""),
        page=_int_arg("page", args.get("page"), 1),
        sort=sort,
        date_from=args.get("from", "").strip(),
        date_to=args.get("to", "").strip(),
        limit=limit,
        volume=args.get("volume", "").strip(),
    )


def run_search(params: SearchParams) -> SearchResult:
    return get_index().search(
        params.q,
        page=params.page,
        page_size=params.limit,
        sort=params.sort,
        date_from=params.date_from or None,
        date_to=params.date_to or None,
        volume=params.volume or None,
    )


def page_numbers(current: int, last: int, around: int = 2) -> list[int | None]:
    """Page links to show: first, last and a window around the current one (None: a gap)."""
    shown = sorted({1, last, *range(max(1, current - around), min(last, current + around) + 1)})
    out: list[int | None] = []
    for a, b in zip([0, *shown], shown, strict=False):
        if b - a > 1 and a:
            out.append(None)
        out.append(b)
    return out


def last_page(result: SearchResult) -> int:
    return max(1, math.ceil(min(result.total, MAX_RESULTS_DEPTH) / result.page_size))


# -- pages ------------------------------------------------------------------------------------


@bp.route("/")
@bp.route("/search")
def search():
    params, result, error = None, None, None
    try:
        params = search_params(request.args)
        if params.q.strip():
            result = run_search(params)
    except QueryError as exc:
        error = str(exc)
    if params is None:
        params = SearchParams(request.args.get("q", ""), 1, "relevance", "", "")
    pages = page_numbers(result.page, last_page(result)) if result and result.total else []
    body = render_template(
        "search.html", params=params, result=result, error=error, pages=pages,
        last_page=last_page(result) if result else 1, examples=EXAMPLES,
    )
    return body, 400 if error else 200


@bp.route("/doc/<doc_id>")
def document(doc_id: str):
    if not DOC_ID_RE.match(doc_id):
        abort(404, "There is no document with that id: ids are letters, digits, '.', '_' and '-'.")
    q = request.args.get("q", "")
    expand = request.args.get("expand") == "1"
    view = build_document_view(get_index(), doc_id, q)
    if view is None:
        abort(404, f"There is no document “{doc_id[:80]}” in the index. Search for it instead.")
    return render_template("doc.html", doc=view, q=q, expand=expand)


@bp.route("/abbreviations")
def abbreviations():
    q = request.args.get("q", "").strip()
    index = get_index()
    # the dictionary the index was built with, then each TEI volume's own list (its source
    # names the volume; those entries hold for that volume's documents only)
    glossary = list(index.table)
    builtin = set(index.table.entries)
    for table in index.volume_tables().values():
        glossary.extend(e for e in table if e not in builtin)
    entries = sorted(glossary, key=lambda e: (e.form.lower(), e.form, e.source))
    total = len(entries)
    if q:
        needle = q.lower()
        entries = [
            e for e in entries
            if needle in e.form.lower() or any(needle in x.lower() for x in e.expansions) or needle in e.note.lower()
        ]
    return render_template("abbreviations.html", entries=entries, q=q, total=total)


@bp.route("/tips")
def tips():
    return render_template("tips.html")


# -- API --------------------------------------------------------------------------------------


@bp.route("/api/search")
def api_search():
    q = request.args.get("q", "")
    try:
        result = run_search(search_params(request.args, max_limit=API_MAX_LIMIT))
    except QueryError as exc:
        return jsonify(error_to_dict(q, str(exc))), 400
    return jsonify(result_to_dict(result))


@bp.route("/api/doc/<doc_id>")
def api_document(doc_id: str):
    data = document_to_dict(get_index(), doc_id) if DOC_ID_RE.match(doc_id) else None
    if data is None:
        return jsonify({"error": f"no document {doc_id[:80]!r} in the index"}), 404
    return jsonify(data)


# -- every response ---------------------------------------------------------------------------


@bp.after_app_request
def security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


@bp.app_context_processor
def index_status():
    """Footer facts and a stale-index warning, when the index can be opened."""

    def status():
        try:
            index = get_index()
            return {"info": index.info, "stale": index.stale_reason()}
        except SearchappIndexError:
            return {"info": None, "stale": None}

    return {"index_status": status}


def _wants_json() -> bool:
    return request.path.startswith("/api/")


@bp.app_errorhandler(QueryError)
def query_error(exc: QueryError):
    if _wants_json():
        return jsonify(error_to_dict(request.args.get("q", ""), str(exc))), 400
    return render_template("error.html", code=400, title="The search could not be run", message=str(exc)), 400


@bp.app_errorhandler(SearchappIndexError)
def index_missing(exc: SearchappIndexError):
    message = str(exc)
    if _wants_json():
        return jsonify({"error": message}), 503
    return render_template("error.html", code=503, title="The index is not ready", message=message, command=True), 503


@bp.app_errorhandler(HTTPException)
def http_error(exc: HTTPException):
    if isinstance(exc, InternalServerError):
        return server_error(exc)
    if _wants_json():
        return jsonify({"error": exc.description}), exc.code
    return render_template("error.html", code=exc.code, title=exc.name, message=exc.description), exc.code


@bp.app_errorhandler(Exception)
def server_error(exc: Exception):
    if isinstance(exc, HTTPException) and not isinstance(exc, InternalServerError):
        return http_error(exc)
    current_app.logger.exception("unhandled error on %s", request.path)
    message = "Something went wrong on our side; the error was logged. Try again, or go back to the search."
    if _wants_json():
        return jsonify({"error": message}), 500
    return render_template("error.html", code=500, title="Server error", message=message), 500


def search_url(params: SearchParams, **changes) -> str:
    """The permalink of a search with some parameters changed (empty ones left out)."""
    values = {
        "q": params.q, "sort": params.sort, "from": params.date_from, "to": params.date_to,
        "volume": params.volume, "page": params.page,
    }
    values.update(changes)
    if values.get("sort") == "relevance":
        values.pop("sort")
    if values.get("page") == 1:
        values.pop("page")
    return url_for("views.search", **{k: v for k, v in values.items() if v not in ("", None)})


bp.add_app_template_global(search_url)
