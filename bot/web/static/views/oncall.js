// On-call: who is on call for each party now and next; for those who may see them the open
// questions (age and state) and, for coordinators, each party's medians of the last 30
// days; then four weeks of the rotation, a covering contact marked.

import { fill, h } from "../dom.js";

function who(cells, s) {
  if (!cells.length) return h("span", { class: "muted" }, "·");
  return cells.map((cell, i) => h("div", {
    class: cell.covering ? "covering" : "",
    title: cell.covering ? s.covering : "",
  }, `${i ? "→ " : ""}${cell.name}${cell.covering ? " *" : ""}`));
}

export async function render(main, context) {
  const { api, s, n } = context;
  const found = await api.get("oncall");
  main.append(h("section", { dataset: { now: "" } }, h("h2", {}, s.oncall_now),
    h("table", {},
      h("thead", {}, h("tr", {}, h("th", {}, s.party), h("th", {}, s.oncall_now), h("th", {}, s.oncall_next))),
      h("tbody", {}, found.parties.map((p) => h("tr", { dataset: { party: p.party } },
        h("td", {}, p.party),
        h("td", { class: "now" }, p.now === null ? h("span", { class: "muted" }, s.nobody)
          : [p.now, p.covering ? h("span", { class: "muted" }, ` (${s.covering})`) : null]),
        h("td", { class: "next" }, p.next === null ? "–"
          : fill(s.oncall_from, { person: p.next, time: p.from, zone: p.zone }))))))));
  if (found.questions) {
    main.append(h("section", { dataset: { questions: "" } }, h("h2", {}, s.open_questions),
      found.questions.length ? h("table", {},
        h("thead", {}, h("tr", {}, h("th", { class: "num" }, "#"), h("th", {}, s.party),
          h("th", {}, s.state), h("th", { class: "num" }, s.age), h("th", {}, s.question))),
        h("tbody", {}, found.questions.map((q) => h("tr", { dataset: { question: String(q.id), state: q.state } },
          h("td", { class: "num" }, String(q.id)), h("td", {}, q.party),
          h("td", { class: q.urgent ? "down" : "" }, q.urgent ? `${q.state_name} · ${s.urgent}` : q.state_name),
          h("td", { class: "num" }, q.age), h("td", { class: "comment" }, q.question)))))
        : h("p", { class: "muted" }, s.none_open),
      found.questions_total > found.questions.length
        ? h("p", { class: "muted", id: "questions-more" }, fill(s.more_questions, { n: n.count(found.questions_total - found.questions.length) }))
        : null));
  }
  if (found.medians) {
    main.append(h("section", { dataset: { medians: "" } }, h("h2", {}, s.last_30_days),
      found.medians.length ? h("table", {},
        h("thead", {}, h("tr", {}, h("th", {}, s.party), h("th", { class: "num" }, s.questions),
          h("th", { class: "num" }, s.median_ack), h("th", { class: "num" }, s.median_answer),
          h("th", { class: "num" }, s.escalated))),
        h("tbody", {}, found.medians.map((m) => h("tr", { dataset: { party: m.key } },
          h("td", {}, m.party), h("td", { class: "num" }, n.count(m.requests)),
          h("td", { class: "num" }, m.ack || "—"), h("td", { class: "num" }, m.answer || "—"),
          h("td", { class: "num" }, n.rate(m.escalated, 100))))))
        : h("p", { class: "muted" }, s.none_yet)));
  }
  main.append(h("section", { dataset: { calendar: "" } }, h("h2", {}, s.oncall_calendar),
    h("p", { class: "hint" }, `* ${s.covering}`),
    h("table", { class: "calendar" },
      h("thead", {}, h("tr", {}, h("th", {}, s.day), found.parties.map((p) => h("th", {}, p.party)))),
      h("tbody", {}, found.days.map((day, i) => h("tr", { dataset: { date: day.date } },
        h("th", { class: "num" }, day.label),
        found.parties.map((p) => h("td", {}, who(p.days[i], s)))))))));
}
