/* The search page: one question, an answer with clickable [n] (streamed as it is written), the cited passages and
 * more passages below. Rendering helpers come from /widget.js (window.PanelKB), loaded first.
 * State lives in the URL (?q=&kind=&speaker=), so a search can be shared and Back works.
 */
(() => {
  "use strict";
  const K = window.PanelKB;
  const $ = (id) => document.getElementById(id);
  const form = $("search"), box = $("q"), kind = $("kind"), speaker = $("speaker"), status = $("status");
  const answerSection = $("answer"), answerText = $("answer-text"), resultsSection = $("results-section"), results = $("results");
  const TOP_K = 5, MORE = 10;
  let storeEmpty = false, current = 0;

  function say(message, isError = false) {
    status.textContent = message;
    status.classList.toggle("error", isError);
  }

  async function loadStore() {
    try {
      const contract = await K.call("", "/v1/contract"); // the kinds and their labels, defined once on the server
      for (const { value, label } of contract.kinds) kind.append(new Option(label, value));
      const health = await K.call("", "/v1/health");
      storeEmpty = health.documents === 0;
      $("store-size").textContent = `${health.documents} documents · ${health.passages} passages`;
      if (storeEmpty) say("The knowledge base is empty. Add documents with `kb ingest PATH` or POST /v1/documents, then search.");
      const { people } = await K.callWithKey("/v1/people"); // persons, not labels: "Adam" merged into "Adam Chlipala" is one
      for (const name of people.map((p) => p.name).sort((a, b) => a.localeCompare(b))) speaker.append(new Option(name, name));
    } catch (error) {
      say(error.message, true);
    }
  }

  /** Show the search the URL names. On first load it runs after the store's size and speakers arrive: by then a
   * quick user may have typed or searched already, and what they did wins. */
  function fromUrl(firstLoad = false) {
    if (firstLoad && (current > 0 || (box.value && !location.search))) return;
    const params = new URLSearchParams(location.search);
    box.value = params.get("q") || "";
    const wanted = params.get("kind") || "";
    if (wanted && ![...kind.options].some((o) => o.value === wanted)) kind.append(new Option(wanted, wanted));
    kind.value = wanted;
    const who = params.get("speaker") || "";
    if (who && ![...speaker.options].some((o) => o.value === who)) speaker.append(new Option(who, who));
    speaker.value = who;
    if (box.value.trim()) run(box.value.trim(), false);
  }

  async function run(query, push = true) {
    const filters = K.filters(kind.value, speaker.value);
    if (push) {
      const params = new URLSearchParams({ q: query });
      if (kind.value) params.set("kind", kind.value);
      if (speaker.value) params.set("speaker", speaker.value);
      history.pushState(null, "", `?${params}`);
    }
    const ticket = ++current;
    document.body.setAttribute("aria-busy", "true");
    say("Searching…");
    try {
      const [ask, search] = await Promise.all([
        K.askWithKey({ question: query, top_k: TOP_K, filters }, (text) => ticket === current && draft(text)),
        K.callWithKey("/v1/search", { query, top_k: MORE, filters }),
      ]);
      if (ticket !== current) return; // a newer search started meanwhile
      show(query, ask, search.results);
    } catch (error) {
      if (ticket !== current) return;
      answerSection.hidden = resultsSection.hidden = true;
      say(error.message, true);
    } finally {
      if (ticket === current) document.body.removeAttribute("aria-busy");
    }
  }

  /** The answer as it is written (a language model's draft, not yet checked), as plain text. */
  function draft(text) {
    let p = answerText.querySelector("p.draft");
    if (!p) {
      p = document.createElement("p");
      p.className = "draft";
      answerText.replaceChildren(p);
      answerSection.hidden = false;
      say("Writing the answer…");
    }
    p.textContent += text;
  }

  function show(query, ask, found) {
    const cited = new Set(ask.citations.flatMap((p) => p.chunk_ids && p.chunk_ids.length ? p.chunk_ids : [p.chunk_id]));
    const more = found.filter((p) => !(p.chunk_ids && p.chunk_ids.length ? p.chunk_ids : [p.chunk_id]).some((id) => cited.has(id)));
    answerText.replaceChildren();
    if (ask.answered) {
      answerText.append(K.answerFragment(document, ask.answer, citeLink));
      const note = K.howWritten(ask);
      if (note) {
        const how = document.createElement("p");
        how.className = "how";
        how.textContent = note;
        answerText.append(how);
      }
    } else {
      const p = document.createElement("p");
      p.textContent = ask.citations.length ? "Nothing stored answers this closely. The nearest passages are below." : "";
      answerText.append(p);
    }
    answerSection.hidden = !ask.citations.length;
    const extra = more.map((p) => item(p, query, false));
    if (extra.length && ask.citations.length) extra[0].classList.add("more");
    results.replaceChildren(...ask.citations.map((p) => item(p, query, ask.answered)), ...extra);
    resultsSection.hidden = !results.children.length;
    const count = results.children.length;
    if (!count) say(storeEmpty ? "The knowledge base is empty: nothing to search yet." : "No passages match. Try other words or clear the filters.");
    else say(`${count} passage${count > 1 ? "s" : ""}${ask.answered ? `, ${ask.citations.length} cited in the answer` : ""}.`);
  }

  function citeLink(n) {
    const a = document.createElement("a");
    a.className = "cite";
    a.href = `#source-${n}`;
    a.textContent = `[${n}]`;
    a.setAttribute("aria-label", `source ${n}`);
    a.addEventListener("click", (event) => {
      event.preventDefault();
      const target = $(`source-${n}`);
      if (target) K.reveal(target);
    });
    return a;
  }

  function item(passage, query, numbered) {
    const li = document.createElement("li");
    li.tabIndex = 0;
    if (numbered) li.id = `source-${passage.n}`;
    const link = K.sourceLink(passage);
    if (link) li.dataset.href = link;
    const meta = document.createElement("div");
    meta.className = "meta";
    if (numbered) meta.append(span("n", `[${passage.n}]`));
    const title = document.createElement(link ? "a" : "span");
    title.className = "title";
    title.textContent = passage.title;
    if (link) {
      title.href = link;
      title.target = "_blank";
      title.rel = "noopener";
      title.tabIndex = -1; // the item itself takes focus; Enter opens the link
    }
    meta.append(title, span("badge", K.KIND_LABELS[passage.kind] || passage.kind));
    if (K.where(passage, speaker.value)) {
      const place = span("where", "");
      place.append(K.whereNodes(document, "", passage, speaker.value)); // each name links to the person's page
      meta.append(place);
    }
    const card = K.expandable(document, passage, { query, speaker: speaker.value }, 460);
    const links = span("links", "");
    if (card.button) links.append(card.button);
    const context = document.createElement("a");
    context.className = "context";
    context.href = K.contextLink("", passage, query);
    context.textContent = "in context";
    links.append(context);
    li.append(meta, card.text, links);
    li.toggle = card.toggle;
    K.clickToToggle(li, card.toggle);
    return li;
  }

  function span(className, text) {
    const s = document.createElement("span");
    s.className = className;
    s.textContent = text;
    return s;
  }

  function move(step) {
    const items = [...results.children];
    if (!items.length) return;
    const at = items.indexOf(document.activeElement);
    const next = at < 0 ? (step > 0 ? 0 : items.length - 1) : Math.min(items.length - 1, Math.max(0, at + step));
    items[next].focus();
  }

  document.addEventListener("keydown", (event) => {
    const typing = ["INPUT", "SELECT", "TEXTAREA"].includes(document.activeElement.tagName);
    if (event.key === "/" && !typing) {
      event.preventDefault();
      box.focus();
      box.select();
    } else if (event.key === "ArrowDown" && (document.activeElement === box || results.contains(document.activeElement))) {
      event.preventDefault();
      move(1);
    } else if (event.key === "ArrowUp" && results.contains(document.activeElement)) {
      event.preventDefault();
      if (document.activeElement === results.firstElementChild) box.focus();
      else move(-1);
    } else if (event.key === "Enter" && document.activeElement.parentElement === results) {
      event.preventDefault();
      const li = document.activeElement;
      if (li.dataset.href) window.open(li.dataset.href, "_blank", "noopener");
      else location.assign(li.querySelector("a.context").href);
    } else if (event.key === " " && document.activeElement.parentElement === results) {
      event.preventDefault();
      document.activeElement.toggle();
    }
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const query = box.value.trim();
    if (query) run(query);
    else box.focus();
  });
  for (const select of [kind, speaker]) select.addEventListener("change", () => box.value.trim() && run(box.value.trim()));
  window.addEventListener("popstate", () => fromUrl());
  loadStore().then(() => fromUrl(true));
})();
