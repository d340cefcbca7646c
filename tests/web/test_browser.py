"""Real browser tests: the app served by waitress on loopback, driven in headless Chromium
(Debian's ``chromium`` through Playwright's ``executable_path``; no browser is downloaded).

Screenshots go to ``tests/artifacts/`` (git-ignored). Without chromium these tests are
skipped, unless ``SEARCHAPP_REQUIRE_BROWSER=1`` (CI), where they fail.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest

from searchapp import create_app

from .conftest import SEED_ID

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


def _chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        if os.environ.get("SEARCHAPP_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium is not installed (SEARCHAPP_REQUIRE_BROWSER=1)")
        pytest.skip("chromium is not installed")
    return path


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    from waitress import create_server

    from searchapp.indexer import build_index

    from .conftest import write_web_corpus

    root = tmp_path_factory.mktemp("browser")
    build_index(write_web_corpus(root / "corpus"), root / "index")
    app = create_app({"SEARCHAPP_INDEX": str(root / "index")})
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser():
    executable = _chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == [], errors  # no CSP violations, no script errors


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)


def in_viewport(page, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    view = page.viewport_size
    return box is not None and box["y"] < view["height"] and box["y"] + box["height"] > 0


def test_search_click_hit_land_on_paragraph(page, base_url):
    page.goto(base_url + "/")
    page.get_by_label("Search the telegrams").fill("Soviet Government should")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/search?q=Soviet+Government+should*")
    assert page.locator(".snippet mark").count() > 0
    assert "Sov Govt" in page.locator(".snippet mark").all_inner_texts()
    shot(page, "01-results")

    # abbreviations in snippets are reachable by keyboard and show their expansion on focus
    abbr = page.locator('.snippet abbr[title="should"]').first
    assert abbr.evaluate("el => el.tabIndex") == 0
    abbr.focus()
    shown = abbr.evaluate("el => getComputedStyle(el, '::after').content")
    assert "should" in shown

    first = page.locator(f'.hit-title a[href^="/doc/{SEED_ID}"]').first
    href = first.get_attribute("href")
    assert href.startswith(f"/doc/{SEED_ID}?q=") and "#p" in href
    anchor = href.split("#", 1)[1]
    first.click()
    page.wait_for_url(f"**/doc/{SEED_ID}*#{anchor}")
    target = f"#{anchor}"
    assert in_viewport(page, target)
    assert page.locator(target).evaluate("el => el.matches(':target')")
    background = page.locator(target).evaluate("el => getComputedStyle(el).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")
    assert page.locator(f"{target} mark").count() > 0
    shot(page, "02-document-target")

    page.go_back()
    page.wait_for_url("**/search?q=Soviet+Government+should*")
    assert page.get_by_label("Search the telegrams").input_value() == "Soviet Government should"


def test_next_and_previous_match(page, base_url):
    page.goto(f"{base_url}/doc/{SEED_ID}?q=shld#p1")
    marks = page.locator(".document mark")
    assert marks.count() > 3
    page.keyboard.press("n")
    first = page.evaluate("document.activeElement.outerHTML")
    assert "current" in page.evaluate("document.activeElement.className")
    y1 = page.evaluate("document.activeElement.getBoundingClientRect().top")
    page.keyboard.press("n")
    page.keyboard.press("n")
    second_index = page.evaluate("Array.from(document.querySelectorAll('.document mark')).indexOf(document.activeElement)")
    assert second_index >= 2
    assert page.evaluate("document.activeElement.tagName") == "MARK"
    assert page.evaluate("(() => { const r = document.activeElement.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; })()")
    page.keyboard.press("p")
    back_index = page.evaluate("Array.from(document.querySelectorAll('.document mark')).indexOf(document.activeElement)")
    assert back_index == second_index - 1
    page.get_by_role("link", name="↓ Next match").click()
    assert page.evaluate("Array.from(document.querySelectorAll('.document mark')).indexOf(document.activeElement)") == second_index
    page.get_by_role("link", name="↑ Previous match").click()
    assert page.evaluate("Array.from(document.querySelectorAll('.document mark')).indexOf(document.activeElement)") == back_index
    assert "Match" in page.locator("#match-status").inner_text()
    assert first and y1 is not None
    shot(page, "03-match-navigation")


def test_toggle_expansions(page, base_url):
    page.goto(f"{base_url}/doc/{SEED_ID}?q=shld")
    expansion = page.locator(".expansion", has_text="[should]").first
    assert not expansion.is_visible()
    page.locator("#toggle-expansions").click()
    assert expansion.is_visible()
    assert "[should]" in page.locator(".doc-body").inner_text()
    assert "expand=1" in page.url
    shot(page, "04-expansions")
    page.locator("#toggle-expansions").click()
    assert not expansion.is_visible()


def test_toggle_without_javascript(browser, base_url):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{base_url}/doc/{SEED_ID}?q=shld")
    page.locator("#toggle-expansions").click()
    page.wait_for_url("**expand=1*")
    assert page.locator(".expansion", has_text="[should]").first.is_visible()
    context.close()


def test_glossary_filters_live(page, base_url):
    page.goto(base_url + "/abbreviations")
    rows = page.locator("#glossary tbody tr:visible")
    before = rows.count()
    page.get_by_label("Filter abbreviations").fill("shld")
    after = rows.count()
    assert 1 <= after < before
    assert "should" in page.locator("#glossary tbody tr:visible").first.inner_text()
    shot(page, "05-glossary")


@pytest.mark.parametrize(
    "path,name",
    [("/search?q=Soviet+Government+should", "06-phone-results"), (f"/doc/{SEED_ID}?q=shld#p4", "07-phone-document"),
     ("/abbreviations", "08-phone-glossary"), ("/", "09-phone-home"), ("/tips", "10-phone-tips")],
)
def test_phone_width_has_no_horizontal_scroll(browser, base_url, path, name):
    context = browser.new_context(viewport={"width": 375, "height": 740}, device_scale_factor=1)
    page = context.new_page()
    page.goto(base_url + path)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    shot(page, name)
    context.close()
    assert overflow <= 0
