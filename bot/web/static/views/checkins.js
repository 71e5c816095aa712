// Check-ins: each party's answer to the last check-ins (a grid of parties by months), and
// the action items, open first.

import { h } from "../dom.js";

export async function render(main, context) {
  const { api, s } = context;
  const found = await api.get("checkins");
  if (!found.checkins.length) {
    main.append(h("p", { class: "hint", id: "checkins-none" }, s.checkins_none));
  } else {
    main.append(h("section", { dataset: { grid: "" } }, h("table", {},
      h("thead", {}, h("tr", {}, h("th", {}, s.party), found.checkins.map((c) => h("th", { class: "num" }, c.label)))),
      h("tbody", {}, found.parties.map((row) => h("tr", { dataset: { party: row.party } }, h("td", {}, row.party),
        row.cells.map((cell) => h("td", {
          class: `num ${cell ? "up" : cell === false ? "down" : "muted"}`,
          title: cell ? s.answered : cell === false ? s.not_answered : "",
        }, cell ? "✓" : cell === false ? "✗" : "·")))))));
  }
  main.append(h("section", { dataset: { actions: "" } }, h("h2", {}, s.action_items),
    found.actions.length ? h("ul", {}, found.actions.map((item) => h("li", { dataset: { done: String(item.done) } },
      h("span", { class: item.done ? "muted" : "" }, item.text),
      h("span", { class: "muted" }, ` · ${[item.party, item.checkin, item.done ? s.item_done : s.item_open].filter(Boolean).join(" · ")}`))))
      : h("p", { class: "muted" }, s.none_yet)));
}
