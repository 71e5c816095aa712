// The Mini App's frame: Telegram's launch parameters (from window.Telegram.WebApp when
// Telegram's script is there, else from the URL fragment Telegram opens the page with),
// Telegram's colours, the reader's language, and the tabs of the views their roles allow.
// No script is loaded from Telegram or any other host.

import { Api, ApiError, publicStrings } from "./api.js";
import { Numbers, clear, h } from "./dom.js";

// Each view is an ES module exporting `render(main, context, params)`; the server decides
// which of them this person may open (/app/api/me), and refuses the rest itself.
const VIEWS = {
  cohort: () => import("./views/cohort.js"),
  student: () => import("./views/student.js"),
  queue: () => import("./views/queue.js"),
  checkins: () => import("./views/checkins.js"),
  oncall: () => import("./views/oncall.js"),
  topics: () => import("./views/topics.js"),
  downloads: () => import("./views/downloads.js"),
};
const COLOUR = /^#[0-9a-fA-F]{3,8}$/;
const STORE = "synergy.tgWebAppData";

function telegram() {
  return window.Telegram && window.Telegram.WebApp ? window.Telegram.WebApp : null;
}

function parseJson(text) {
  try { return text ? JSON.parse(text) : {}; } catch { return {}; }
}

export function launchParams() {
  const tg = telegram();
  const fragment = new URLSearchParams(window.location.hash.slice(1));
  let initData = (tg && tg.initData) || fragment.get("tgWebAppData") || "";
  try {
    // A reload inside Telegram keeps no fragment: the data of this session is kept for it.
    if (initData) sessionStorage.setItem(STORE, initData);
    else initData = sessionStorage.getItem(STORE) || "";
  } catch { /* storage refused: nothing kept */ }
  const theme = tg && tg.themeParams && Object.keys(tg.themeParams).length
    ? tg.themeParams
    : parseJson(fragment.get("tgWebAppThemeParams"));
  const scheme = (tg && tg.colorScheme) || null;
  return { initData, theme, scheme, version: fragment.get("tgWebAppVersion") || "" };
}

function luminance(hex) {
  let digits = hex.slice(1);
  if (digits.length === 3) digits = [...digits].map((c) => c + c).join("");
  const [r, g, b] = [0, 2, 4].map((i) => parseInt(digits.slice(i, i + 2), 16) / 255);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

export function applyTheme(theme, scheme) {
  const root = document.documentElement;
  for (const [key, value] of Object.entries(theme || {})) {
    if (typeof value === "string" && COLOUR.test(value) && /^[a-z_]+$/.test(key)) {
      root.style.setProperty(`--tg-${key.replaceAll("_", "-")}`, value);
    }
  }
  const background = theme && theme.bg_color;
  const dark = scheme ? scheme === "dark"
    : background && COLOUR.test(background) ? luminance(background) < 0.5 : null;
  if (dark !== null) root.dataset.scheme = dark ? "dark" : "light";
}

function showProblem(main, text) {
  clear(main).append(h("p", { class: "problem", role: "alert" }, text));
}

async function boot() {
  const main = document.getElementById("view");
  const params = launchParams();
  applyTheme(params.theme, params.scheme);
  const tg = telegram();
  if (tg) {
    tg.ready();
    tg.expand();
    tg.onEvent("themeChanged", () => applyTheme(tg.themeParams, tg.colorScheme));
  }
  const api = new Api(params.initData);
  let me;
  try {
    me = await api.get("me");
  } catch (error) {
    const language = (navigator.language || "en").slice(0, 2);
    const strings = await publicStrings(language).catch(() => ({}));
    document.documentElement.lang = language === "zh" ? "zh" : "en";
    const key = error instanceof ApiError && error.status === 401 ? "unauthorized"
      : error instanceof ApiError && error.status === 403 ? "forbidden"
        : error instanceof ApiError && error.status === 429 ? "too_many" : "failed";
    showProblem(main, strings[key] || key);
    document.body.dataset.state = key;
    return;
  }
  const s = me.strings;
  document.documentElement.lang = me.language;
  document.title = s.title;
  document.getElementById("title").textContent = s.title;
  document.getElementById("who").textContent =
    `${me.person.name} · ${me.roles.map((r) => r.name).join(", ")}`;
  const context = { api, s, n: new Numbers(me.language), me, language: me.language, open: null };
  const tabs = document.getElementById("tabs");
  const history = [];

  async function open(name, viewParams = {}, remember = true) {
    if (!VIEWS[name]) return;
    if (remember && document.body.dataset.view) history.push(JSON.parse(document.body.dataset.current || "null"));
    for (const tab of tabs.children) tab.setAttribute("aria-current", String(tab.dataset.view === name));
    document.body.dataset.view = name;
    document.body.dataset.current = JSON.stringify([name, viewParams]);
    document.body.dataset.state = "loading";
    showProblem(main, s.loading);
    main.firstChild.className = "hint";
    try {
      const module = await VIEWS[name]();
      const back = history.length ? () => { const [n, p] = history.pop(); open(n, p, false); } : null;
      await module.render(clear(main), { ...context, back }, viewParams);
      document.body.dataset.state = "ready";
    } catch (error) {
      const key = error instanceof ApiError
        ? { 401: "unauthorized", 403: "forbidden", 429: "too_many" }[error.status] || "failed"
        : "failed";
      showProblem(main, (error.body && error.body.message) || s[key]);
      document.body.dataset.state = key;
      if (!(error instanceof ApiError)) console.warn(error);
    }
  }
  context.open = open;

  for (const view of me.views) {
    tabs.append(h("button", { type: "button", dataset: { view: view.name }, onclick: () => open(view.name) }, view.title));
  }
  // A button may open a view directly: ?view=queue&assessment=12 (the ids are checked by
  // the server like any other).
  const asked = new URLSearchParams(window.location.search);
  const wanted = me.views.find((v) => v.name === asked.get("view"));
  if (wanted) {
    const viewParams = {};
    for (const key of ["assessment", "id"]) if (/^\d+$/.test(asked.get(key) || "")) viewParams[key] = Number(asked.get(key));
    open(wanted.name, viewParams, false);
  } else if (me.views.length) open(me.views[0].name, {}, false);
  else showProblem(main, s.none_yet);
}

boot();
