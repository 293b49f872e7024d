// Calls to the Airlock API. The token lives only in memory and in
// sessionStorage (gone when the tab closes) and is sent only as an
// Authorization header, never in a URL.

const KEY = "airlock.token";
let memoryToken = sessionStorage.getItem(KEY) ?? "";
const listeners = new Set();

/** The current token ("" when none). */
export function token() {
  return memoryToken;
}

/** Sets (or with "" forgets) the token. */
export function setToken(value) {
  memoryToken = value.trim();
  if (memoryToken === "") sessionStorage.removeItem(KEY);
  else sessionStorage.setItem(KEY, memoryToken);
  for (const listener of listeners) listener(memoryToken);
}

/** Calls `listener(token)` whenever the token changes. */
export function onTokenChange(listener) {
  listeners.add(listener);
}

/** Headers for an API call. */
export function authHeaders(extra = {}) {
  return memoryToken === "" ? { ...extra } : { ...extra, Authorization: `Bearer ${memoryToken}` };
}

/** An API failure with the server's error code and message. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** GETs or POSTs JSON; resolves with the parsed body, rejects with ApiError. */
export async function api(path, { method = "GET", body, signal } = {}) {
  const response = await fetch(path, {
    method,
    signal,
    headers: authHeaders(body === undefined ? {} : { "Content-Type": "application/json" }),
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new ApiError(response.status, data.error?.code ?? "error", data.error?.message ?? response.statusText);
  }
  return data;
}
