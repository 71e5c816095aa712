// Cohort (coordinators): the figures of /cohort per collaboration model, party and placement
// site, with filters; the roster's rows open a student.

import { bars } from "../chart.js";
import { clear, fill, h } from "../dom.js";

const DIMS = ["tech_rd", "cross_cultural", "rule_adaptation"];

function changeCells(change, n) {
  if (!change) return [h("td", { class: "num" }, "–"), h("td", { class: "num" }, "–"), h("td", { class: "num" }, "–"), h("td", { class: "num" }, "–")];
  const direction = change.points > 0 ? "up" : change.points < 0 ? "down" : "";
  return [
    h("td", { class: "num baseline" }, n.level(change.baseline)),
    h("td", { class: "num current" }, n.level(change.current)),
    h("td", { class: `num points ${direction}` }, n.change(change.points)),
    h("td", { class: `num percent ${direction}` }, change.percent === null ? "–" : `${n.change(change.percent)}%`),
  ];
}

function groupTable(kind, title, groups, context, label) {
  const { s, n } = context;
  const head = h("tr", {}, h("th", {}, title), h("th", { class: "num" }, s.students), h("th", {}, s.dimension),
    h("th", { class: "num" }, s.baseline), h("th", { class: "num" }, s.current),
    h("th", { class: "num" }, s.points), h("th", { class: "num" }, s.percent));
  const body = h("tbody");
  for (const group of groups) {
    const scored = DIMS.filter((d) => group.dims[d]);
    scored.forEach((d, i) => {
      body.append(h("tr", { dataset: { group: String(group.name), dimension: d } },
        i === 0 ? h("td", { rowSpan: scored.length, class: "group" }, label(group.name)) : null,
        i === 0 ? h("td", { rowSpan: scored.length, class: "num" }, n.count(group.students)) : null,
        h("td", {}, s[`dim.${d}`]), ...changeCells(group.dims[d], n)));
    });
  }
  const chart = groups.length ? bars(`${title}: ${s.points}`,
    groups.map((g) => ({ name: label(g.name), values: DIMS.map((d) => (g.dims[d] ? g.dims[d].points : null)) })),
    DIMS.map((d) => s[`dim.${d}`]), (v) => n.change(v)) : null;
  return h("section", { dataset: { groups: kind } }, h("h2", {}, title),
    groups.length ? h("table", {}, h("thead", {}, head), body) : h("p", { class: "muted" }, s.none_yet), chart);
}

export async function render(main, context) {
  const { api, s, n } = context;
  const cohort = await api.get("cohort");
  const modelLabel = (m) => fill(s.model_kinds, { n: m });
  const filters = { party: "", site: "", model: "", q: "" };
  const figures = h("section", { class: "figures", dataset: { figures: "cohort" } },
    h("div", { class: "figure" }, h("b", { id: "cohort-students" }, n.count(cohort.students)), s.students),
    h("div", { class: "figure" }, h("b", { id: "cohort-participation" }, n.rate(cohort.submitted, cohort.expected)),
      fill(s.reports_of, { submitted: n.count(cohort.submitted), expected: n.count(cohort.expected) })),
    h("div", { class: "figure" }, h("b", { id: "cohort-flagged" }, n.count(cohort.flagged)), fill(s.flagged, { n: "" }).replace(/[:：]\s*$/, "")));
  const alpha = h("section", { dataset: { reliability: "" } }, h("h2", {}, s.reliability),
    h("table", {}, h("tbody", {}, DIMS.map((d) => h("tr", { dataset: { dimension: d } },
      h("td", {}, s[`dim.${d}`]), h("td", { class: "num alpha" }, n.alpha(cohort.reliability[d]) ?? s.not_enough))))));

  const select = (key, title, options, label) => h("select", {
    "aria-label": title, dataset: { filter: key },
    onchange: (event) => { filters[key] = event.target.value; update(); },
  }, h("option", { value: "" }, `${title}: ${s.all}`), options.map((o) => h("option", { value: String(o) }, label(o))));
  const search = h("input", { type: "search", placeholder: s.search, "aria-label": s.search, dataset: { filter: "q" } });
  let timer = null;
  search.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => { filters.q = search.value; update(); }, 250); });
  const groups = cohort.groups;
  const filterBar = h("section", { class: "filters" },
    select("model", s.per_model, groups.model.map((g) => g.name), modelLabel),
    select("party", s.per_party, groups.party.map((g) => g.name), (x) => x),
    select("site", s.per_site, groups.site.map((g) => g.name), (x) => x), search);
  const tables = h("div");
  const roster = h("section", { dataset: { roster: "" } });
  main.append(figures, alpha, filterBar, tables, roster);

  async function update() {
    const pick = (list, key) => (filters[key] ? list.filter((g) => String(g.name) === filters[key]) : list);
    clear(tables).append(
      groupTable("model", s.per_model, pick(groups.model, "model"), context, modelLabel),
      groupTable("party", s.per_party, pick(groups.party, "party"), context, (x) => x),
      groupTable("site", s.per_site, pick(groups.site, "site"), context, (x) => x));
    const found = await api.get("cohort/students", filters);
    const rows = found.students.map((student) => h("tr", { dataset: { student: String(student.id) } },
      h("td", {}, h("button", { type: "button", class: "link", onclick: () => context.open("student", { id: student.id }) }, student.name)),
      h("td", {}, student.sites.join(", ")),
      h("td", { class: "num" }, n.rate(student.submitted, student.expected)),
      DIMS.map((d) => h("td", { class: "num" }, student.dims[d] ? `${n.level(student.dims[d].current)} (${n.change(student.dims[d].points)})` : "–"))));
    clear(roster).append(h("h2", {}, `${s.student_list} (${n.count(found.total)})`),
      h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, s.students), h("th", {}, s.per_site), h("th", { class: "num" }, s.participation),
        DIMS.map((d) => h("th", { class: "num" }, s[`dim.${d}`])))), h("tbody", {}, rows)));
  }
  await update();
}
