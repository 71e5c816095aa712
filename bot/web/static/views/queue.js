// Reports to score (mentors): the queue, the longest-waiting first; a report with its files;
// the manual in force beside each score (version, and per level its bounds, name and
// descriptor, as the chat's scoring steps show them); and the scores saved as Save saves
// them in the chat.

import { download } from "../download.js";
import { clear, fill, h } from "../dom.js";

const DIMS = ["tech_rd", "cross_cultural", "rule_adaptation"];

export async function render(main, context, params) {
  if (params.assessment) return renderReport(main, context, params.assessment);
  const { api, s } = context;
  const found = await api.get("queue");
  if (!found.reports.length) {
    main.append(h("p", { class: "hint", id: "queue-empty" }, s.queue_empty));
    return undefined;
  }
  main.append(h("section", {}, h("h2", {}, s.reports), h("ol", { class: "queue" }, found.reports.map((r) =>
    h("li", { dataset: { assessment: String(r.assessment) } },
      h("button", { type: "button", class: "link", onclick: () => context.open("queue", { assessment: r.assessment }) },
        `${r.student.name} · ${r.label}`),
      h("div", { class: "muted" }, `${s[`kind.${r.kind}`] || r.kind} · ${s.waiting_since}: ${r.waiting_since}${r.late ? ` · ${s.late}` : ""}`))))));
  return undefined;
}

function text(title, value) {
  return value ? [h("h3", {}, title), h("pre", { class: "text" }, value)] : [];
}

// A template's placeholders replaced by nodes or text (never parsed as HTML).
function fillNodes(template, values) {
  return template.split(/(\{\w+\})/).filter(Boolean).map((part) => {
    const key = part.slice(1, -1);
    return part.startsWith("{") && key in values ? values[key] : part;
  });
}

// One dimension's levels in the manual, lowest first.
function rubric(s, manual, dimension) {
  return h("ul", {
    class: "rubric", dataset: { dimension }, "aria-label": fill(s.rubric_of, { dimension: s[`dim.${dimension}`] }),
  }, manual.levels.map((level, i) => h("li", {}, ...fillNodes(s.rubric_level, {
    bounds: h("span", { class: "bounds" }, level.bounds),
    name: h("em", {}, level.name),
    descriptor: manual.descriptors[dimension][i],
  }))));
}

async function renderReport(main, context, assessmentId) {
  const { api, s, n } = context;
  const found = await api.get("queue/report", { assessment: assessmentId });
  const r = found.report;
  const notice = h("div", { class: "notice", role: "status", id: "score-notice", hidden: true });
  const files = found.files.map((f) => h("li", {}, h("button", {
    type: "button", class: "link",
    onclick: () => download(api, "queue/file", { assessment: assessmentId, file: f.id }, f.name)
      .catch(() => { clear(notice).append(h("p", {}, s.failed)); notice.hidden = false; }),
  }, f.name)));
  const inputs = Object.fromEntries(DIMS.map((d) => [d, h("input", {
    type: "number", min: 0, max: 100, step: 1, required: true, name: d, value: found.scores[d] ?? "",
  })]));
  const comment = h("textarea", { name: "comment", maxLength: 1000 });
  comment.value = found.comment;
  const save = h("button", { type: "submit", class: "primary" }, s.save);
  const form = h("form", { class: "score", onsubmit: async (event) => {
    event.preventDefault();
    save.disabled = true;
    try {
      const body = { assessment: found.assessment, comment: comment.value, scores: {} };
      for (const d of DIMS) body.scores[d] = inputs[d].value === "" ? null : Number(inputs[d].value);
      const answer = await api.post("queue/score", body);
      const lines = [answer.state === "saved" ? s.saved : answer.state === "already" ? s.already : s.correcting];
      for (const gap of answer.disagreements || []) {
        lines.push(fill(s.disagreement, { dimension: s[`dim.${gap.dimension}`], kind: s[`kind.${gap.kind}`] || gap.kind, theirs: n.level(gap.theirs) }));
      }
      clear(notice).append(...lines.map((line) => h("p", {}, line)));
      notice.dataset.state = answer.state;
    } catch (error) {
      clear(notice).append(h("p", {}, (error.body && error.body.message) || s.failed));
      notice.dataset.state = "error";
    } finally {
      notice.hidden = false;
      save.disabled = false;
    }
  } }, h("h2", {}, s.scores_so_far),
  h("p", { class: "hint", id: "manual-version" }, found.manual.title),
  DIMS.map((d) => h("div", { class: "dimension" }, h("label", {}, `${s[`dim.${d}`]} `, inputs[d],
    r.self[d] !== null && r.self[d] !== undefined ? h("span", { class: "muted" }, ` (${s.self_scores}: ${r.self[d]})`) : null),
  rubric(s, found.manual, d))),
  h("label", {}, s.comment, comment), save, notice);
  main.append(
    h("section", {}, context.back ? h("button", { type: "button", onclick: context.back }, s.back) : null,
      h("h2", { id: "report-title" }, `${found.student.name} · ${r.label}`),
      found.state === "correcting" ? h("p", { class: "notice" }, s.correcting) : null,
      ...text(s.activities, r.activities), r.hours !== null ? h("p", {}, `${s.hours}: ${n.level(r.hours)}`) : null,
      ...text(s.episode, r.episode), ...text(s.problems, r.problems), ...text(s.compliance, r.compliance_note),
      files.length ? [h("h3", {}, s.files), h("ul", {}, files)] : null),
    h("section", {}, form));
}
