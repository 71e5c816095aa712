// The playground page: the demo's group chats and one person's private chat side by side.
// Plain JavaScript, no library: it talks only to the JSON API of the server that served it
// (bot/demo/playground.py). What people type is only ever set as text; the bot's messages
// come as the fake Telegram's escaped HTML and are copied tag by tag, keeping Telegram's tags.
"use strict";

const ACTION = { "Content-Type": "application/json", "X-Playground": "1" };
const WAIT = 20; // seconds the server holds a request for messages open
const MAX_FILE = 20 * 1024 * 1024;
const TELEGRAM_TAGS = new Set([
  "B", "STRONG", "I", "EM", "U", "INS", "S", "STRIKE", "DEL", "CODE", "PRE", "BLOCKQUOTE",
  "A", "SPAN", "TG-SPOILER",
]);

let state = null; // what /api/state said: people, groups, labels
let person = null; // who the newcomer is acting as
const columns = [];

function label(key, values = {}) {
  let text = (state && state.labels[key]) || key;
  for (const [name, value] of Object.entries(values)) text = text.replace(`{${name}}`, value);
  return text;
}

async function call(path, options = {}) {
  const response = await fetch(path, options);
  const body = response.headers.get("Content-Type")?.includes("json") ? await response.json() : {};
  if (!response.ok) throw new Error(body.error || `${response.status} ${response.statusText}`);
  return body;
}

function post(path, body) {
  return call(path, { method: "POST", headers: ACTION, body: JSON.stringify(body) });
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// The bot's HTML, rebuilt from Telegram's own tags only; anything else becomes its text.
function telegramHtml(html) {
  const template = document.createElement("template");
  template.innerHTML = html; // inert: nothing in a template runs or loads
  const out = document.createDocumentFragment();
  copyNodes(template.content, out);
  return out;
}

function copyNodes(from, to) {
  for (const node of from.childNodes) {
    if (node.nodeType === Node.TEXT_NODE) {
      to.append(node.textContent);
    } else if (node.nodeType === Node.ELEMENT_NODE && TELEGRAM_TAGS.has(node.tagName)) {
      const spoiler = node.tagName === "TG-SPOILER" || node.tagName === "SPAN";
      const copy = document.createElement(spoiler ? "span" : node.tagName.toLowerCase());
      if (spoiler) copy.className = "spoiler";
      if (node.tagName === "A") {
        const href = node.getAttribute("href") || "";
        if (/^(https?:|tg:)/i.test(href)) {
          copy.href = href;
          copy.rel = "noopener noreferrer";
          copy.target = "_blank";
        }
      }
      copyNodes(node, copy);
      to.append(copy);
    } else if (node.nodeType === Node.ELEMENT_NODE) {
      copyNodes(node, to);
    }
  }
}

// A t.me link that starts the bot (an invitation): the person pressing it starts the bot.
function startPayload(href) {
  if (!state || !href) return null;
  const match = href.match(/^https:\/\/t\.me\/([A-Za-z0-9_]+)\?start=([A-Za-z0-9_-]{1,64})$/);
  return match && match[1] === state.bot.username ? match[2] : null;
}

class Column {
  constructor(chat, title) {
    this.chat = chat;
    this.version = 0;
    this.nodes = new Map();
    this.replyTo = null;
    this.stopped = new AbortController();
    this.section = element("section", "chat");
    this.section.dataset.chat = String(chat);
    this.section.append(element("h2", "", title));
    this.list = element("ol", "messages");
    this.stick = true; // keep the newest message in view until the reader scrolls up
    this.list.addEventListener("scroll", () => {
      this.stick = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 60;
    });
    this.toast = element("p", "toast");
    this.toast.hidden = true;
    this.toast.addEventListener("click", () => { this.toast.hidden = true; });
    this.section.append(this.list, this.toast, this.composer());
    document.getElementById("chats").append(this.section);
    this.follow();
  }

  composer() {
    const form = element("form", "composer");
    this.replying = element("p", "replying");
    this.replying.hidden = true;
    this.text = element("textarea", "text");
    this.text.rows = 2;
    this.text.maxLength = 4096;
    this.text.placeholder = label("placeholder");
    this.text.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    const send = element("button", "send", label("send"));
    send.type = "submit";
    const file = element("input", "file");
    file.type = "file";
    file.hidden = true;
    const pick = element("button", "pick", label("file"));
    pick.type = "button";
    pick.addEventListener("click", () => file.click());
    file.addEventListener("change", () => this.sendFile(file));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.sendText();
    });
    this.error = element("p", "error");
    this.error.hidden = true;
    form.append(this.replying, this.text, send, pick, file, this.error);
    return form;
  }

  async follow() {
    while (!this.stopped.signal.aborted) {
      try {
        const path = `/api/chats/${this.chat}/messages?since=${this.version}&wait=${WAIT}`;
        this.apply(await call(path, { signal: this.stopped.signal }));
        notice(state.open ? "" : label("waiting"));
      } catch (error) {
        if (this.stopped.signal.aborted) return;
        notice(label("lost"));
        await new Promise((resolve) => setTimeout(resolve, 2000));
      }
    }
  }

  apply(answer) {
    for (const message of answer.messages) {
      const node = this.render(message);
      const old = this.nodes.get(message.id);
      if (old) old.replaceWith(node);
      this.nodes.set(message.id, node);
    }
    const ids = new Set(answer.ids);
    for (const [id, node] of this.nodes) {
      if (!ids.has(id)) {
        node.remove();
        this.nodes.delete(id);
      }
    }
    for (const id of answer.ids) this.list.append(this.nodes.get(id)); // in the chat's order
    this.version = answer.version;
    if (answer.messages.some((m) => m.from.id === person.id)) this.stick = true;
    this.toBottom();
  }

  toBottom() {
    if (this.stick) this.list.scrollTop = this.list.scrollHeight;
  }

  render(message) {
    const mine = message.from.id === person.id;
    const item = element("li", `message ${message.from.bot ? "bot" : mine ? "mine" : "person"}`);
    item.dataset.id = String(message.id);
    item.append(element("span", "sender", message.from.name));
    if (message.reply_to) {
      const quote = element("blockquote", "quoted");
      quote.append(element("span", "sender", message.reply_to.name));
      quote.append(element("span", "", message.reply_to.text));
      item.append(quote);
    }
    if (message.photo) {
      const image = element("img", "photo");
      image.src = `/api/files/${encodeURIComponent(message.photo)}`;
      image.alt = "";
      image.addEventListener("load", () => this.toBottom());
      item.append(image);
    }
    if (message.document) {
      const link = element("a", "document", `📎 ${message.document.name}`);
      link.href = `/api/files/${encodeURIComponent(message.document.file_id)}`;
      link.download = message.document.name;
      item.append(link);
    }
    if (message.html) {
      const text = element("div", "text");
      text.append(telegramHtml(message.html));
      item.append(text);
    }
    if (message.poll) item.append(this.poll(message));
    if (message.buttons) item.append(this.keyboard(message));
    const foot = element("div", "foot");
    if (message.edited) foot.append(element("span", "edited", label("edited")));
    const reply = element("button", "reply", label("reply"));
    reply.type = "button";
    reply.addEventListener("click", () => this.reply(message));
    foot.append(reply);
    item.append(foot);
    return item;
  }

  poll(message) {
    const poll = message.poll;
    const box = element("div", "poll");
    box.append(element("p", "question", poll.question));
    const chosen = poll.chosen[String(person.id)] || [];
    poll.options.forEach((option, index) => {
      const button = element("button", "option");
      button.type = "button";
      button.disabled = poll.closed;
      button.append(element("span", "", `${chosen.includes(index) ? "✓ " : ""}${option.text}`));
      button.append(element("span", "count", String(option.votes)));
      button.classList.toggle("chosen", chosen.includes(index));
      button.addEventListener("click", () => this.vote(message, index, chosen, poll.multiple));
      box.append(button);
    });
    box.append(element("p", "total", poll.closed ? `${poll.total} · ${label("closed")}` : poll.total));
    return box;
  }

  keyboard(message) {
    const keyboard = element("div", "keyboard");
    message.buttons.forEach((row, rowIndex) => {
      const line = element("div", "row");
      row.forEach((button, column) => {
        if (button.web_app) { // a Mini App button: the bot's dashboard, as this person
          const open = element("button", "inline web-app", button.text);
          open.type = "button";
          open.addEventListener("click", () => openMiniApp(button.web_app));
          line.append(open);
          return;
        }
        if (button.url) {
          const link = element("a", "inline", button.text);
          link.href = button.url;
          link.rel = "noopener noreferrer";
          link.target = "_blank";
          line.append(link);
          return;
        }
        const press = element("button", "inline", button.text);
        press.type = "button";
        press.addEventListener("click", () => this.press(message, rowIndex, column, press));
        line.append(press);
      });
      keyboard.append(line);
    });
    return keyboard;
  }

  reply(message) {
    this.replyTo = message.id;
    this.replying.textContent = label("replying", { name: message.from.name });
    const cancel = element("button", "cancel", label("cancel"));
    cancel.type = "button";
    cancel.addEventListener("click", () => this.clearReply());
    this.replying.append(" ", cancel);
    this.replying.hidden = false;
    this.text.focus();
  }

  clearReply() {
    this.replyTo = null;
    this.replying.hidden = true;
  }

  async act(doing) {
    this.error.hidden = true;
    try {
      return await doing();
    } catch (error) {
      this.error.textContent = error.message;
      this.error.hidden = false;
      return null;
    }
  }

  async sendText(text = this.text.value.trim()) {
    if (!text) return;
    const body = { person: person.id, text };
    if (this.replyTo !== null) body.reply_to = this.replyTo;
    const sent = await this.act(() => post(`/api/chats/${this.chat}/messages`, body));
    if (sent && text === this.text.value.trim()) this.text.value = "";
    if (sent) this.clearReply();
  }

  async sendFile(input) {
    const file = input.files[0];
    input.value = "";
    if (!file) return;
    if (file.size > MAX_FILE) {
      this.error.textContent = label("too_big");
      this.error.hidden = false;
      return;
    }
    const form = new FormData();
    form.append("person", String(person.id));
    form.append("caption", this.text.value.trim());
    form.append("file", file, file.name);
    const sent = await this.act(() =>
      call(`/api/chats/${this.chat}/documents`, {
        method: "POST",
        headers: { "X-Playground": "1" },
        body: form,
      }),
    );
    if (sent) this.text.value = "";
  }

  async press(message, row, column, button) {
    button.disabled = true;
    const path = `/api/chats/${this.chat}/messages/${message.id}/press`;
    const answer = await this.act(() => post(path, { person: person.id, row, column }));
    button.disabled = false;
    if (answer && answer.answer) {
      this.toast.textContent = answer.answer;
      this.toast.classList.toggle("alert", answer.alert);
      this.toast.hidden = false;
      if (!answer.alert) setTimeout(() => { this.toast.hidden = true; }, 5000);
    }
  }

  vote(message, index, chosen, multiple) {
    let options;
    if (multiple) {
      options = chosen.includes(index) ? chosen.filter((i) => i !== index) : [...chosen, index];
    } else {
      options = chosen.includes(index) ? [] : [index]; // pressing one's choice again withdraws it
    }
    const path = `/api/chats/${this.chat}/messages/${message.id}/vote`;
    this.act(() => post(path, { person: person.id, options }));
  }

  stop() {
    this.stopped.abort();
    this.section.remove();
  }
}

// The bot's Mini App, signed for the person acting (as Telegram signs it), in a new tab.
async function openMiniApp(url) {
  try {
    const query = new URLSearchParams({ person: String(person.id) });
    if (url) query.set("url", url);
    const answer = await call(`/api/miniapp?${query}`);
    window.open(answer.url, "_blank", "noopener");
  } catch (error) {
    notice(error.message);
  }
}

function notice(text) {
  const node = document.getElementById("notice");
  node.textContent = text;
  node.hidden = !text;
}

function showChats() {
  while (columns.length) columns.pop().stop();
  for (const group of state.groups) columns.push(new Column(group.id, group.title));
  columns.push(new Column(person.id, label("private", { name: person.name })));
}

function choose(id) {
  person = state.people.find((p) => p.id === id) || state.people[0];
  document.getElementById("person").value = String(person.id);
  history.replaceState(null, "", `#person=${person.id}`);
  showChats();
}

async function refresh() {
  state = await call("/api/state");
  document.getElementById("clock").textContent = state.clock;
  return state;
}

async function start() {
  await refresh();
  document.documentElement.lang = state.lang;
  document.title = label("title");
  for (const [id, key] of [
    ["title", "title"], ["person-label", "person"], ["intro", "intro"],
    ["clock-label", "clock"], ["later-label", "later"],
  ]) {
    document.getElementById(id).textContent = label(key);
  }
  const later = document.querySelectorAll(".later-button");
  ["minutes30", "hour", "day"].forEach((key, i) => { later[i].textContent = label(key); });
  for (const button of later) {
    button.addEventListener("click", async () => {
      try {
        const moved = await post("/api/clock", { minutes: Number(button.dataset.minutes) });
        document.getElementById("clock").textContent = moved.clock;
      } catch (error) {
        notice(error.message);
      }
    });
  }
  const select = document.getElementById("person");
  for (const someone of state.people) {
    const option = element("option", "", `${someone.name} · ${someone.about}`);
    option.value = String(someone.id);
    select.append(option);
  }
  select.addEventListener("change", () => choose(Number(select.value)));
  // An invitation link pressed in a chat: the person acting starts the bot with it.
  document.body.addEventListener("click", (event) => {
    const link = event.target.closest("a");
    const payload = link && startPayload(link.getAttribute("href"));
    if (!payload) return;
    event.preventDefault();
    const own = columns[columns.length - 1];
    own.sendText(`/start ${payload}`);
  });
  if (state.menu) { // the bot's menu button opens its Mini App
    const menu = element("button", "menu-button", state.menu);
    menu.type = "button";
    menu.id = "menu-button";
    menu.addEventListener("click", () => openMiniApp(null));
    document.querySelector("header").append(menu);
  }
  const wanted = Number(new URLSearchParams(location.hash.slice(1)).get("person"));
  choose(wanted);
  while (!state.open) { // the month is still being played: watch, then act
    notice(label("waiting"));
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const groups = state.groups.length;
    await refresh();
    if (state.groups.length !== groups) showChats();
  }
  notice("");
}

start().catch((error) => notice(error.message));
