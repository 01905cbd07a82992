/* A person's page, /person/<name>: who they are (every name they go by), the topics they speak about most, what they
 * said grouped by panel (each line linking to the context view at its time), and a search box scoped to them
 * ("ask this person"). Any name they go by works in the URL. Rendering helpers come from /widget.js
 * (window.PanelKB); text is only ever inserted as text.
 */
(() => {
  "use strict";
  const K = window.PanelKB;
  const $ = (id) => document.getElementById(id);
  const path = location.pathname.replace(/^\/person\//, "");
  const asked = (() => {
    try {
      return decodeURIComponent(path);
    } catch {
      return path; // a hand-typed "%" that is no escape: ask for the name as written
    }
  })();
  const status = $("status");
  let person = null;

  function say(message, isError = false) {
    status.textContent = message;
    status.classList.toggle("error", isError);
  }

  async function load() {
    try {
      person = await K.callWithKey(`/v1/people/${encodeURIComponent(asked)}`);
    } catch (error) {
      $("name").textContent = "Nobody by that name";
      say(error.message, true);
      return;
    }
    document.title = `${person.name} — panel-kb`;
    $("name").textContent = person.name;
    const dates = person.first_date === person.last_date ? person.first_date : `${person.first_date} – ${person.last_date}`;
    const about = [
      person.aliases.length ? `also ${person.aliases.join(", ")}` : null,
      `${person.passages} passage${person.passages === 1 ? "" : "s"} in ${person.documents} document${person.documents === 1 ? "" : "s"}`,
      dates,
    ];
    $("about").textContent = about.filter(Boolean).join(" · ");
    topics(person.topics);
    const box = $("q");
    box.placeholder = `Ask ${person.name}, e.g. what do you say about ${person.topics[0] || "your work"}?`;
    $("ask-label").textContent = `Ask ${person.name}`;
    $("ask-person").hidden = false;
    $("documents").replaceChildren(...person.in_documents.map(documentBlock));
    $("said").hidden = !person.in_documents.length;
    if (person.lines_cut) say("Their first lines are listed; search within their words above for the rest.");
    const q = new URLSearchParams(location.search).get("q");
    if (q) {
      box.value = q;
      ask(q);
    }
  }

  /** Each topic a link that asks this person about it. */
  function topics(list) {
    const p = $("topics");
    if (!list.length) return;
    p.append(K.element(document, "span", "muted", "Talks about: "));
    list.forEach((topic, i) => {
      if (i) p.append(" · ");
      const a = K.element(document, "a", "topic", topic);
      a.href = `?q=${encodeURIComponent(topic)}`;
      a.addEventListener("click", (event) => {
        event.preventDefault();
        $("q").value = topic;
        ask(topic);
      });
      p.append(a);
    });
    p.hidden = false;
  }

  function documentBlock(doc) {
    const block = K.element(document, "article", "person-doc");
    const heading = K.element(document, "h3", "", "");
    const title = K.element(document, "a", "", doc.title);
    title.href = `/doc/${doc.doc_id.split("/").map(encodeURIComponent).join("/")}`;
    heading.append(title);
    const when = [K.KIND_LABELS[doc.kind] || doc.kind, doc.date, doc.start ? `${doc.start}–${doc.end || doc.start}` : null];
    block.append(heading, K.element(document, "p", "muted", when.filter(Boolean).join(" · ")));
    const lines = K.element(document, "ol", "person-lines");
    for (const line of doc.lines) {
      const li = K.element(document, "li", "turn");
      const link = K.element(document, "a", "time", line.start || "in context");
      // at its moment when the source has times (the context view marks that turn), else at its passage
      const params = new URLSearchParams(line.start ? { t: String(seconds(line.start)) } : { p: line.chunk_id });
      link.href = `/doc/${doc.doc_id.split("/").map(encodeURIComponent).join("/")}?${params}`;
      li.append(link, K.element(document, "p", "words", line.text));
      lines.append(li);
    }
    block.append(lines);
    return block;
  }

  function seconds(clock) {
    const [h, m, s] = clock.split(":").map(Number);
    return h * 3600 + m * 60 + s;
  }

  /** The question asked of this person only: the answer quotes their words; its sources below it. */
  async function ask(question) {
    history.replaceState(null, "", `?q=${encodeURIComponent(question)}`);
    say("Searching their words…");
    const sources = $("answer-sources"), text = $("answer-text");
    try {
      const answer = await K.askWithKey({ question, top_k: 5, filters: { speaker: person.name } }, () => {});
      text.replaceChildren();
      if (answer.answered) text.append(K.answerFragment(document, answer.answer, (n) => K.element(document, "span", "cite", `[${n}]`)));
      else text.append(K.element(document, "p", "", answer.answer));
      sources.replaceChildren(
        ...answer.citations.map((passage) => {
          const li = K.element(document, "li");
          const meta = K.element(document, "div", "meta");
          meta.append(K.element(document, "span", "n", `[${passage.n}]`), K.element(document, "span", "title", passage.title), " ", K.whereNodes(document, "", passage, person.name));
          const card = K.expandable(document, passage, { query: question, speaker: person.name }, 360);
          const context = K.element(document, "a", "context", "in context");
          context.href = K.contextLink("", passage, question);
          li.append(meta, card.text, context);
          return li;
        }),
      );
      $("answer").hidden = false;
      say(answer.answered ? "" : `Nothing ${person.name} said answers this closely.`);
    } catch (error) {
      say(error.message, true);
    }
  }

  $("ask-person").addEventListener("submit", (event) => {
    event.preventDefault();
    const question = $("q").value.trim();
    if (question) ask(question);
  });
  load();
})();
