// Small SVG charts drawn here (no charting library, nothing fetched): a line per series
// over the weeks, and grouped horizontal bars. Labels go in as text nodes.

const SVG = "http://www.w3.org/2000/svg";

function el(tag, attrs = {}, text = null) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text !== null) node.textContent = text;
  return node;
}

// series: [{name, values: [number|null per label]}]; labels: x-axis texts.
export function lines(title, labels, series, { min = 0, max = 100 } = {}) {
  const width = 640, height = 272, left = 36, right = 40, top = 28, bottom = 48;
  const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", class: "chart lines" });
  svg.append(el("title", {}, title));
  svg.append(el("text", { x: left, y: 16, class: "chart-title" }, title));
  const x = (i) => left + (labels.length < 2 ? (width - left - right) / 2
    : (i * (width - left - right)) / (labels.length - 1));
  const y = (v) => top + ((max - v) * (height - top - bottom)) / (max - min);
  for (let v = min; v <= max; v += 25) {
    svg.append(el("line", { x1: left, x2: width - right, y1: y(v), y2: y(v), class: "grid" }));
    svg.append(el("text", { x: left - 6, y: y(v) + 4, class: "axis", "text-anchor": "end" }, String(v)));
  }
  const step = Math.max(1, Math.ceil(labels.length / 6));
  labels.forEach((label, i) => {
    if (i % step === 0 || i === labels.length - 1) {
      const anchor = i === labels.length - 1 && labels.length > 1 ? "end" : i === 0 ? "start" : "middle";
      svg.append(el("text", { x: x(i), y: height - 26, class: "axis", "text-anchor": anchor }, label));
    }
  });
  series.forEach((line, index) => {
    const points = line.values.map((v, i) => (v === null || v === undefined ? null : [x(i), y(v)]));
    const path = points.filter(Boolean).map(([px, py], i) => `${i ? "L" : "M"}${px.toFixed(1)},${py.toFixed(1)}`).join(" ");
    if (path) svg.append(el("path", { d: path, class: `series s${index}` }));
    points.forEach((p) => p && svg.append(el("circle", { cx: p[0].toFixed(1), cy: p[1].toFixed(1), r: 2.5, class: `dot s${index}` })));
    svg.append(el("text", { x: left + index * 190, y: height - 6, class: `legend s${index}` }, `■ ${line.name}`));
  });
  return svg;
}

// groups: [{name, values: [number|null per series]}]; series: names.
export function bars(title, groups, series, format) {
  const row = 14, gap = 10, left = 150, width = 640;
  const height = 30 + groups.length * (series.length * row + gap) + 20;
  const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", class: "chart bars" });
  svg.append(el("title", {}, title));
  svg.append(el("text", { x: 0, y: 16, class: "chart-title" }, title));
  const values = groups.flatMap((g) => g.values).filter((v) => v !== null && v !== undefined);
  const extent = Math.max(1, ...values.map((v) => Math.abs(v)));
  const zero = values.some((v) => v < 0) ? left + (width - left - 60) / 2 : left;
  const scale = (width - 60 - zero) / extent;
  let y = 30;
  for (const group of groups) {
    const name = group.name.length > 22 ? `${group.name.slice(0, 21)}…` : group.name;
    svg.append(el("text", { x: left - 8, y: y + row * series.length / 2 + 4, class: "axis", "text-anchor": "end" }, name));
    group.values.forEach((v, i) => {
      if (v !== null && v !== undefined) {
        const w = Math.abs(v) * scale;
        svg.append(el("rect", { x: v < 0 ? zero - w : zero, y: y + i * row, width: Math.max(w, 1), height: row - 3, class: `bar s${i}` }));
        svg.append(el("text", { x: (v < 0 ? zero - w : zero + w) + 4, y: y + i * row + row - 5, class: "value" }, format(v)));
      }
    });
    y += series.length * row + gap;
  }
  series.forEach((name, i) => svg.append(el("text", { x: left + i * 170, y: height - 4, class: `legend s${i}` }, `■ ${name}`)));
  return svg;
}
