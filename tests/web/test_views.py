"""The web app through Flask's test client: every route, the seed, escaping, headers."""

from __future__ import annotations

import re

import pytest

from searchapp import create_app
from searchapp.views import SECURITY_HEADERS, page_numbers

from .conftest import SEED_ID

PAGES = [
    ("/", 200),
    ("/search", 200),
    ("/search?q=shld", 200),
    ("/search?q=Soviet+Government+should&sort=date&from=1950&to=1952", 200),
    (f"/doc/{SEED_ID}", 200),
    (f"/doc/{SEED_ID}?q=shld&expand=1", 200),
    ("/abbreviations", 200),
    ("/abbreviations?q=shld", 200),
    ("/tips", 200),
    ("/api/search?q=shld", 200),
    (f"/api/doc/{SEED_ID}", 200),
    ("/static/style.css", 200),
    ("/static/app.js", 200),
    ("/doc/no-such-doc", 404),
    ("/api/doc/no-such-doc", 404),
    ("/nowhere", 404),
    ("/search?q=shld&page=abc", 400),
    ("/search?q=shld&page=0", 400),
    ("/search?q=shld&page=1000000000", 400),
    ("/search?q=shld&sort=bogus", 400),
    ("/search?q=shld&from=yesterday", 400),
    ("/search?q=AND", 200),
    ('/search?q=%22unbalanced', 200),
    ("/api/search?q=shld&limit=abc", 400),
    ("/api/search?q=", 400),
]


@pytest.mark.parametrize("url,status", PAGES)
def test_routes_answer_with_status_and_security_headers(client, url, status):
    with client.get(url) as response:
        check_response(response, status)


def check_response(response, status):
    assert response.status_code == status
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    if response.mimetype == "text/html":
        body = response.get_data(as_text=True)
        assert "Traceback" not in body
        assert "<main" in body and "<header" in body and "<footer" in body and "<nav" in body


def test_html_pages_load_no_external_or_inline_assets(client):
    body = client.get("/search?q=shld").get_data(as_text=True)
    assert re.findall(r'(?:src|href)="(https?:)?//', body) == []
    assert "<script>" not in body and " style=" not in body
    assert '<script src="/static/app.js" defer></script>' in body


def test_search_page_keeps_the_query_and_summarises(client):
    body = client.get("/search?q=Soviet+Government+should").get_data(as_text=True)
    assert 'value="Soviet Government should"' in body
    assert re.search(r"\d+ paragraphs? in \d+ documents?,\s*<span class=\"timing\">\d+ ms", body)
    assert "Also matched:" in body and "shld" in body
    assert '<label for="q">' in body and "autofocus" in body


def test_seed_snippets_mark_the_abbreviations(client):
    body = client.get("/search?q=Soviet+Government+should").get_data(as_text=True)
    snippets = re.findall(r'<p class="snippet">(.*?)</p>', body, re.S)
    assert snippets
    joined = "".join(snippets)
    assert "<mark>Sov Govt</mark>" in joined
    assert "<mark>shld</mark>" in joined
    assert '<abbr title="should"><mark>shld</mark></abbr>' in joined


def test_hit_links_to_the_paragraph_and_the_document_has_it(client):
    body = client.get("/search?q=Soviet+Government+should").get_data(as_text=True)
    links = re.findall(rf'href="(/doc/{SEED_ID}\?q=Soviet\+Government\+should#p(\d+))"', body)
    assert links
    url, n = links[0]
    doc = client.get(url.split("#")[0]).get_data(as_text=True)
    assert f'id="p{n}"' in doc
    assert '<abbr title="should">' in doc
    assert "<mark>" in doc


def test_document_page_header_paragraphs_pages_footnotes(client):
    body = client.get(f"/doc/{SEED_ID}?q=shld").get_data(as_text=True)
    assert "The Acting Secretary of State to the Embassy in the Soviet Union" in body
    for value in ("611.61/9–2151", "September 21, 1951", "top secret", "The Acting Secretary of State"):
        assert value in body
    assert all(f'id="p{n}"' in body for n in range(1, 17))
    assert '<span class="page" data-page="972">' in body
    # footnote reference → footnote, and back
    assert 'href="#fn2" id="fnref2"' in body
    assert 'id="fn2"' in body and 'href="#fnref2"' in body
    assert 'id="next-match"' in body and 'id="prev-match"' in body
    assert re.search(r"\d+ matches for “shld”", body)
    assert 'back to results' in body.lower() and 'href="/search?q=shld"' in body
    # the panel of abbreviations used here
    panel = body.split('class="abbr-panel"', 1)[1]
    assert "shld" in panel and "should" in panel and "Sov Govt" in panel


def test_expansions_rendered_hidden_and_toggle_is_a_plain_link(client):
    plain = client.get(f"/doc/{SEED_ID}?q=shld").get_data(as_text=True)
    assert '<span class="expansion"> [should]</span>' in plain
    assert 'class="doc-page"' in plain
    assert f'href="/doc/{SEED_ID}?q=shld&amp;expand=1"' in plain
    expanded = client.get(f"/doc/{SEED_ID}?q=shld&expand=1").get_data(as_text=True)
    assert 'class="doc-page show-expansions"' in expanded
    assert 'aria-pressed="true"' in expanded


def test_css_hides_expansions_by_default(client):
    with client.get("/static/style.css") as response:
        css = response.get_data(as_text=True)
    assert ".expansion { display: none;" in css
    assert ".show-expansions .expansion { display: inline; }" in css
    assert ":target" in css and "@media print" in css


def test_api_search_returns_hits_with_snippets(client):
    data = client.get("/api/search?q=shld").get_json()
    assert data["total"] >= 1 and data["hits"]
    hit = data["hits"][0]
    assert set(hit) >= {"doc_id", "n", "snippet", "url", "title", "abbreviations"}
    assert "<mark>shld</mark>" in "".join(h["snippet"] for h in data["hits"])
    assert hit["url"] == f"/doc/{hit['doc_id']}#p{hit['n']}"


@pytest.mark.parametrize("limit,expected", [("1", 1), ("3", 3), ("100000", None)])
def test_api_limit_is_capped(client, limit, expected):
    data = client.get(f"/api/search?q=shld&limit={limit}").get_json()
    assert data["page_size"] == (expected or 100)
    assert len(data["hits"]) <= data["page_size"]


@pytest.mark.parametrize(
    "url,fragment",
    [
        ("/api/search?q=shld&limit=abc", "limit must be a whole number"),
        ("/api/search?q=shld&limit=0", "limit must be 1 or more"),
        ("/api/search?q=shld&sort=bogus", "sort must be one of"),
        ("/api/search?q=shld&page=-1", "page must be 1 or more"),
        ("/api/search?q=", "Type at least one word"),
    ],
)
def test_api_bad_parameters_are_400_json(client, url, fragment):
    response = client.get(url)
    assert response.status_code == 400
    assert response.mimetype == "application/json"
    assert fragment in response.get_json()["error"]


def test_api_doc(client):
    data = client.get(f"/api/doc/{SEED_ID}").get_json()
    assert data["doc_id"] == SEED_ID and data["date"] == "1951-09-21"
    assert data["file_number"] == "611.61/9–2151"
    assert [p["n"] for p in data["paragraphs"]] == list(range(1, 17))
    assert data["paragraphs"][12] == {"n": 13, "kind": "footnote", "text": "2. See footnotes 2 and 3, supra.", "pages": ["971"], "label": "2"}
    missing = client.get("/api/doc/nope")
    assert missing.status_code == 404 and "error" in missing.get_json()


def test_glossary_lists_and_filters(client):
    body = client.get("/abbreviations").get_data(as_text=True)
    assert '<a href="/search?q=shld">shld</a>' in body
    filtered = client.get("/abbreviations?q=shld").get_data(as_text=True)
    rows = re.findall(r"<tr>\s*<th scope=\"row\">", filtered)
    assert 1 <= len(rows) < len(re.findall(r"<tr>\s*<th scope=\"row\">", body))
    assert "should" in filtered and 'value="shld"' in filtered


def test_tips_cover_the_syntax(client):
    body = client.get("/tips").get_data(as_text=True)
    for needle in ('"armistice line"', "~5", " OR ", "NOT", "-Korea", "negot*", "title:", "sender:", "recipient:",
                   "kind:", "doc:", "classification:", "type:", "volume:", "file:", "1951-09"):
        assert needle in body, needle


def test_welcome_on_empty_query(client):
    body = client.get("/").get_data(as_text=True)
    assert "Search the diplomatic telegrams" in body
    assert 'href="/search?q=Soviet+Government+should"' in body


def test_query_error_is_shown_with_400(client):
    response = client.get("/search?q=shld&page=abc")
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'role="alert"' in body and "page must be a whole number" in body
    assert 'value="shld"' in body


def test_did_you_mean(client):
    body = client.get("/search?q=armistise").get_data(as_text=True)
    assert "Did you mean" in body and 'href="/search?q=armistice"' in body


def test_paging(client):
    body = client.get("/search?q=armistice&page=1").get_data(as_text=True)
    data = client.get("/api/search?q=armistice").get_json()
    if data["total"] > 10:
        assert 'aria-label="Result pages"' in body and 'rel="next"' in body
    second = client.get("/search?q=armistice&page=2").get_data(as_text=True)
    assert 'ol class="hits" start="11"' in second or "No hits on this page" in second or data["total"] <= 10


@pytest.mark.parametrize(
    "current,last,expected",
    [
        (1, 1, [1]),
        (1, 3, [1, 2, 3]),
        (1, 10, [1, 2, 3, None, 10]),
        (5, 10, [1, None, 3, 4, 5, 6, 7, None, 10]),
        (10, 10, [1, None, 8, 9, 10]),
    ],
)
def test_page_numbers(current, last, expected):
    assert page_numbers(current, last) == expected


@pytest.mark.parametrize(
    "path",
    [
        "/doc/../../etc/passwd",
        "/doc/..%2F..%2Fetc%2Fpasswd",
        "/doc/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/doc/..%252F..%252Fetc%252Fpasswd",
        "/doc/..",
        "/doc/.hidden",
        "/doc/%2e%2e",
        "/doc/..%5C..%5Cetc%5Cpasswd",
        "/doc/a%00b",
        "/api/doc/..%2F..%2Fetc%2Fpasswd",
        "/api/doc/..",
    ],
)
def test_traversal_is_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert b"root:" not in response.data


def test_unknown_document_page_is_helpful(client):
    response = client.get("/doc/no-such-doc")
    body = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "There is no document" in body and 'href="/search">Go to the search page' in body


def test_hostile_document_is_escaped_everywhere(client):
    pages = [
        client.get("/search?q=Embassy+received").get_data(as_text=True),
        client.get("/doc/evil?q=alert").get_data(as_text=True),
        client.get("/search?q=Evilsender").get_data(as_text=True),
    ]
    assert "evil" in pages[0]
    for body in pages:
        assert "<script>alert" not in body
        assert "<img src=x" not in body
        assert ">49<" not in body and " 49 " not in body
        assert "{{ 7*7 }}" in body
    doc = pages[1]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in doc
    assert "{% if true %}yes{% endif %}" in doc


def test_api_of_hostile_document_is_json_escaped_text(client):
    data = client.get("/api/doc/evil").get_json()
    assert "<script>alert(1)</script>" in data["paragraphs"][0]["text"]
    hits = client.get("/api/search?q=Embassy+received").get_json()["hits"]
    assert hits and "<script>" not in hits[0]["snippet"]


@pytest.mark.parametrize(
    "q",
    ["<script>alert(1)</script>", '"><script>alert(1)</script>', "{{ 7*7 }}", "shld <b>x</b>", "'; DROP TABLE x; --", "%00", "\u202eevil"],
)
def test_hostile_query_is_escaped(client, q):
    for url in ("/search", f"/doc/{SEED_ID}", "/abbreviations"):
        response = client.get(url, query_string={"q": q})
        body = response.get_data(as_text=True)
        assert response.status_code in (200, 400)
        assert "<script>alert" not in body and "<b>x</b>" not in body
        assert ">49<" not in body


def test_missing_index_says_what_to_run(tmp_path):
    app = create_app({"TESTING": True, "SEARCHAPP_INDEX": str(tmp_path / "none")})
    client = app.test_client()
    response = client.get("/search?q=shld")
    body = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "searchapp build" in body and "Traceback" not in body
    api = client.get("/api/search?q=shld")
    assert api.status_code == 503 and "searchapp build" in api.get_json()["error"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_server_errors_render_the_error_page(app):
    @app.route("/boom")
    def boom():
        raise RuntimeError("secret detail")

    app.config["TESTING"] = False
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().get("/boom")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Server error" in body and "secret detail" not in body and "Traceback" not in body


def test_settings_come_from_the_environment(monkeypatch, web_index):
    monkeypatch.setenv("SEARCHAPP_INDEX", str(web_index))
    monkeypatch.setenv("SEARCHAPP_SECRET_KEY", "from-env")
    app = create_app()
    assert app.config["SEARCHAPP_INDEX"] == str(web_index)
    assert app.config["SECRET_KEY"] == "from-env"
    assert not app.debug
    assert create_app({"SEARCHAPP_INDEX": "elsewhere"}).config["SEARCHAPP_INDEX"] == "elsewhere"


def test_serve_builds_a_missing_index_then_serves(runner, monkeypatch, tmp_path):
    from searchapp import server
    from searchapp.cli import main

    from .conftest import write_web_corpus

    corpus = write_web_corpus(tmp_path / "corpus")
    served = {}
    monkeypatch.setattr(server, "serve", lambda app, **kw: served.update(app=app, **kw))
    result = runner.invoke(main, ["serve", "--corpus", str(corpus), "--index", str(tmp_path / "index"), "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert "Building the index" in result.output and "Indexed 4 documents" in result.output
    assert "http://127.0.0.1:8123/" in result.output
    assert served["host"] == "127.0.0.1" and served["port"] == 8123
    assert served["app"].test_client().get("/search?q=shld").status_code == 200
    # second start: the index is current, nothing is rebuilt
    again = runner.invoke(main, ["serve", "--corpus", str(corpus), "--index", str(tmp_path / "index"), "--port", "8123"])
    assert again.exit_code == 0 and "Building" not in again.output
