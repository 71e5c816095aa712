// Topics and achievements: the open and running research topics with their teams and
// report cycles; the achievements this person may see, each revenue with its split.

import { fill, h } from "../dom.js";

function topic(t, s) {
  const facts = [t.party, t.state_name];
  if (t.deadline && t.state === "open") facts.push(fill(s.apply_by, { date: t.deadline }));
  return h("li", { dataset: { topic: String(t.id), state: t.state } },
    h("b", {}, `#${t.id} ${t.title}`), h("div", { class: "muted" }, facts.join(" · ")),
    h("div", { class: "team" }, `${s.team}: `, t.team.length ? t.team.join(", ") : "–",
      t.team_size ? ` (${t.team.length}/${t.team_size})` : ""),
    t.mentors.length ? h("div", {}, `${s.mentors}: ${t.mentors.join(", ")}`) : null,
    t.reports.length ? h("div", { class: "reports" }, `${s.reports}: `,
      t.reports.map((r, i) => h("span", { class: r.late ? "down" : "", dataset: { status: r.status } },
        `${i ? " · " : ""}${fill(s.cycle, { n: r.cycle })} ${s[`status.${r.status}`] || r.status}${r.late ? ` (${s.late})` : ""}`)))
      : null);
}

function achievement(a, s) {
  return h("li", { dataset: { achievement: String(a.id) } },
    h("b", {}, `#${a.id} ${a.title}`),
    h("div", { class: "muted" }, [a.kind, a.topic ? fill(s.topic_no, { id: a.topic }) : null, a.parties.join(", ")].filter(Boolean).join(" · ")),
    a.members.length ? h("div", {}, `${s.students}: ${a.members.join(", ")}`) : null,
    a.revenues.map((r) => h("div", { class: "revenue" },
      h("div", {}, fill(s.revenue, { amount: r.amount, date: r.date }), r.note ? h("span", { class: "muted" }, ` · ${r.note}`) : null),
      h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, s.party), h("th", { class: "num" }, s.share), h("th", { class: "num" }, s.amount))),
        h("tbody", {}, r.shares.map((share) => h("tr", {},
          h("td", {}, `${share.name} (${share.role})`), h("td", { class: "num" }, share.percent),
          h("td", { class: "num" }, share.amount))))))));
}

export async function render(main, context) {
  const { api, s } = context;
  const found = await api.get("topics");
  main.append(h("section", { dataset: { topics: "" } }, h("h2", {}, s.topics),
    found.topics.length ? h("ul", { class: "plain" }, found.topics.map((t) => topic(t, s)))
      : h("p", { class: "muted" }, s.topics_none)));
  main.append(h("section", { dataset: { achievements: "" } }, h("h2", {}, s.achievements),
    found.achievements.length ? h("ul", { class: "plain" }, found.achievements.map((a) => achievement(a, s)))
      : h("p", { class: "muted" }, s.achievements_none)));
}
