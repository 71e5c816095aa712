// Downloads (coordinators): /export's workbook and CSV archive, a student's transcript.

import { download } from "../download.js";
import { clear, h } from "../dom.js";

export async function render(main, context, params) {
  const { api, s } = context;
  await api.get("downloads");
  const status = h("p", { class: "notice", role: "status", id: "download-status", hidden: true });
  const fetchFile = async (what, extra = {}) => {
    status.hidden = false;
    clear(status).append(s.loading);
    try {
      const name = await download(api, "downloads/file", { what, ...extra }, what);
      clear(status).append(name);
      status.dataset.state = "done";
    } catch (error) {
      clear(status).append((error.body && error.body.message) || (error.status === 403 ? s.forbidden : s.failed));
      status.dataset.state = "error";
    }
  };
  const student = h("input", { type: "text", inputMode: "numeric", name: "student", placeholder: s.student_id, "aria-label": s.student_id, value: params.id ? String(params.id) : "" });
  main.append(
    h("section", {}, h("h2", {}, (context.me.views.find((v) => v.name === "downloads") || {}).title),
      h("p", {}, h("button", { type: "button", dataset: { what: "export-xlsx" }, onclick: () => fetchFile("export-xlsx") }, s["download.export-xlsx"])),
      h("p", {}, h("button", { type: "button", dataset: { what: "export-csv" }, onclick: () => fetchFile("export-csv") }, s["download.export-csv"]))),
    h("section", {}, h("h2", {}, s.credits), h("p", {}, student),
      ["transcript-xlsx", "transcript-html"].map((what) => h("p", {}, h("button", {
        type: "button", dataset: { what }, onclick: () => fetchFile(what, { id: student.value.trim() }),
      }, s[`download.${what}`])))),
    status);
}
