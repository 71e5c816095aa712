// A student's page: the three dimensions over the weeks (joint, and each party's scores and
// comments), the reports with their state, and credits by source.

import { lines } from "../chart.js";
import { fill, h } from "../dom.js";

const DIMS = ["tech_rd", "cross_cultural", "rule_adaptation"];

export async function render(main, context, params) {
  const { api, s, n } = context;
  const page = await api.get("student", { id: params.id });
  if (page.pick) {
    main.append(h("section", { dataset: { pick: "" } }, h("h2", {}, s.student_list),
      page.pick.length ? h("ul", {}, page.pick.map((p) => h("li", {}, h("button", {
        type: "button", class: "link", dataset: { student: String(p.id) }, onclick: () => context.open("student", { id: p.id }),
      }, p.name)))) : h("p", { class: "muted" }, s.none_yet)));
    return;
  }
  const title = h("h2", { id: "student-name" }, page.student.name);
  const head = h("section", {}, context.back ? h("button", { type: "button", onclick: context.back }, s.back) : null, title,
    h("p", { id: "student-participation" }, `${s.participation}: `,
      fill(s.reports_of, { submitted: n.count(page.participation.submitted), expected: n.count(page.participation.expected) }),
      ` (${n.rate(page.participation.submitted, page.participation.expected)})`),
    page.pending ? h("p", {}, fill(s.pending, { n: n.count(page.pending) })) : null,
    page.flagged ? h("p", {}, fill(s.flagged, { n: n.count(page.flagged) })) : null);
  const dims = h("section", { dataset: { dims: "" } }, h("table", {},
    h("thead", {}, h("tr", {}, h("th", {}, s.dimension), h("th", { class: "num" }, s.baseline), h("th", { class: "num" }, s.current),
      h("th", { class: "num" }, s.points), h("th", { class: "num" }, s.percent), h("th", { class: "num" }, s.weeks))),
    h("tbody", {}, DIMS.map((d) => {
      const c = page.dims[d];
      return h("tr", { dataset: { dimension: d } }, h("td", {}, s[`dim.${d}`]),
        h("td", { class: "num baseline" }, c ? n.level(c.baseline) : "–"), h("td", { class: "num current" }, c ? n.level(c.current) : "–"),
        h("td", { class: "num points" }, c ? n.change(c.points) : "–"),
        h("td", { class: "num percent" }, c && c.percent !== null ? `${n.change(c.percent)}%` : "–"),
        h("td", { class: "num" }, c ? n.count(c.weeks) : "–"));
    }))));
  const weeks = page.weeks;
  const chart = weeks.length ? lines(s.current, weeks.map((w) => w.label),
    DIMS.map((d) => ({ name: s[`dim.${d}`], values: weeks.map((w) => (w.joint[d] ?? null)) }))) : null;
  const scores = h("section", { dataset: { weeks: "" } }, chart, h("table", {},
    h("thead", {}, h("tr", {}, h("th", {}, s.week), h("th", {}, s.party), DIMS.map((d) => h("th", { class: "num" }, s[`dim.${d}`])), h("th", {}, s.comment))),
    h("tbody", {}, weeks.flatMap((w) => w.parties.map((p, i) => h("tr", {},
      i === 0 ? h("td", { rowSpan: w.parties.length }, w.label) : null,
      h("td", {}, s[`kind.${p.kind}`] || p.kind),
      DIMS.map((d) => h("td", { class: "num" }, p.scores[d] === null ? "–" : n.level(p.scores[d]))),
      h("td", { class: "comment" }, p.comment)))))));
  const reports = h("section", { dataset: { reports: "" } }, h("h2", {}, s.reports), page.reports.length ? h("table", {},
    h("tbody", {}, page.reports.map((r) => h("tr", {}, h("td", {}, r.label),
      h("td", {}, s[`status.${r.status}`] || r.status, r.late ? ` (${s.late})` : ""))))) : h("p", { class: "muted" }, s.none_yet));
  const c = page.credits;
  const credits = h("section", { dataset: { credits: "" } }, h("h2", {}, s.credits), h("table", {}, h("tbody", {},
    h("tr", {}, h("td", {}, s["credits.overseas"]), h("td", { class: "num" }, n.credit(c.overseas)), h("td", { class: "muted" }, fill(s.planned, { n: n.credit(c.overseas_planned) }))),
    h("tr", {}, h("td", {}, s["credits.training"]), h("td", { class: "num" }, n.credit(c.training)), h("td")),
    h("tr", {}, h("td", {}, s["credits.research"]), h("td", { class: "num" }, n.credit(c.research)), h("td")),
    h("tr", {}, h("th", {}, s["credits.total"]), h("th", { class: "num", id: "credits-total" }, n.credit(c.total)), h("td")))));
  if (context.me.views.some((v) => v.name === "downloads")) { // a coordinator: the transcript
    credits.append(h("p", {}, h("button", {
      type: "button", class: "link", onclick: () => context.open("downloads", { id: page.student.id }),
    }, s["download.transcript-html"])));
  }
  main.append(head, dims, scores, reports, credits);
}
