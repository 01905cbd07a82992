/* panel-kb search widget: <script src="https://kb.example/widget.js" defer></script><kb-search></kb-search>
 *
 * A custom element in a shadow root (the host page's CSS neither leaks in nor out) that talks to the
 * server it was loaded from, or to `api="..."`. Attributes: kind, speaker, top-k, placeholder,
 * mode="search|ask", key (a read key, when the server sets KB_READ_KEY). Theme with CSS custom
 * properties on the element: --kb-font, --kb-text, --kb-muted, --kb-background, --kb-border,
 * --kb-accent, --kb-mark, --kb-radius. Passage text is only ever inserted as text, never as HTML.
 * The search page (/) and the context view (/doc/...) use the same helpers through window.PanelKB.
 */
(() => {
  "use strict";
  const script = document.currentScript;
  const ORIGIN = script && script.src ? new URL(script.src, location.href).origin : location.origin;
  const STOP = new Set("the and for are but not you all any can had her was one our out has him his how its may new now old see two who did does doing what when where which while why with would could should about after again also been before being between both each from have into just more most other over same some such than that their them then there these they this those through under until very were will your yours".split(" "));

  /** Words of the query worth highlighting: 3+ letters, not stop words, regex-escaped. */
  function terms(query) {
    const words = ((query || "").toLowerCase().match(/[\p{L}\p{N}]{3,}/gu) || []).filter((w) => !STOP.has(w));
    return [...new Set(words)].map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  }

  function termPattern(query) {
    const words = terms(query);
    return words.length ? new RegExp(`(?<![\\p{L}\\p{N}])(?:${words.join("|")})[\\p{L}\\p{N}]*`, "giu") : null;
  }

  /** The text as text nodes, with the query's words (and their endings) in <mark>. */
  function highlighted(doc, text, query) {
    const fragment = doc.createDocumentFragment();
    const pattern = termPattern(query);
    let last = 0;
    for (const match of pattern ? text.matchAll(pattern) : []) {
      fragment.append(doc.createTextNode(text.slice(last, match.index)));
      fragment.append(element(doc, "mark", "", match[0]));
      last = match.index + match[0].length;
    }
    fragment.append(doc.createTextNode(text.slice(last)));
    return fragment;
  }

  function element(doc, tag, className, text) {
    const node = doc.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /** A quote's [start, end) span, given by the server in code points, as string (UTF-16) offsets. */
  function units(text, span) {
    const at = (cp) => Array.from(text).slice(0, cp).join("").length;
    return [at(span[0]), at(span[1])];
  }

  /** The spans an answer quotes in this passage, as string offsets, in reading order. */
  function quoteSpans(passage) {
    return (passage.quotes || []).filter((q) => q.span).map((q) => units(passage.text, q.span)).sort((a, b) => a[0] - b[0]);
  }

  const CONTEXT = 60; // characters kept around a quote in a cut card

  /** What a cut card shows, as [start, end) ranges at word boundaries: its opening when every quoted sentence is
   * in it, else each quoted sentence with a little of what surrounds it (its line's speaker when near); a card
   * with no quotes opens where the first query word is. */
  function excerpt(text, spans, query, limit, speaker) {
    if (text.length <= limit * 1.15) return [[0, text.length]];
    if (spans.length && spans[spans.length - 1][1] > limit) {
      const ranges = [];
      for (const [s, e] of spans) {
        const lineStart = text.lastIndexOf("\n", s - 1) + 1;
        const lineEnd = text.indexOf("\n", e) < 0 ? text.length : text.indexOf("\n", e);
        const from = s - lineStart <= 2 * CONTEXT ? lineStart : wordAfter(text, s - CONTEXT);
        const to = lineEnd - e <= CONTEXT ? lineEnd : wordBefore(text, e + CONTEXT);
        const previous = ranges[ranges.length - 1];
        if (previous && from - previous[1] <= CONTEXT) previous[1] = Math.max(previous[1], to);
        else ranges.push([from, to]);
      }
      return ranges;
    }
    const pattern = termPattern(query);
    const own = spans.length || !speaker ? -1 : speakerLine(text, speaker, pattern);
    const hit = own < 0 && pattern && pattern.exec(text);
    let start = 0;
    if (own > limit * 0.8) start = own; // a speaker filter: open at their line (on the query's words if one has them)
    else if (!spans.length && hit && hit.index + hit[0].length > limit * 0.8) start = wordAfter(text, hit.index - CONTEXT);
    return [[start, start + limit >= text.length ? text.length : wordBefore(text, start + limit)]];
  }

  /** Where the speaker's first line on the query's words starts (else their first line), or -1. */
  function speakerLine(text, speaker, pattern) {
    let first = -1, at = 0;
    for (const line of text.split("\n")) {
      if (line.startsWith(`${speaker}: `)) {
        if (first < 0) first = at;
        if (pattern) pattern.lastIndex = 0;
        if (pattern && pattern.test(line)) return at;
      }
      at += line.length + 1;
    }
    return first;
  }

  function wordAfter(text, at) {
    if (at <= 0) return 0;
    const next = text.slice(at).search(/\s/);
    return next < 0 ? at : at + next + 1;
  }

  function wordBefore(text, at) {
    if (at >= text.length) return text.length;
    const space = text.slice(0, at + 1).search(/\s\S*$/);
    return space > 0 ? space : at;
  }

  /** A passage's text (or the ranges of it a cut card shows) as nodes: quoted spans in <mark class="quote">, query
   * words in <mark>, "…" where text is left out, and with `speaker`, each line of theirs marked "said-by" and others'
   * lines "others". */
  function passageText(doc, passage, { query = "", speaker = "", ranges = null } = {}) {
    const text = passage.text, spans = quoteSpans(passage);
    const fragment = doc.createDocumentFragment();
    let shown = 0; // the end of the range before
    for (const [from, to] of ranges || [[0, text.length]]) {
      if (from > shown) fragment.append(shown === 0 ? "… " : gap(text, shown, from));
      let lineStart = 0;
      for (const line of text.split("\n")) {
        const lineEnd = lineStart + line.length;
        const a = Math.max(from, lineStart), b = Math.min(to, lineEnd);
        if (a < b || (line === "" && a === b && a > from && a < to)) {
          if (a > from) fragment.append("\n");
          fragment.append(lineNode(doc, passage, text, [a, b], spans, query, speaker));
        }
        lineStart = lineEnd + 1;
      }
      shown = to;
    }
    if (shown < text.length) fragment.append(" …");
    return fragment;
  }

  /** What marks text left out between two shown ranges: " … " within a line; across lines, "…" where a line is cut,
   * and a line of its own where whole lines are left out. */
  function gap(text, end, start) {
    const breaks = text.slice(end, start).split("\n").length - 1;
    if (!breaks) return " … ";
    return `${text[end] !== "\n" ? " …" : ""}\n${breaks > 1 ? "…\n" : ""}${text[start - 1] !== "\n" ? "… " : ""}`;
  }

  function lineNode(doc, passage, text, [a, b], spans, query, speaker) {
    const node = element(doc, "span", "line");
    const line = text.slice(text.lastIndexOf("\n", a - 1) + 1);
    const labels = passage.labels || {}; // a merged label in the text ("Adam: ") -> the person it is
    const label = [...(passage.speakers || []), ...Object.keys(labels)].find((name) => line.startsWith(`${name}: `));
    const who = label && (labels[label] || label);
    if (speaker && who) node.classList.add(who.toLowerCase() === speaker.toLowerCase() ? "said-by" : "others");
    let at = a;
    for (const [s, e] of spans.filter(([s, e]) => e > a && s < b)) {
      if (s > at) node.append(highlighted(doc, text.slice(at, s), query));
      node.append(element(doc, "mark", "quote", text.slice(Math.max(s, at), Math.min(e, b))));
      at = Math.min(e, b);
    }
    node.append(highlighted(doc, text.slice(at, b), query));
    return node;
  }

  function seconds(clock) {
    const [h, m, s] = clock.split(":").map(Number);
    return h * 3600 + m * 60 + s;
  }

  /** The passage's source: the document's url (http/https only), at the moment or page it cites. */
  function sourceLink(passage) {
    if (!passage.url) return null;
    let url;
    try {
      url = new URL(passage.url, location.href);
    } catch {
      return null;
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") return null;
    const start = (passage.quotes && passage.quotes.length && passage.quotes[0].start) || passage.start; // the quoted sentence's own time
    if (start) url.hash = `t=${seconds(start)}`;
    else if (passage.page) url.hash = `page=${passage.page}`;
    return url.href;
  }

  /** The context view of a passage on the server at `base`: its document, scrolled to it, quoted words marked. */
  function contextLink(base, passage, query) {
    const params = new URLSearchParams({ p: (passage.chunk_ids && passage.chunk_ids.length ? passage.chunk_ids : [passage.chunk_id]).join(",") });
    const spans = (passage.quotes || []).filter((q) => q.span).map((q) => q.span.join("-"));
    if (spans.length) params.set("hl", spans.join(","));
    if (query) params.set("q", query);
    return `${base}/doc/${passage.doc_id.split("/").map(encodeURIComponent).join("/")}?${params}`;
  }

  /** Who speaks in a passage, a filtered speaker first. */
  function speakerNames(passage, speaker) {
    const names = passage.speakers && passage.speakers.length > 1 ? passage.speakers : passage.speaker ? [passage.speaker] : [];
    if (!speaker) return names;
    const same = (n) => n.toLowerCase() === speaker.toLowerCase();
    return [...names.filter(same), ...names.filter((n) => !same(n))];
  }

  /** "Maya Chen · 00:12:31–00:13:40", "page 3" or the section path; a filtered speaker named first. */
  function where(passage, speaker) {
    const parts = [];
    const names = speakerNames(passage, speaker);
    if (names.length) parts.push(names.join(", "));
    if (passage.start) parts.push(passage.end && passage.end !== passage.start ? `${passage.start}–${passage.end}` : passage.start);
    if (passage.page) parts.push(`page ${passage.page}`);
    if (passage.section) parts.push(passage.section);
    return parts.join(" · ");
  }

  /** The person page of a name on the server at `base` ("" for this one). */
  function personLink(base, name) {
    return `${base}/person/${encodeURIComponent(name)}`;
  }

  /** `where()` as nodes: each person's name a link to their page on the server at `base`, the rest as text. */
  function whereNodes(doc, base, passage, speaker) {
    const fragment = doc.createDocumentFragment();
    const names = speakerNames(passage, speaker);
    names.forEach((name, i) => {
      if (i) fragment.append(", ");
      const a = element(doc, "a", "person", name);
      a.href = personLink(base, name);
      fragment.append(a);
    });
    const rest = where({ ...passage, speaker: null, speakers: [] }, "");
    if (rest) fragment.append(names.length ? ` · ${rest}` : rest);
    return fragment;
  }

  const KIND_LABELS = { transcript: "panel", essay: "essay", book_notes: "book notes" };

  /** The answer as paragraphs of text with each [n] turned into a link made by `citeLink(n)`. */
  function answerFragment(doc, answer, citeLink) {
    const fragment = doc.createDocumentFragment();
    for (const line of answer.split("\n").filter((l) => l.trim())) {
      const paragraph = doc.createElement("p");
      line.split(/(\[\d+\])/).forEach((piece) => {
        const marker = piece.match(/^\[(\d+)\]$/);
        paragraph.append(marker ? citeLink(Number(marker[1])) : doc.createTextNode(piece));
      });
      fragment.append(paragraph);
    }
    return fragment;
  }

  /** A card's text cut to `limit` characters around what it is cited for, expanded and collapsed by `toggle()`. */
  function expandable(doc, passage, options, limit) {
    const text = element(doc, "p", "text");
    const spans = quoteSpans(passage);
    const cut = excerpt(passage.text, spans, options.query, limit, options.speaker);
    const whole = cut.length === 1 && cut[0][0] === 0 && cut[0][1] === passage.text.length;
    const button = whole ? null : element(doc, "button", "more", "Show all");
    let open = false;
    const render = () => {
      text.replaceChildren(passageText(doc, passage, { ...options, ranges: open ? null : cut }));
      if (button) {
        button.textContent = open ? "Show less" : "Show all";
        button.setAttribute("aria-expanded", String(open));
      }
    };
    const toggle = () => {
      if (button) {
        open = !open;
        render();
      }
      return open;
    };
    render();
    if (button) {
      button.type = "button";
      button.addEventListener("click", toggle);
    }
    return { text, button, toggle };
  }

  /** Click anywhere on a card (not a link or button, not a text selection) toggles it. */
  function clickToToggle(card, toggle) {
    card.addEventListener("click", (event) => {
      if (event.target.closest("a, button") || String(card.ownerDocument.getSelection() || "")) return;
      toggle();
    });
  }

  /** Bring an answer's source into view with its quoted words: the first quote centred and the quoted words
   * flashed (the whole card only when it shows no quote), so the eye lands on what the answer used. */
  function reveal(card) {
    const quotes = [...card.querySelectorAll("mark.quote")];
    (quotes[0] || card).scrollIntoView({ block: "center" });
    card.focus({ preventScroll: true });
    for (const node of quotes.length ? quotes : [card]) {
      node.classList.remove("flash");
      void node.offsetWidth; // restart the animation
      node.classList.add("flash");
    }
  }

  /** What the status line says of an answer: how many sources it quotes, or that it found none. */
  function answerStatus(data) {
    const n = data.citations.length;
    if (!data.answered) return n ? `No answer found; ${n} related passage${n > 1 ? "s" : ""} below.` : "No answer found.";
    return `Answer from ${n} source${n > 1 ? "s" : ""}.`;
  }

  /** POST or GET against the API; errors become Error(message) from the contract's error shape. */
  async function call(base, path, body, key) {
    const headers = { Accept: "application/json" };
    if (body) headers["Content-Type"] = "application/json";
    if (key) headers.Authorization = `Bearer ${key}`;
    let response;
    try {
      response = await fetch(base + path, { method: body ? "POST" : "GET", headers, body: body ? JSON.stringify(body) : undefined });
    } catch {
      throw new Error(await unreachable(base));
    }
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      const error = new Error((data && data.error && data.error.message) || `The server answered ${response.status}.`);
      error.status = response.status;
      throw error;
    }
    return data;
  }

  /** Why a call failed, as far as a page can tell: the browser hides whether the server is down or refused
   * this page's origin (CORS), but an opaque request (no CORS) still reaches a server that is up. */
  async function unreachable(base) {
    const server = base || location.origin;
    if (new URL(server, location.href).origin === location.origin) return `The knowledge base at ${server} cannot be reached. Check that the server is running.`;
    const up = await fetch(`${server}/v1/health`, { mode: "no-cors", cache: "no-store" }).then(() => true, () => false);
    return up
      ? `The knowledge base at ${server} refused this page (${location.origin}): add ${location.origin} to KB_CORS_ORIGINS on the server and restart it.`
      : `The knowledge base at ${server} cannot be reached. Either the server is down (check that it is running), or it does not allow this page's origin (${location.origin}): add it to KB_CORS_ORIGINS.`;
  }

  /** POST /v1/ask/stream: `onDelta(text)` for each piece of the answer as it is written (a model's draft, shown as
   * text, never HTML), then the verified AskResponse is returned. Server-Sent Events read from fetch (EventSource
   * only GETs); an extractive answer arrives as one delta, so there is one code path. */
  async function askStream(base, body, key, onDelta) {
    const headers = { Accept: "text/event-stream", "Content-Type": "application/json" };
    if (key) headers.Authorization = `Bearer ${key}`;
    let response;
    try {
      response = await fetch(`${base}/v1/ask/stream`, { method: "POST", headers, body: JSON.stringify(body) });
    } catch {
      throw new Error(await unreachable(base));
    }
    if (!response.ok) {
      const data = await response.json().catch(() => null);
      const error = new Error((data && data.error && data.error.message) || `The server answered ${response.status}.`);
      error.status = response.status;
      throw error;
    }
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer = (buffer + value).replace(/\r\n?/g, "\n");
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const event = sseEvent(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        if (!event) continue;
        if (event.name === "delta") onDelta(event.data.text);
        else if (event.name === "answer") return event.data;
        else if (event.name === "error") throw new Error(event.data.error.message);
      }
    }
    throw new Error("The answer stopped before it was finished. Try again.");
  }

  /** One Server-Sent Event block: its name and its JSON data (comments and keep-alives give null). */
  function sseEvent(block) {
    let name = "message", data = "";
    for (const line of block.split("\n")) {
      if (line.startsWith("event:")) name = line.slice(6).trim();
      else if (line.startsWith("data:")) data += line.slice(5).replace(/^ /, "");
    }
    return data ? { name, data: JSON.parse(data) } : null;
  }

  /** A line on how the answer was written, when a language model was involved; empty otherwise. */
  function howWritten(ask) {
    if (ask.mode === "generative") {
      const left = ask.verification && ask.verification.dropped;
      return `Written by a language model from the sources below; every sentence was checked against the passage it cites${left ? ` (${left} unsupported sentence${left > 1 ? "s" : ""} left out)` : ""}.`;
    }
    return ask.fallback ? `Quoted from the sources: the language model's answer was not used (${ask.fallback}).` : "";
  }

  /** A request on this server with this browser session's read key, asked for once when the server wants one. */
  async function withReadKey(request) {
    try {
      return await request(sessionStorage.getItem("kb-read-key"));
    } catch (error) {
      if (error.status !== 401 && error.status !== 403) throw error;
      const key = window.prompt("This knowledge base needs a read key (KB_READ_KEY):");
      if (!key) throw error;
      sessionStorage.setItem("kb-read-key", key);
      return request(key);
    }
  }

  const callWithKey = (path, body) => withReadKey((key) => call("", path, body, key));
  const askWithKey = (body, onDelta) => withReadKey((key) => askStream("", body, key, onDelta));

  function filters(kind, speaker) {
    const chosen = {};
    if (kind) chosen.kind = kind;
    if (speaker) chosen.speaker = speaker;
    return Object.keys(chosen).length ? chosen : null;
  }

  window.PanelKB = { ORIGIN, terms, highlighted, element, excerpt, passageText, expandable, clickToToggle, reveal, sourceLink, contextLink, where, whereNodes, personLink, answerFragment, call, callWithKey, askStream, askWithKey, howWritten, filters, KIND_LABELS };

  const STYLE = `
    :host { display: block; font-family: var(--kb-font, system-ui, sans-serif); color: var(--kb-text, #1d2330); font-size: 15px; line-height: 1.5; }
    * { box-sizing: border-box; }
    form { display: flex; gap: 6px; }
    .field { flex: 1; display: flex; position: relative; }
    input { flex: 1; min-width: 0; font: inherit; padding: 8px 34px 8px 12px; color: inherit; background: var(--kb-background, #fff); border: 1px solid var(--kb-border, #cfd6e0); border-radius: var(--kb-radius, 8px); }
    input::-webkit-search-cancel-button { display: none; }
    button { font: inherit; padding: 8px 14px; border: 0; border-radius: var(--kb-radius, 8px); background: var(--kb-accent, #2458c5); color: #fff; cursor: pointer; }
    button.clear { position: absolute; right: 4px; top: 50%; transform: translateY(-50%); padding: 0 6px; background: none; color: var(--kb-accent, #2458c5); font-size: 1.3em; line-height: 1; }
    button.more { background: none; color: var(--kb-accent, #2458c5); padding: 0; font-size: inherit; margin-right: 12px; }
    :focus-visible { outline: 3px solid var(--kb-accent, #2458c5); outline-offset: 2px; }
    .hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
    .status { color: var(--kb-muted, #5b6475); font-size: .9em; margin: 6px 0; min-height: 1.2em; }
    .answer p { margin: .4em 0; }
    .answer p.draft { color: var(--kb-muted, #5b6475); white-space: pre-wrap; }
    .answer p.how { color: var(--kb-muted, #5b6475); font-size: .8em; }
    .answer p.label { font-weight: 600; font-size: .8em; text-transform: uppercase; letter-spacing: .04em; color: var(--kb-muted, #5b6475); margin-bottom: .2em; }
    .answer a { font-size: .8em; vertical-align: super; color: var(--kb-accent, #2458c5); text-decoration: none; }
    ol { list-style: none; margin: 0; padding: 0; }
    li { border-top: 1px solid var(--kb-border, #cfd6e0); padding: 8px 0; cursor: pointer; }
    li a { color: var(--kb-accent, #2458c5); }
    li > a { font-weight: 600; }
    .meta, .links { color: var(--kb-muted, #5b6475); font-size: .85em; }
    .text { margin: 4px 0; white-space: pre-line; cursor: auto; }
    .others { color: var(--kb-muted, #5b6475); }
    mark { background: var(--kb-mark, #fff0a8); color: inherit; }
    mark.quote { background: none; box-shadow: inset 0 -.45em var(--kb-mark, #fff0a8); border-bottom: 2px solid var(--kb-accent, #2458c5); }
    .flash { animation: kb-flash 1.6s ease-out; }
    @keyframes kb-flash { from { background: var(--kb-mark, #fff0a8); } }`;

  /** A constructed stylesheet (untouched by the host page's style-src policy), else a <style>. */
  function adoptStyle(root) {
    try {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(STYLE);
      root.adoptedStyleSheets = [sheet];
    } catch {
      root.prepend(element(document, "style", "", STYLE));
    }
  }

  class KbSearch extends HTMLElement {
    static get observedAttributes() { return ["placeholder"]; }

    constructor() {
      super();
      const root = this.attachShadow({ mode: "open" });
      const id = `kb-q-${Math.random().toString(36).slice(2, 8)}`;
      root.innerHTML = `<form part="form" role="search"><label class="hidden" for="${id}">Search the knowledge base</label>
        <span class="field"><input id="${id}" part="input" type="search" maxlength="2000" autocomplete="off"><button class="clear" part="clear" type="button" aria-label="Clear the search" hidden>×</button></span><button class="go" part="button" type="submit">Search</button></form>
        <div class="status" role="status" aria-live="polite"></div>
        <div class="answer" part="answer" aria-live="polite"></div>
        <ol part="results" aria-label="Search results"></ol>`;
      adoptStyle(root);
      this.input = root.querySelector("input");
      this.status = root.querySelector(".status");
      this.answer = root.querySelector(".answer");
      this.list = root.querySelector("ol");
      this.clear = root.querySelector(".clear");
      this.input.addEventListener("input", () => { this.clear.hidden = !this.input.value; });
      this.clear.addEventListener("click", () => {
        this.input.value = "";
        this.clear.hidden = true;
        this.input.focus();
      });
      root.querySelector("form").addEventListener("submit", (event) => {
        event.preventDefault();
        this.run(this.input.value.trim());
      });
    }

    connectedCallback() {
      this.input.placeholder = this.getAttribute("placeholder") || "Search what engineers say…";
      this.shadowRoot.querySelector(".go").textContent = this.mode === "ask" ? "Ask" : "Search";
    }

    attributeChangedCallback() {
      if (this.input) this.input.placeholder = this.getAttribute("placeholder") || "Search what engineers say…";
    }

    get api() { return (this.getAttribute("api") || ORIGIN).replace(/\/+$/, ""); }
    get mode() { return this.getAttribute("mode") === "ask" ? "ask" : "search"; }
    get topK() { return Math.min(50, Math.max(1, parseInt(this.getAttribute("top-k"), 10) || 5)); }

    async run(query) {
      if (!query) return;
      const body = { top_k: this.topK, filters: filters(this.getAttribute("kind"), this.getAttribute("speaker")) };
      this.status.textContent = "Searching…";
      this.answer.replaceChildren();
      this.list.replaceChildren();
      try {
        const key = this.getAttribute("key");
        const data = this.mode === "ask"
          ? await askStream(this.api, { ...body, question: query }, key, (text) => this.showDraft(text))
          : await call(this.api, "/v1/search", { ...body, query }, key);
        const passages = this.mode === "ask" ? data.citations : data.results;
        if (this.mode === "ask") this.showAnswer(data);
        this.showPassages(passages, query);
        this.status.textContent = this.mode === "ask" ? answerStatus(data) : passages.length ? `${passages.length} passage${passages.length > 1 ? "s" : ""} found.` : "Nothing matches. Try other words.";
        this.dispatchEvent(new CustomEvent("kb-results", { detail: data, bubbles: true, composed: true }));
      } catch (error) {
        this.status.textContent = error.message;
      }
    }

    /** The answer as it is written, as plain text, until the verified one replaces it. */
    showDraft(text) {
      let draft = this.answer.querySelector("p.draft");
      if (!draft) {
        draft = element(document, "p", "draft");
        this.answer.replaceChildren(draft);
        this.status.textContent = "Writing the answer…";
      }
      draft.textContent += text;
    }

    showAnswer(data) {
      this.answer.replaceChildren(element(document, "p", "label", "Answer"));
      if (!data.answered) {
        this.answer.append(element(document, "p", "", "Nothing stored answers this closely; the nearest passages are below."));
        return;
      }
      const link = (n) => {
        const a = element(document, "a", "", `[${n}]`);
        a.href = "#";
        a.setAttribute("aria-label", `source ${n}`);
        a.addEventListener("click", (event) => {
          event.preventDefault();
          const card = this.list.querySelector(`li[data-n="${n}"]`);
          if (card) reveal(card);
        });
        return a;
      };
      this.answer.append(answerFragment(document, data.answer, link));
      const note = howWritten(data);
      if (note) this.answer.append(element(document, "p", "how", note));
    }

    showPassages(passages, query) {
      const speaker = this.getAttribute("speaker") || "";
      for (const passage of passages) {
        const item = element(document, "li");
        item.dataset.n = passage.n;
        item.tabIndex = -1;
        const title = element(document, "a", "", `${this.mode === "ask" ? `[${passage.n}] ` : ""}${passage.title}`);
        title.href = sourceLink(passage) || contextLink(this.api, passage, query);
        title.target = "_blank";
        title.rel = "noopener";
        const meta = element(document, "div", "meta", KIND_LABELS[passage.kind] || passage.kind);
        if (where(passage, speaker)) meta.append(" · ", whereNodes(document, this.api, passage, speaker));
        for (const a of meta.querySelectorAll("a.person")) {
          a.target = "_blank";
          a.rel = "noopener";
        }
        const card = expandable(document, passage, { query, speaker }, 280);
        const links = element(document, "div", "links");
        if (card.button) links.append(card.button);
        const context = element(document, "a", "context", "in context");
        context.href = contextLink(this.api, passage, query);
        context.target = "_blank";
        context.rel = "noopener";
        links.append(context);
        item.append(title, meta, card.text, links);
        clickToToggle(item, card.toggle);
        this.list.append(item);
      }
    }
  }

  if (!customElements.get("kb-search")) customElements.define("kb-search", KbSearch);
})();
