/* The context view, /doc/<doc_id>?p=<chunk_ids>&hl=<spans>&q=<query> (or ?t=<seconds>, ?page=<n>):
 * a whole document as it was stored (a transcript as turns with speakers and times, a PDF by page, notes
 * and essays under their headings), scrolled to the cited passage with the quoted words marked.
 * `hl` spans are [start, end) code points in the cited passage's text (the chunks in `p` joined by "\n"),
 * as the API's quotes give them. Text is only ever inserted as text.
 */
(() => {
  "use strict";
  const K = window.PanelKB;
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);
  const docId = location.pathname.replace(/^\/doc\//, "").split("/").map(decodeURIComponent).join("/");
  const targets = new Set((params.get("p") || "").split(",").filter(Boolean));
  const spans = (params.get("hl") || "").split(",").map((s) => s.split("-").map(Number)).filter((s) => s.length === 2 && s.every(Number.isInteger));
  const moment = params.has("t") ? Number(params.get("t")) : null;
  const wantedPage = params.has("page") ? Number(params.get("page")) : null;
  const query = params.get("q") || "";
  const PAGE = 500;
  const article = $("document"), status = $("status");
  const last = { speaker: null, page: null, section: [] }; // what the passage before left open
  let targetBase = 0; // code points of the cited chunks rendered so far (+1 for each "\n" joining them)
  let placed = false;

  function say(message, isError = false) {
    status.textContent = message;
    status.classList.toggle("error", isError);
  }

  async function load() {
    if (query) $("back").href = `/?q=${encodeURIComponent(query)}`;
    const path = `/v1/documents/${docId.split("/").map(encodeURIComponent).join("/")}/passages`;
    let offset = 0;
    try {
      while (offset !== null) {
        const page = await K.callWithKey(`${path}?offset=${offset}&limit=${PAGE}`);
        if (offset === 0) header(page.document);
        for (const passage of page.passages) article.append(...render(passage, page.document.kind));
        offset = page.next_offset;
        if (offset !== null) say(`Loading… ${offset} of ${page.total} passages`);
        place(offset === null);
      }
      say(targets.size && !article.querySelector(".target") ? "The cited passage is not in this document any more (it was re-ingested since); the document as it is now is below." : "");
    } catch (error) {
      $("title").textContent = "Not available";
      say(error.message, true);
    }
  }

  function header(doc) {
    document.title = `${doc.title} — panel-kb`;
    $("title").textContent = doc.title;
    const about = [K.KIND_LABELS[doc.kind] || doc.kind, doc.author, doc.date, doc.speakers.length ? doc.speakers.join(", ") : null, `${doc.passages} passage${doc.passages === 1 ? "" : "s"}`];
    $("about").textContent = about.filter(Boolean).join(" · ");
    if (doc.transcript_url) { // a recording: its transcript to download, correct and ingest again as .vtt
      const vtt = K.element(document, "a", "transcript", "transcript (.vtt)");
      vtt.href = doc.transcript_url;
      vtt.setAttribute("download", "");
      $("about").append(" · ", vtt);
    }
    const source = K.sourceLink({ url: doc.url });
    if (source) {
      const link = K.element(document, "a", "", "source");
      link.href = source;
      link.rel = "noopener";
      $("about").append(" · ", link);
    }
  }

  /** One stored passage as nodes: headings or page numbers it opens, then its turns or text. */
  function render(passage, kind) {
    const nodes = [];
    const section = K.element(document, "section", "passage");
    section.id = `p-${passage.chunk_id}`;
    const cited = targets.has(passage.chunk_id);
    let local = [];
    if (cited) {
      section.classList.add("target");
      const length = Array.from(passage.text).length;
      local = spans.map(([s, e]) => [s - targetBase, e - targetBase]).filter(([s, e]) => e > 0 && s < length);
      targetBase += length + 1;
    }
    if (passage.page && passage.page !== last.page) {
      const heading = K.element(document, "h2", "page", `Page ${passage.page}`);
      heading.id = `page-${passage.page}`;
      nodes.push(heading);
      last.page = passage.page;
    }
    if (passage.section && kind !== "transcript") nodes.push(...headings(passage.section.split(" > ")));
    const words = cited ? query : ""; // the query's words marked in the cited passage only: elsewhere they would be noise
    if (passage.turns.length) section.append(...turns(passage, local, words));
    else section.append(paragraph(passage.text, local, words));
    nodes.push(section);
    return nodes;
  }

  /** Headings for the levels of a section path that differ from the passage before (the title itself left out). */
  function headings(path) {
    const out = [];
    let changed = false;
    path.forEach((name, depth) => {
      changed = changed || last.section[depth] !== name;
      if (changed && !(depth === 0 && name === $("title").textContent)) out.push(K.element(document, `h${Math.min(6, depth + 2)}`, "section", name));
    });
    last.section = path;
    return out;
  }

  /** A transcript passage's lines as turns; a quoted span is moved from the line's text to the turn's words. */
  function turns(passage, local, words) {
    const lines = passage.text.split("\n");
    let lineStart = 0;
    return passage.turns.map((turn, i) => {
      const row = K.element(document, "div", "turn");
      const lineLength = Array.from(lines[i] || "").length;
      const wordsLength = Array.from(turn.text).length;
      const wordsAt = lineStart + lineLength - wordsLength; // after "Name: "
      const mine = local.map(([s, e]) => [s - wordsAt, e - wordsAt]).filter(([s, e]) => e > 0 && s < wordsLength);
      lineStart += lineLength + 1;
      if (turn.start) {
        const time = K.element(document, "a", "time", turn.start);
        time.href = `?t=${clockSeconds(turn.start)}`;
        row.dataset.start = clockSeconds(turn.start);
        row.append(time);
      }
      const continues = turn.speaker && turn.speaker === last.speaker;
      row.append(K.element(document, "span", continues ? "who same" : "who", turn.speaker || ""), paragraph(turn.text, mine, words));
      last.speaker = turn.speaker;
      return row;
    });
  }

  function paragraph(text, local, words) {
    const p = K.element(document, "p", "words");
    p.append(K.passageText(document, { text, speakers: [], quotes: local.map((span) => ({ span })) }, { query: words }));
    return p;
  }

  function clockSeconds(clock) {
    const [h, m, s] = clock.split(":").map(Number);
    return h * 3600 + m * 60 + s;
  }

  /** Scroll once to what the link points at: the quoted words, the cited passage, the moment or the page. */
  function place(done) {
    if (placed) return;
    let target = article.querySelector(".target mark.quote") || article.querySelector(".target");
    if (!target && moment !== null) {
      const rows = [...article.querySelectorAll(".turn[data-start]")];
      const after = rows.findIndex((row) => Number(row.dataset.start) > moment);
      if (after < 0 && !done) return; // a later page may hold it
      target = rows[(after < 0 ? rows.length : after) - 1] || rows[0];
      if (target) target.classList.add("target");
    }
    if (!target && wantedPage !== null) target = $(`page-${wantedPage}`);
    if (!target) return;
    placed = true;
    target.scrollIntoView({ block: "center" });
  }

  load();
})();
