// fetch() for the desk: JSON in and out, the CSRF header on every state change, a time limit,
// and errors that say whether the server answered (ApiError) or not (NetworkError).

import { say } from "./texts.js";

const TIMEOUT_MS = 12_000;

/** The server answered with an error status; `body` is its JSON ({detail, status, by, ...}). */
export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.detail) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

/** No answer (offline, timed out, connection dropped): the request may or may not have arrived. */
export class NetworkError extends Error {}

/** A failed request in the desk's words: `offline` when no answer came, `forbidden` (if given)
    for a 403, else the server's status and detail. */
export function failureMessage(err, { offline, forbidden = null }) {
  if (err instanceof NetworkError) return offline;
  if (forbidden !== null && err instanceof ApiError && err.status === 403) return forbidden;
  return say("desk_server_failed", { status: err instanceof ApiError ? err.status : "?", detail: err.message });
}

export function createApi({ csrf, onSignedOut }) {
  async function request(method, path, { params = null, body = undefined } = {}) {
    const query = params ? `?${new URLSearchParams(params)}` : "";
    const headers = { Accept: "application/json" };
    if (method !== "GET") headers["X-CSRF-Token"] = csrf;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
    try {
      let response;
      try {
        response = await fetch(path + query, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          credentials: "same-origin",
          cache: "no-store",
          signal: controller.signal,
        });
      } catch (err) {
        throw new NetworkError(String(err));
      }
      let data = null;
      try {
        data = await response.json();
      } catch {
        // An empty or non-JSON body (a proxy's error page): the status says enough.
      }
      if (response.status === 401) {
        onSignedOut();
        throw new ApiError(401, data);
      }
      if (!response.ok) throw new ApiError(response.status, data);
      return data;
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    get: (path, params) => request("GET", path, { params }),
    post: (path, body, params) => request("POST", path, { body, params }),
    put: (path, body) => request("PUT", path, { body }),
    patch: (path, body) => request("PATCH", path, { body }),
    del: (path) => request("DELETE", path),
  };
}
