/**
 * Who may call what. Every route declares the access it needs; this module
 * turns the request's `Authorization` header into a principal and decides.
 * 401: no or unknown token; 403: a known token without the right; 400: a
 * token in the query string (refused even when valid, since URLs end up in
 * logs, browser history and proxies).
 */
import type { IncomingHttpHeaders } from "node:http";
import { bearerToken, type Principal, type TokenSet } from "./auth.ts";
import { type ApiResult, fail } from "./http-io.ts";

/** The access a route needs. `ack`: admin, or an ack token (its consumer is checked by the handler). */
export type Access = "public" | "read" | "admin" | "ack" | "metrics";

/** Server-wide access settings. */
export interface AccessPolicy {
  readonly tokens: TokenSet;
  /** Reads (and `/metrics`) without a token. */
  readonly publicRead: boolean;
  /** `/metrics` without a token (reads stay protected). */
  readonly publicMetrics: boolean;
}

/** The caller: a principal, or anonymous on a public route. */
export type Caller = Principal | { readonly name: "anonymous"; readonly role: "anonymous" };

const ANONYMOUS: Caller = { name: "anonymous", role: "anonymous" };

/** Query parameter names that look like credentials. */
const TOKEN_PARAMS = new Set(["token", "access_token", "auth", "authorization", "bearer", "api_key", "apikey", "key"]);

/** Refuses a request whose query string carries a token (by parameter name, or any value that is a known token). */
export function refuseQueryToken(query: URLSearchParams, tokens: TokenSet): ApiResult<void> {
  for (const [name, value] of query) {
    if (TOKEN_PARAMS.has(name.toLowerCase()) || (value.length > 0 && tokens.authenticate(value) !== undefined)) {
      return fail(400, "token-in-query", "tokens are accepted only in the Authorization header, never in a URL", {
        field: `query.${name}`,
      });
    }
  }
  return { ok: true, value: undefined };
}

/** Authenticates the request and checks it against `access`. */
export function authorize(headers: IncomingHttpHeaders, access: Access, policy: AccessPolicy): ApiResult<Caller> {
  const token = bearerToken(headers.authorization);
  const principal = token === undefined ? undefined : policy.tokens.authenticate(token);
  if (token !== undefined && principal === undefined) {
    return fail(401, "unauthorized", "unknown token", { headers: { "www-authenticate": 'Bearer realm="airlock"' } });
  }
  const open =
    access === "public" ||
    (access === "read" && policy.publicRead) ||
    (access === "metrics" && (policy.publicRead || policy.publicMetrics));
  if (open) return { ok: true, value: principal ?? ANONYMOUS };
  if (principal === undefined) {
    const message =
      headers.authorization === undefined
        ? "this call needs a bearer token (Authorization: Bearer <token>)"
        : "malformed Authorization header: expected Bearer <token>";
    return fail(401, "unauthorized", message, { headers: { "www-authenticate": 'Bearer realm="airlock"' } });
  }
  if (allows(principal, access)) return { ok: true, value: principal };
  return fail(403, "forbidden", `a ${principal.role} token may not do this`);
}

function allows(principal: Principal, access: Access): boolean {
  switch (principal.role) {
    case "admin":
      return true;
    case "read":
      return access === "read" || access === "metrics";
    case "ack":
      return access === "read" || access === "metrics" || access === "ack";
  }
}
