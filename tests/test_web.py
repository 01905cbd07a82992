"""The search page and the embeddable widget in a real browser (Debian's chromium, driven by Playwright).

The API is a real `kb serve` over the bundled corpus plus two probe documents;
the widget's host pages are served by a plain HTTP server on other ports, so
the widget really crosses origins (one allowed by KB_CORS_ORIGINS, one not).
Screenshots land in a temp folder ($PANEL_KB_SCREENSHOTS, else <tmp>/panel-kb-screenshots) for a person
to look at: the page, an answer's [n] clicked, the context view of a transcript, a PDF and notes, and
the widget on a plain and on a themed host page.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import socket
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import CORPUS, KBServer, ingest_into, write

CHROMIUM = os.environ.get("PANEL_KB_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("PANEL_KB_SCREENSHOTS") or Path(tempfile.gettempdir()) / "panel-kb-screenshots")
# As on an offline intranet: no background calls home, no sandbox (CI runs as root).
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

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


# Every theming variable the widget documents, each with a value no default has.
THEME_VALUES = {
    "--kb-font": "Georgia, serif",
    "--kb-text": "rgb(43, 33, 24)",
    "--kb-muted": "rgb(107, 93, 69)",
    "--kb-background": "rgb(255, 250, 240)",
    "--kb-border": "rgb(185, 169, 138)",
    "--kb-accent": "rgb(0, 110, 80)",
    "--kb-mark": "rgb(216, 240, 224)",
    "--kb-radius": "3px",
}
THEME = "; ".join(f"{name}: {value}" for name, value in THEME_VALUES.items())


def _http_server(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@dataclass
class Site:
    api: str
    allowed: str  # the host page on an origin in KB_CORS_ORIGINS
    denied: str  # the same page on an origin that is not
    themed: str  # a host page setting every theming variable
    log: Path  # kb serve's log
    denied_origin: str


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):
    """The served corpus and its host pages, everything running."""
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
    with socket.socket() as closed:  # a port nobody listens on: a server that is down
        closed.bind(("127.0.0.1", 0))
        down = f"http://127.0.0.1:{closed.getsockname()[1]}"
    host_page = f"""<!doctype html><html><head><title>Team intranet</title>
<style>input {{ background: rgb(255, 0, 0); }} li {{ color: rgb(255, 0, 0); }} body {{ font-family: serif; }}</style>
<script src="{api.url}/widget.js" defer></script></head>
<body><h1>Engineering handbook</h1>
<kb-search id="ask" mode="ask" top-k="3" placeholder="Ask the panel archive" style="--kb-accent: rgb(0, 128, 0)"></kb-search>
<kb-search id="probe" kind="transcript"></kb-search>
<kb-search id="down" api="{down}"></kb-search></body></html>"""
    (hosts / "intranet.html").write_text(host_page, encoding="utf-8")
    themed = f"""<!doctype html><html><head><title>Handbook, themed</title>
<style>body {{ background: rgb(244, 239, 230); max-width: 760px; margin: 30px auto; font-family: Georgia, serif; }}</style>
<script src="{api.url}/widget.js" defer></script></head>
<body><h1>Engineering handbook</h1>
<kb-search id="themed" mode="ask" top-k="3" style="{THEME}"></kb-search></body></html>"""
    (hosts / "themed.html").write_text(themed, encoding="utf-8")
    yield Site(api.url, f"{allowed_url}/intranet.html", f"{denied_url}/intranet.html", f"{allowed_url}/themed.html", api.log, denied_url)
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


def _screenshot(page, name: str, full_page: bool = True) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=full_page)


def _in_view(page, locator) -> bool:
    """Whether the element's box lies inside the viewport (works inside shadow roots)."""
    return locator.evaluate("el => { const r = el.getBoundingClientRect(); return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight; }")


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


def _search(page, text: str) -> None:
    page.fill("#q", text)
    page.press("#q", "Enter")
    try:
        page.wait_for_selector("#results li", timeout=15_000)
    except Exception:
        raise AssertionError(
            f"no results: status {page.inner_text('#status')!r}, url {page.url}, busy {page.get_attribute('body', 'aria-busy')}"
        ) from None


def test_page_answers_with_clickable_citations(site, page) -> None:
    api = site.api
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
    assert page.locator("#results mark:not(.quote)").count() > 0 and "staff" in page.locator("#results mark:not(.quote)").first.inner_text().lower()
    cites.first.click()
    expect(page.locator("#source-1")).to_be_focused()
    assert "q=what+do+staff" in page.url
    _screenshot(page, "search-page.png")


def test_page_keyboard_moves_through_results_and_opens_sources(site, page) -> None:
    api = site.api
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
    api = site.api
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
    api = site.api
    page.goto(api + "/?q=zebra+crossing+signage")
    page.wait_for_selector("#results li")
    probe = page.locator("#results li", has_text="Security probe").first
    assert "<script>window.__xss=3</script>" in probe.inner_text()
    assert '<img src=x onerror="window.__xss=1">' in probe.inner_text()  # the title, as text
    assert (
        probe.locator("a:not(.person)").count() == 1 and probe.locator("a.context").count() == 1
    )  # the context view, and no javascript: url made a link
    people = probe.locator("a.person").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert people and all(href.startswith("/person/") for href in people)  # each speaker's page, nothing else
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
    api, allowed = site.api, site.allowed
    page.goto(allowed)
    widget = page.locator("#ask")
    assert widget.locator("input").get_attribute("placeholder") == "Ask the panel archive"
    assert widget.locator("label").text_content() == "Search the knowledge base"
    widget.locator("input").fill("what do staff engineers do differently")
    widget.locator("input").press("Enter")
    widget.locator("li").first.wait_for()
    assert "[1]" in widget.locator(".answer").inner_text()
    assert widget.locator(".answer p.label").text_content() == "Answer"  # labelled as an answer, not as a search's results
    cited = widget.locator("li").count()
    assert 1 <= cited <= 3
    expect(widget.locator(".status")).to_have_text(f"Answer from {cited} source{'s' if cited > 1 else ''}.")
    styles = page.evaluate("""() => {
        const root = document.querySelector('#ask').shadowRoot;
        const css = (el, p) => getComputedStyle(el)[p];
        return {input: css(root.querySelector('input'), 'backgroundColor'), button: css(root.querySelector('button.go'), 'backgroundColor'),
                item: css(root.querySelector('li'), 'color'), live: root.querySelector('.status').getAttribute('aria-live'),
                lightMarks: document.querySelectorAll('mark').length, heading: css(document.querySelector('h1'), 'fontFamily')}
    }""")
    assert styles["input"] != "rgb(255, 0, 0)" and styles["item"] != "rgb(255, 0, 0)"  # the host's CSS stays out
    assert styles["button"] == "rgb(0, 128, 0)"  # themed by a custom property
    assert styles["live"] == "polite" and styles["lightMarks"] == 0 and "serif" in styles["heading"]
    widget.locator("li a").first.focus()
    assert page.evaluate("document.querySelector('#ask').shadowRoot.activeElement.tagName") == "A"
    _screenshot(page, "widget-plain-host.png")
    assert api in page.evaluate("document.querySelector('script').src")


def test_widget_renders_the_xss_probe_as_text(site, page) -> None:
    allowed = site.allowed
    probe = _widget_search(page, allowed, "probe", "zebra crossing signage")
    probe.locator("li", has_text="Security probe").first.wait_for()
    assert "<script>window.__xss=3</script>" in probe.locator("li", has_text="Security probe").first.inner_text()
    assert page.evaluate("document.querySelector('#probe').shadowRoot.querySelectorAll('ol script, ol img').length") == 0
    assert not page.evaluate("[...document.querySelector('#probe').shadowRoot.querySelectorAll('a')].some(a => a.href.startsWith('javascript:'))")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__xss") is None


def test_widget_errors_name_the_cause_and_the_server_logs_the_refused_origin(site, page) -> None:
    widget = _widget_search(page, site.denied, "ask", "what do staff engineers do differently")
    expect(widget.locator(".status")).to_contain_text("refused this page")
    said = widget.locator(".status").inner_text()
    assert f"add {site.denied_origin} to KB_CORS_ORIGINS" in said and widget.locator("li").count() == 0
    down = _widget_search(page, site.allowed, "down", "anything")
    expect(down.locator(".status")).to_contain_text("cannot be reached")
    said = down.locator(".status").inner_text()
    assert "server is down" in said and "KB_CORS_ORIGINS" in said  # both causes, since the browser hides which
    _widget_search(page, site.denied, "ask", "a second try")
    expect(page.locator("#ask").locator(".status")).to_contain_text("refused this page")
    log = site.log.read_text()
    assert log.count(f"refused cross-origin request from {site.denied_origin}: add it to KB_CORS_ORIGINS") == 1


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
    api = site.api
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


SPONSOR_QUESTION = "how do I find a sponsor"


def _asked(api: str, question: str, **filters: str) -> dict:
    """The answer the page gets for the same question (the page asks with top_k 5)."""
    import httpx

    return httpx.post(f"{api}/v1/ask", json={"question": question, "top_k": 5, "filters": filters or None}, timeout=60).json()


def test_each_citation_marker_brings_its_quoted_words_into_view(site, page) -> None:
    answer = _asked(site.api, SPONSOR_QUESTION)
    page.goto(site.api + "/")
    _search(page, SPONSOR_QUESTION)
    for citation in answer["citations"]:
        n = citation["n"]
        page.locator("#answer-text a.cite", has_text=f"[{n}]").first.click()
        card = page.locator(f"#source-{n}")
        expect(card).to_be_focused()
        marks = card.locator("mark.quote")
        assert marks.count() >= len(citation["quotes"])  # every quoted sentence shown in the cut card, marked
        assert _in_view(page, marks.first), n
        expect(marks.first).to_have_class(re.compile(r"\bflash\b"))  # the quoted words flash, not the whole card
        assert "flash" not in (card.get_attribute("class") or "").split()
        shown = _words(" ".join(marks.all_inner_texts()))
        for quote in citation["quotes"]:
            said = _words(quote["text"])
            assert said[0] in shown and said[-1] in shown and set(said) <= set(shown), quote["text"]
    _screenshot(page, "search-page-citation-clicked.png", full_page=False)


def test_cards_expand_and_collapse_by_click_and_cut_at_word_boundaries(site, page) -> None:
    page.goto(site.api + "/")
    _search(page, SPONSOR_QUESTION)
    card = page.locator("#results li", has=page.locator("button.more")).first
    cut = card.locator(".text").inner_text()
    card.locator(".text").click()
    expect(card.locator("button.more")).to_have_attribute("aria-expanded", "true")
    whole = card.locator(".text").inner_text()
    assert len(whole) > len(cut) and "…" not in whole and "…" in cut
    for piece in (p.strip() for p in cut.split("…")):
        if piece:  # each shown piece is the passage's own text, ending on a whole word
            at = whole.find(piece)
            assert at >= 0, piece
            after = whole[at + len(piece) : at + len(piece) + 1]
            assert after == "" or not after.isalnum(), (piece[-20:], after)
    card.locator(".meta").click()
    expect(card.locator("button.more")).to_have_attribute("aria-expanded", "false")
    assert card.locator(".text").inner_text() == cut
    card.locator("button.more").click()
    expect(card.locator("button.more")).to_have_text("Show less")


def test_the_context_view_opens_a_transcript_at_the_quoted_turn(site, page) -> None:
    first = _asked(site.api, SPONSOR_QUESTION)["citations"][0]
    page.goto(site.api + "/")
    _search(page, SPONSOR_QUESTION)
    page.locator("#source-1 a.context").click()
    page.wait_for_url("**/doc/**")
    quote = page.locator(".target mark.quote").first
    quote.wait_for()
    assert _in_view(page, quote)
    assert _words(quote.inner_text())[:4] == _words(first["quotes"][0]["text"])[:4]
    turn = page.locator(".target .turn", has=page.locator("mark.quote")).first
    assert turn.locator(".who").inner_text() == first["quotes"][0]["speaker"]
    assert turn.locator(".time").inner_text() == first["quotes"][0]["start"]
    assert page.locator(".turn").count() > 20  # the whole panel, not just the passage
    assert page.locator("h1").inner_text() == first["title"]
    _screenshot(page, "context-transcript.png", full_page=False)
    page.go_back()
    expect(page.locator("#source-1")).to_be_visible()  # the search is still there


def test_the_context_view_opens_at_a_moment_of_a_transcript(site, page) -> None:
    page.goto(f"{site.api}/doc/panels/sponsorship-in-practice.vtt?t=300")
    target = page.locator(".turn.target")
    target.wait_for()
    assert _in_view(page, target) and target.locator(".time").inner_text() <= "00:05:00"
    assert (
        page.evaluate(
            "(() => { const rows = [...document.querySelectorAll('.turn')]; const i = rows.findIndex(r => r.classList.contains('target')); return Number(rows[i + 1].dataset.start); })()"
        )
        > 300
    )


def _heading_before(page, selector: str, heading: str) -> str:
    """The text of the last `heading` element before the first `selector` element, in document order."""
    return page.evaluate(
        """([selector, heading]) => { const target = document.querySelector(selector); let found = "";
            for (const h of document.querySelectorAll(heading)) if (h.compareDocumentPosition(target) & Node.DOCUMENT_POSITION_FOLLOWING) found = h.textContent;
            return found; }""",
        [selector, heading],
    )


@pytest.mark.parametrize(
    ("doc_id", "query"),
    [("essays/four-ways-to-be-a-staff-engineer.pdf", "the solver archetype"), ("essays/feedback-that-lands.md", "how to receive feedback")],
)
def test_the_context_view_opens_a_pdf_at_its_page_and_notes_under_their_heading(site, page, doc_id: str, query: str) -> None:
    import httpx

    found = httpx.post(f"{site.api}/v1/search", json={"query": query, "top_k": 1, "filters": {"doc_id": doc_id}}).json()["results"][0]
    page.goto(site.api + "/")
    page.evaluate("([passage, query]) => { location.href = window.PanelKB.contextLink('', passage, query); }", [found, query])
    target = page.locator(".passage.target").first
    target.wait_for()
    assert _in_view(page, target)
    assert _words(page.locator(".passage.target").all_inner_texts()[0])[:6] == _words(found["text"])[:6]
    if found["page"]:
        assert _heading_before(page, ".passage.target", "h2.page") == f"Page {found['page']}"
        assert found["page"] > 1 or page.locator("h2.page").count() > 1
    else:
        assert _heading_before(page, ".passage.target", "h2.section, h3, h4") == found["section"].split(" > ")[-1]
    _screenshot(page, f"context-{doc_id.rsplit('.', 1)[-1]}.png", full_page=False)


def test_a_speaker_filter_marks_that_speakers_turns_in_every_card(site, page) -> None:
    page.goto(site.api + "/?q=how+do+sponsors+choose+whom+to+sponsor&speaker=Fatima+Zahra")
    page.wait_for_selector("#results li")
    assert all(line.startswith("Fatima Zahra, ") for line in page.locator("#answer-text p").all_inner_texts())
    cards = page.locator("#results li")
    for i in range(cards.count()):
        card = cards.nth(i)
        assert card.locator(".said-by").count() >= 1, card.inner_text()
        assert card.locator(".where").inner_text().startswith("Fatima Zahra")
    marked = page.locator("#results .said-by").all_inner_texts()
    # a line of hers opens with her name, or is shown from a cut in the middle of her turn (a quote deep in it)
    assert marked and all(t.startswith("Fatima Zahra: ") or not re.match(r"^[A-Z][\w.' -]*: ", t) for t in marked), marked
    assert not any(t.startswith("Fatima Zahra: ") for t in page.locator("#results .others").all_inner_texts())


def test_widget_citations_reveal_quotes_and_link_to_the_context_view(site, page) -> None:
    widget = _widget_search(page, site.allowed, "ask", SPONSOR_QUESTION)
    widget.locator("li").first.wait_for()
    widget.locator(".answer a").last.click()
    n = widget.locator(".answer a").last.inner_text().strip("[]")
    card = widget.locator(f"li[data-n='{n}']")
    assert _in_view(page, card.locator("mark.quote").first)
    context = card.locator("a.context")
    assert context.get_attribute("href").startswith(f"{site.api}/doc/")
    before = card.locator(".text").inner_text()
    if card.locator("button.more").count():
        card.locator(".text").click()
        assert len(card.locator(".text").inner_text()) > len(before)
    with page.expect_popup() as popup:
        context.click()
    popup.value.locator(".target mark.quote").first.wait_for()
    assert _in_view(popup.value, popup.value.locator(".target mark.quote").first)


def test_widget_applies_every_theming_variable(site, page) -> None:
    widget = _widget_search(page, site.themed, "themed", SPONSOR_QUESTION)
    widget.locator("li mark").first.wait_for()
    widget.locator("input").fill("typed")
    widget.locator("input").dispatch_event("input")
    styles = page.evaluate("""() => {
        const root = document.querySelector('#themed').shadowRoot, css = (selector, p) => getComputedStyle(root.querySelector(selector))[p];
        return {font: css('input', 'fontFamily'), text: css('.answer', 'color'), muted: css('.status', 'color'), background: css('input', 'backgroundColor'),
                border: css('li', 'borderTopColor'), accent: css('button.go', 'backgroundColor'), clear: css('button.clear', 'color'),
                context: css('a.context', 'color'), mark: css('li mark:not(.quote)', 'backgroundColor'), radius: css('input', 'borderTopLeftRadius')};
    }""")
    values = THEME_VALUES
    assert styles == {
        "font": values["--kb-font"],
        "text": values["--kb-text"],
        "muted": values["--kb-muted"],
        "background": values["--kb-background"],
        "border": values["--kb-border"],
        "accent": values["--kb-accent"],
        "clear": values["--kb-accent"],
        "context": values["--kb-accent"],
        "mark": values["--kb-mark"],
        "radius": values["--kb-radius"],
    }
    _screenshot(page, "widget-themed-host.png")
    widget.locator("button.clear").click()
    assert widget.locator("input").input_value() == "" and widget.locator("button.clear").is_hidden()


@pytest.mark.slow  # subprocesses and servers: in make test, not make quick
def test_a_streamed_generative_answer_renders_as_text_and_loads_nothing(tmp_path: Path, page) -> None:
    """A model writing HTML or a markdown image must not make the page or the widget fetch anything."""
    from llm_stub import ScriptedLLM, spoken

    stub = ScriptedLLM()
    hosts = tmp_path / "hosts"
    hosts.mkdir()
    host, host_url = _http_server(hosts)
    data = tmp_path / "kb"
    assert ingest_into(data, [CORPUS / "panels"]).failed == 0
    api = KBServer(data, KB_LLM_URL=stub.url, KB_CORS_ORIGINS=host_url)
    lure = stub.url.removesuffix("/v1")

    def reply(body: dict) -> str:
        (first, said), (second, also) = spoken(body, 1), spoken(body, 2)
        return (
            f'{first} says: {said} [1] <img src="{lure}/pixel.png"> ![chart]({lure}/chart.png) '
            f"<script>window.__llm=1</script> [1] {second} says: {also} [2]"
        )

    stub.script.reply, stub.script.word_delay = reply, 0.08
    (hosts / "ask.html").write_text(
        f'<!doctype html><script src="{api.url}/widget.js" defer></script><kb-search id="ask" mode="ask" top-k="3"></kb-search>', encoding="utf-8"
    )
    try:
        page.goto(api.url + "/")
        page.fill("#q", "how do I find a sponsor")
        page.press("#q", "Enter")
        draft = page.locator("#answer-text p.draft")
        expect(draft).to_contain_text("<img", timeout=15_000)  # the draft shows the model's words as it writes them
        _screenshot(page, "generative-draft.png")
        assert page.locator("#answer-text img, #answer-text script").count() == 0
        how = page.locator("#answer-text p.how")
        expect(how).to_contain_text("1 unsupported sentence left out", timeout=30_000)
        assert "<img" not in page.inner_text("#answer-text") and page.locator("#answer-text a.cite").count() >= 2
        _screenshot(page, "generative-final.png")
        widget = _widget_search(page, f"{host_url}/ask.html", "ask", "how do I find a sponsor")
        expect(widget.locator("p.draft")).to_contain_text("![chart]", timeout=15_000)
        expect(widget.locator("p.how")).to_contain_text("checked against the passage it cites", timeout=30_000)
        assert widget.locator("img, script").count() == 0
        assert page.evaluate("window.__llm") is None and stub.script.fetched == []
    finally:
        api.stop()
        host.shutdown()
        stub.stop()


def test_a_person_page_lists_their_lines_by_panel_links_each_to_its_moment_and_asks_only_them(site, page) -> None:
    page.goto(site.api + "/")
    _search(page, SPONSOR_QUESTION)
    name_link = page.locator("#results a.person").first
    name = name_link.inner_text()
    name_link.click()  # a person's name on a card opens their page
    page.wait_for_url("**/person/**")
    expect(page.locator("h1")).to_have_text(name)
    assert page.locator("#topics a.topic").count() >= 3
    blocks = page.locator("article.person-doc")
    assert blocks.count() >= 1
    first_line = blocks.first.locator(".person-lines li").first
    said = first_line.locator(".words").inner_text()
    when = first_line.locator("a.time").inner_text()
    _screenshot(page, "person.png")
    first_line.locator("a.time").click()  # the line in context, at its moment
    page.wait_for_url("**/doc/**")
    target = page.locator(".turn.target").first
    target.wait_for()
    assert target.locator(".who").inner_text() == name and target.locator(".time").inner_text() == when
    assert _words(said)[:5] == _words(target.locator(".words").inner_text())[:5]
    page.goto(site.api + "/person/maya%20CHEN")  # any spelling of a name they go by
    expect(page.locator("h1")).to_have_text("Maya Chen")
    page.fill("#q", "who sponsored you?")
    with page.expect_response("**/v1/ask/stream"):
        page.press("#q", "Enter")
    page.locator("#answer-sources li").first.wait_for()
    quoted = page.eval_on_selector_all("#answer-sources .said-by", "lines => lines.map(l => l.textContent)")
    others = page.eval_on_selector_all("#answer-sources .meta", "m => m.map(x => x.textContent)")
    assert quoted and all("Maya Chen" in meta for meta in others)
    page.goto(site.api + "/person/Nobody%20Here")
    expect(page.locator("#status")).to_contain_text("nobody here goes by")
