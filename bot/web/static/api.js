// The API client: every call carries Telegram's launch data as `Authorization: tma ...`.

export class ApiError extends Error {
  constructor(status, body) {
    super(`HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

export class Api {
  constructor(initData) {
    this.initData = initData;
  }

  headers(extra = {}) {
    return { Authorization: `tma ${this.initData}`, ...extra };
  }

  async get(path, params = {}) {
    const query = new URLSearchParams(
      Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== ""),
    ).toString();
    const response = await fetch(`/app/api/${path}${query ? `?${query}` : ""}`, {
      headers: this.headers(), credentials: "omit", cache: "no-store",
    });
    return this.read(response);
  }

  async post(path, body) {
    const response = await fetch(`/app/api/${path}`, {
      method: "POST",
      headers: this.headers({ "Content-Type": "application/json" }),
      body: JSON.stringify(body),
      credentials: "omit",
    });
    return this.read(response);
  }

  async read(response) {
    let body = null;
    try { body = await response.json(); } catch { body = null; }
    if (!response.ok) throw new ApiError(response.status, body);
    return body;
  }
}

export async function publicStrings(language) {
  const response = await fetch(`/app/api/strings?lang=${encodeURIComponent(language)}`);
  return (await response.json()).strings;
}
