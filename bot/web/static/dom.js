// Building the page safely: every text goes in through textContent (names, reports and
// comments come from users), never through innerHTML. Numbers and dates in the reader's
// language (Intl, as Babel does on the server).

export function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key in node && typeof value !== "string") node[key] = value;
    else node.setAttribute(key, String(value));
  }
  append(node, children);
  return node;
}

export function append(node, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node) {
  while (node.firstChild) node.firstChild.remove();
  return node;
}

// "{n} of {m}" with the values put in as text.
export function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (all, key) => (key in values ? String(values[key]) : all));
}

export class Numbers {
  constructor(language) {
    const locale = language === "zh" ? "zh-CN" : "en";
    this.one = new Intl.NumberFormat(locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
    this.signed = new Intl.NumberFormat(locale, {
      minimumFractionDigits: 1, maximumFractionDigits: 1, signDisplay: "always",
    });
    this.two = new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    this.whole = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
    this.percent = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 0 });
    this.credits = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 });
  }

  level(value) { return value === null || value === undefined ? "–" : this.one.format(value); }
  change(value) { return value === null || value === undefined ? "–" : this.signed.format(value); }
  alpha(value) { return value === null || value === undefined ? null : this.two.format(value); }
  count(value) { return this.whole.format(value); }
  rate(part, whole) { return whole ? this.percent.format(part / whole) : "–"; }
  credit(value) { return this.credits.format(value); }
}
