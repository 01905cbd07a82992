"""The search page and the embeddable widget in a real browser (Debian's chromium, driven by Playwright).

The API is a real `kb serve` over the bundled corpus plus two probe documents;
the widget's host pages are served by a plain HTTP server on other ports, so
the widget really crosses origins (one allowed by KB_CORS_ORIGINS, one not).
Screenshots land in tests/artifacts/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path

import pytest

from conftest import CORPUS, KBServer, ingest_into, write

CHROMIUM = os.environ.get("PANEL_KB_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
# As on an offline intranet: no background calls home, no sandbox (CI runs as root).
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]

if not (Path(CHROMIUM).exists() and shutil.which(CHROMIUM)):
    if os.environ.get("PANEL_KB_REQUIRE_BROWSER"):
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install chromium` (CI requires the browser tests)", pytrace=False)
    pytest.skip(f"{CHROMIUM} is missing: `apt-get install chromium` to run the browser tests", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

XSS_PANEL = """---
title: Security probe <img src=x onerror="window.__xss=1">
url: javascript:window.__xss=2
---
Priya Raman: Zebra crossing reviews found <script>window.__xss=3</script> inside a transcript.
Tom Becker: And an image tag <img src=x onerror="window.__xss=4"> about zebra crossing signage, which must stay text.
"""

LINKED_PANEL = """---
title: Lighthouse keepers panel
url: {url}
---
[00:00:05] Ines Moreau: Lighthouse keepers kept a logbook of every storm, which is how we write incident timelines now.
[00:01:10] Karl Lund: The logbook habit of lighthouse keepers made our postmortems calmer.
"""


def _http_server(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):
    """(api url, allowed host page url, denied host page url) with everything running."""
    root = tmp_path_factory.mktemp("web")
    hosts = root / "hosts"
    hosts.mkdir()
    allowed, allowed_url = _http_server(hosts)
    denied, denied_url = _http_server(hosts)
    data = root / "kb"
    assert ingest_into(data, [CORPUS]).failed == 0
    write(root / "probes" / "xss-panel.txt", XSS_PANEL)
    write(root / "probes" / "lighthouse-panel.txt", LINKED_PANEL.format(url=f"{allowed_url}/recordings/lighthouse.mp4"))
    assert ingest_into(data, [root / "probes"], kind="transcript").failed == 0
    api = KBServer(data, KB_CORS_ORIGINS=allowed_url)
    host_page = f"""<!doctype html><html><head><title>Team intranet</title>
<style>input {{ background: rgb(255, 0, 0); }} li {{ color: rgb(255, 0, 0); }} body {{ font-family: serif; }}</style>
<script src="{api.url}/widget.js" defer></script></head>
<body><h1>Engineering handbook</h1>
<kb-search id="ask" mode="ask" top-k="3" placeholder="Ask the panel archive" style="--kb-accent: rgb(0, 128, 0)"></kb-search>
<kb-search id="probe" kind="transcript"></kb-search></body></html>"""
    (hosts / "intranet.html").write_text(host_page, encoding="utf-8")
    yield api.url, f"{allowed_url}/intranet.html", f"{denied_url}/intranet.html"
    api.stop()
    allowed.shutdown()
    denied.shutdown()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    context.close()
    assert not errors, errors  # no uncaught script errors on any page


def _widget_search(page, url: str, widget_id: str, text: str):
    """Open a host page, type into one <kb-search> (Playwright reaches into open shadow roots) and submit."""
    page.goto(url)
    widget = page.locator(f"#{widget_id}")
    widget.locator("input").fill(text)
    widget.locator("input").press("Enter")
    return widget


def _search(page, text: str) -> None:
    page.fill("#q", text)
    page.press("#q", "Enter")
    page.wait_for_selector("#results li")


def test_page_answers_with_clickable_citations(site, page) -> None:
    api, _, _ = site
    page.goto(api + "/")
    expect(page.locator("#store-size")).to_contain_text("documents")
    _search(page, "what do staff engineers do differently")
    answer = page.inner_text("#answer-text")
    assert "[1]" in answer and len(answer.split()) > 20
    cites = page.locator("#answer-text a.cite")
    assert cites.count() >= 2
    for n in page.eval_on_selector_all("#answer-text a.cite", "links => links.map(a => a.textContent.slice(1, -1))"):
        assert page.locator(f"#source-{n}").count() == 1  # every [n] points at a shown passage
    transcript = page.locator("#results li", has_text="What staff engineers do differently").first
    assert transcript.locator(".where").inner_text().count(":") >= 2  # speaker and hh:mm:ss
    assert page.locator("#results mark").count() > 0 and "staff" in page.locator("#results mark").first.inner_text().lower()
    cites.first.click()
    expect(page.locator("#source-1")).to_be_focused()
    assert "q=what+do+staff" in page.url
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "search-page.png"), full_page=True)


def test_page_keyboard_moves_through_results_and_opens_sources(site, page) -> None:
    api, _, _ = site
    page.goto(api + "/")
    page.click("footer")  # focus leaves the search box
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type("lighthouse keepers logbook")
    page.keyboard.press("Enter")
    page.wait_for_selector("#results li")
    page.keyboard.press("ArrowDown")
    first = page.evaluate("document.activeElement === document.querySelector('#results li')")
    assert first
    if page.locator("#results li").count() > 1:
        page.keyboard.press("ArrowDown")
        assert page.evaluate("document.activeElement === document.querySelectorAll('#results li')[1]")
        page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.press("ArrowDown")
    linked = page.evaluate("document.activeElement.dataset.href")
    assert linked and linked.endswith("/recordings/lighthouse.mp4#t=5")
    with page.expect_popup() as popup:
        page.keyboard.press("Enter")
    assert popup.value.url.endswith("#t=5")


def test_page_filters_by_kind_and_speaker(site, page) -> None:
    api, _, _ = site
    page.goto(api + "/")
    page.wait_for_selector("#speaker option:nth-child(10)", state="attached")
    speakers = page.eval_on_selector_all("#speaker option", "options => options.map(o => o.value)")
    assert {"Maya Chen", "Daniel Okafor", "Chloe Dubois"} <= set(speakers)
    page.select_option("#kind", "essay")
    _search(page, "how do I get promoted to staff")
    assert set(page.eval_on_selector_all("#results .badge", "b => b.map(x => x.textContent)")) == {"essay"}
    page.select_option("#kind", "")
    with page.expect_response("**/v1/search"):
        page.select_option("#speaker", "Daniel Okafor")
    assert "speaker=Daniel+Okafor" in page.url
    expect(page.locator("#results li").filter(has_not_text="Daniel Okafor")).to_have_count(0)
    assert page.locator("#results li").count() >= 1


def test_xss_probe_renders_inert_on_the_page(site, page) -> None:
    api, _, _ = site
    page.goto(api + "/?q=zebra+crossing+signage")
    page.wait_for_selector("#results li")
    probe = page.locator("#results li", has_text="Security probe").first
    assert "<script>window.__xss=3</script>" in probe.inner_text()
    assert '<img src=x onerror="window.__xss=1">' in probe.inner_text()  # the title, as text
    assert probe.locator("a").count() == 0  # a javascript: url is never made a link
    assert page.locator("#results script, #results img, #answer script, #answer img").count() == 0
    page.wait_for_timeout(300)
    assert page.evaluate("window.__xss") is None


def test_empty_store_and_unreachable_server_states(tmp_path: Path, page) -> None:
    api = KBServer(tmp_path / "empty-kb")
    try:
        page.goto(api.url + "/")
        expect(page.locator("#status")).to_contain_text("empty")
        with page.expect_response("**/v1/search"):
            _search_no_wait(page, "anything at all")
        expect(page.locator("#status")).to_contain_text("empty: nothing to search yet")
    finally:
        api.stop()
    _search_no_wait(page, "after the server stopped")
    page.wait_for_selector("#status.error")
    assert "cannot be reached" in page.inner_text("#status")


def _search_no_wait(page, text: str) -> None:
    page.fill("#q", text)
    page.press("#q", "Enter")


def test_widget_works_across_origins_and_keeps_styles_apart(site, page) -> None:
    api, allowed, _ = site
    page.goto(allowed)
    widget = page.locator("#ask")
    assert widget.locator("input").get_attribute("placeholder") == "Ask the panel archive"
    assert widget.locator("label").text_content() == "Search the knowledge base"
    widget.locator("input").fill("what do staff engineers do differently")
    widget.locator("input").press("Enter")
    widget.locator("li").first.wait_for()
    assert "[1]" in widget.locator(".answer").inner_text()
    assert 1 <= widget.locator("li").count() <= 3
    styles = page.evaluate("""() => {
        const root = document.querySelector('#ask').shadowRoot;
        const css = (el, p) => getComputedStyle(el)[p];
        return {input: css(root.querySelector('input'), 'backgroundColor'), button: css(root.querySelector('button'), 'backgroundColor'),
                item: css(root.querySelector('li'), 'color'), live: root.querySelector('.status').getAttribute('aria-live'),
                lightMarks: document.querySelectorAll('mark').length, heading: css(document.querySelector('h1'), 'fontFamily')}
    }""")
    assert styles["input"] != "rgb(255, 0, 0)" and styles["item"] != "rgb(255, 0, 0)"  # the host's CSS stays out
    assert styles["button"] == "rgb(0, 128, 0)"  # themed by a custom property
    assert styles["live"] == "polite" and styles["lightMarks"] == 0 and "serif" in styles["heading"]
    widget.locator("li a").first.focus()
    assert page.evaluate("document.querySelector('#ask').shadowRoot.activeElement.tagName") == "A"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "widget.png"), full_page=True)
    assert api in page.evaluate("document.querySelector('script').src")


def test_widget_renders_the_xss_probe_as_text(site, page) -> None:
    _, allowed, _ = site
    probe = _widget_search(page, allowed, "probe", "zebra crossing signage")
    probe.locator("li", has_text="Security probe").first.wait_for()
    assert "<script>window.__xss=3</script>" in probe.locator("li", has_text="Security probe").first.inner_text()
    assert page.evaluate("document.querySelector('#probe').shadowRoot.querySelectorAll('ol script, ol img').length") == 0
    assert not page.evaluate("[...document.querySelector('#probe').shadowRoot.querySelectorAll('a')].some(a => a.href.startsWith('javascript:'))")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__xss") is None


def test_widget_on_an_origin_not_allowed_gets_no_data(site, page) -> None:
    _, _, denied = site
    widget = _widget_search(page, denied, "ask", "what do staff engineers do differently")
    expect(widget.locator(".status")).to_contain_text("cannot be reached")
    assert widget.locator("li").count() == 0


def test_page_asks_once_for_the_read_key_when_the_server_wants_one(tmp_path: Path, page) -> None:
    data = tmp_path / "guarded-kb"
    write(tmp_path / "probes" / "lighthouse-panel.txt", LINKED_PANEL.format(url="https://media.example/lighthouse.mp4"))
    assert ingest_into(data, [tmp_path / "probes"], kind="transcript").failed == 0
    api = KBServer(data, KB_READ_KEY="reader-key")
    prompts: list[str] = []

    def answer(dialog) -> None:
        prompts.append(dialog.message)
        dialog.accept("reader-key")

    page.on("dialog", answer)
    try:
        page.goto(api.url + "/")
        page.wait_for_selector("#speaker option[value='Ines Moreau']", state="attached")
        _search(page, "lighthouse keepers logbook")
        assert "Lighthouse keepers panel" in page.inner_text("#results")
    finally:
        api.stop()
    assert len(prompts) == 1 and "KB_READ_KEY" in prompts[0]


def test_api_docs_render_with_no_network_beyond_the_server(site, page) -> None:
    api, _, _ = site
    outside: list[str] = []

    def only_local(route) -> None:
        if route.request.url.startswith(api) or route.request.url.startswith("data:"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    page.goto(api + "/docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=20_000)
    assert page.locator(".swagger-ui .opblock").count() >= 7  # every endpoint listed
    assert "panel-kb" in page.inner_text(".swagger-ui .info")
    assert page.locator("text=Unable to render this definition").count() == 0
    assert outside == []
