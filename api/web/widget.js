/* panel-kb search widget: <script src="https://kb.example/widget.js" defer></script><kb-search></kb-search>
 *
 * A custom element in a shadow root (the host page's CSS neither leaks in nor out) that talks to the
 * server it was loaded from, or to `api="..."`. Attributes: kind, speaker, top-k, placeholder,
 * mode="search|ask", key (a read key, when the server sets KB_READ_KEY). Theme with CSS custom
 * properties on the element: --kb-font, --kb-text, --kb-muted, --kb-background, --kb-border,
 * --kb-accent, --kb-mark, --kb-radius. Passage text is only ever inserted as text, never as HTML.
 * The search page (/) uses the same helpers through window.PanelKB.
 */
(() => {
  "use strict";
  const script = document.currentScript;
  const ORIGIN = script && script.src ? new URL(script.src, location.href).origin : location.origin;
  const STOP = new Set("the and for are but not you all any can had her was one our out has him his how its may new now old see two who did does doing what when where which while why with would could should about after again also been before being between both each from have into just more most other over same some such than that their them then there these they this those through under until very were will your yours".split(" "));

  /** Words of the query worth highlighting: 3+ letters, not stop words, regex-escaped. */
  function terms(query) {
    const words = (query.toLowerCase().match(/[\p{L}\p{N}]{3,}/gu) || []).filter((w) => !STOP.has(w));
    return [...new Set(words)].map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  }

  /** The text as text nodes, with the query's words (and their endings) in <mark>. */
  function highlighted(doc, text, query) {
    const fragment = doc.createDocumentFragment();
    const words = terms(query);
    if (!words.length) {
      fragment.append(doc.createTextNode(text));
      return fragment;
    }
    const pattern = new RegExp(`(?<![\\p{L}\\p{N}])(?:${words.join("|")})[\\p{L}\\p{N}]*`, "giu");
    let last = 0;
    for (const match of text.matchAll(pattern)) {
      fragment.append(doc.createTextNode(text.slice(last, match.index)));
      const mark = doc.createElement("mark");
      mark.textContent = match[0];
      fragment.append(mark);
      last = match.index + match[0].length;
    }
    fragment.append(doc.createTextNode(text.slice(last)));
    return fragment;
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

  /** "Maya Chen · 00:12:31–00:13:40", "page 3" or the section path. */
  function where(passage) {
    const parts = [];
    if (passage.speaker) parts.push(passage.speakers && passage.speakers.length > 1 ? passage.speakers.join(", ") : passage.speaker);
    if (passage.start) parts.push(passage.end && passage.end !== passage.start ? `${passage.start}–${passage.end}` : passage.start);
    if (passage.page) parts.push(`page ${passage.page}`);
    if (passage.section) parts.push(passage.section);
    return parts.join(" · ");
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

  /** POST or GET against the API; errors become Error(message) from the contract's error shape. */
  async function call(base, path, body, key) {
    const headers = { Accept: "application/json" };
    if (body) headers["Content-Type"] = "application/json";
    if (key) headers.Authorization = `Bearer ${key}`;
    let response;
    try {
      response = await fetch(base + path, { method: body ? "POST" : "GET", headers, body: body ? JSON.stringify(body) : undefined });
    } catch {
      throw new Error("The knowledge base cannot be reached. Check that the server is running.");
    }
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      const error = new Error((data && data.error && data.error.message) || `The server answered ${response.status}.`);
      error.status = response.status;
      throw error;
    }
    return data;
  }

  function filters(kind, speaker) {
    const chosen = {};
    if (kind) chosen.kind = kind;
    if (speaker) chosen.speaker = speaker;
    return Object.keys(chosen).length ? chosen : null;
  }

  window.PanelKB = { ORIGIN, terms, highlighted, sourceLink, where, answerFragment, call, filters, KIND_LABELS };

  const STYLE = `
    :host { display: block; font-family: var(--kb-font, system-ui, sans-serif); color: var(--kb-text, #1d2330); font-size: 15px; line-height: 1.5; }
    * { box-sizing: border-box; }
    form { display: flex; gap: 6px; }
    input { flex: 1; font: inherit; padding: 8px 12px; color: inherit; background: var(--kb-background, #fff); border: 1px solid var(--kb-border, #cfd6e0); border-radius: var(--kb-radius, 8px); }
    button { font: inherit; padding: 8px 14px; border: 0; border-radius: var(--kb-radius, 8px); background: var(--kb-accent, #2458c5); color: #fff; cursor: pointer; }
    :focus-visible { outline: 3px solid var(--kb-accent, #2458c5); outline-offset: 2px; }
    .hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
    .status { color: var(--kb-muted, #5b6475); font-size: .9em; margin: 6px 0; min-height: 1.2em; }
    .answer p { margin: .4em 0; }
    .answer a { font-size: .8em; vertical-align: super; color: var(--kb-accent, #2458c5); text-decoration: none; }
    ol { list-style: none; margin: 0; padding: 0; }
    li { border-top: 1px solid var(--kb-border, #cfd6e0); padding: 8px 0; }
    li > a { font-weight: 600; color: var(--kb-accent, #2458c5); }
    .meta { color: var(--kb-muted, #5b6475); font-size: .85em; }
    .text { margin: 4px 0 0; display: -webkit-box; -webkit-line-clamp: 4; -webkit-box-orient: vertical; overflow: hidden; white-space: pre-line; }
    mark { background: var(--kb-mark, #fff0a8); color: inherit; }`;

  /** A constructed stylesheet (untouched by the host page's style-src policy), else a <style>. */
  function adoptStyle(root) {
    try {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(STYLE);
      root.adoptedStyleSheets = [sheet];
    } catch {
      const style = document.createElement("style");
      style.textContent = STYLE;
      root.prepend(style);
    }
  }

  class KbSearch extends HTMLElement {
    static get observedAttributes() { return ["placeholder"]; }

    constructor() {
      super();
      const root = this.attachShadow({ mode: "open" });
      const id = `kb-q-${Math.random().toString(36).slice(2, 8)}`;
      root.innerHTML = `<form part="form" role="search"><label class="hidden" for="${id}">Search the knowledge base</label>
        <input id="${id}" part="input" type="search" maxlength="2000" autocomplete="off"><button part="button" type="submit">Search</button></form>
        <div class="status" role="status" aria-live="polite"></div>
        <div class="answer" part="answer" aria-live="polite"></div>
        <ol part="results" aria-label="Search results"></ol>`;
      adoptStyle(root);
      this.input = root.querySelector("input");
      this.status = root.querySelector(".status");
      this.answer = root.querySelector(".answer");
      this.list = root.querySelector("ol");
      root.querySelector("form").addEventListener("submit", (event) => {
        event.preventDefault();
        this.run(this.input.value.trim());
      });
    }

    connectedCallback() {
      this.input.placeholder = this.getAttribute("placeholder") || "Search what engineers say…";
      this.shadowRoot.querySelector("button").textContent = this.mode === "ask" ? "Ask" : "Search";
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
          ? await call(this.api, "/v1/ask", { ...body, question: query }, key)
          : await call(this.api, "/v1/search", { ...body, query }, key);
        const passages = this.mode === "ask" ? data.citations : data.results;
        if (this.mode === "ask") this.showAnswer(data);
        this.showPassages(passages, query);
        this.status.textContent = passages.length ? `${passages.length} passage${passages.length > 1 ? "s" : ""} found.` : "Nothing matches. Try other words.";
        this.dispatchEvent(new CustomEvent("kb-results", { detail: data, bubbles: true, composed: true }));
      } catch (error) {
        this.status.textContent = error.message;
      }
    }

    showAnswer(data) {
      if (!data.answered) {
        this.answer.textContent = "Nothing stored answers this closely; the nearest passages are below.";
        return;
      }
      const link = (n) => {
        const a = document.createElement("a");
        a.href = "#";
        a.textContent = `[${n}]`;
        a.setAttribute("aria-label", `source ${n}`);
        a.addEventListener("click", (event) => {
          event.preventDefault();
          const target = this.list.querySelector(`li[data-n="${n}"] a`);
          if (target) target.focus();
        });
        return a;
      };
      this.answer.append(answerFragment(document, data.answer, link));
    }

    showPassages(passages, query) {
      for (const passage of passages) {
        const item = document.createElement("li");
        item.dataset.n = passage.n;
        const title = document.createElement("a");
        title.href = sourceLink(passage) || `${this.api}/?q=${encodeURIComponent(query)}`;
        title.target = "_blank";
        title.rel = "noopener";
        title.textContent = `${this.mode === "ask" ? `[${passage.n}] ` : ""}${passage.title}`;
        const meta = document.createElement("div");
        meta.className = "meta";
        meta.textContent = [KIND_LABELS[passage.kind] || passage.kind, where(passage)].filter(Boolean).join(" · ");
        const text = document.createElement("p");
        text.className = "text";
        text.append(highlighted(document, passage.text, query));
        item.append(title, meta, text);
        this.list.append(item);
      }
    }
  }

  if (!customElements.get("kb-search")) customElements.define("kb-search", KbSearch);
})();
