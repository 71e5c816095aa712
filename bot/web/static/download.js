// A file from the API saved by the browser (the launch data goes in a header, so a plain
// link cannot fetch it): fetched as a blob, then saved under the server's name.

import { h } from "./dom.js";

function nameOf(response, fallback) {
  const header = response.headers.get("Content-Disposition") || "";
  const found = /filename="([^"]+)"/.exec(header);
  return found ? found[1] : fallback;
}

export async function download(api, path, params, fallback) {
  const query = new URLSearchParams(params).toString();
  const response = await fetch(`/app/api/${path}?${query}`, { headers: api.headers(), credentials: "omit" });
  if (!response.ok) {
    let body = {};
    try { body = await response.json(); } catch { body = {}; }
    const error = new Error(`HTTP ${response.status}`);
    error.status = response.status;
    error.body = body;
    throw error;
  }
  const blob = await response.blob();
  const link = h("a", { href: URL.createObjectURL(blob), download: nameOf(response, fallback) });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  return link.download;
}
