/**
 * A small typed router: routes are `METHOD /path/:param` with the access
 * they need and a handler. A path that matches with another method answers
 * 405 with `Allow`; no match is the caller's 404.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { z } from "zod";
import type { Access, Caller } from "./access.ts";

/** HTTP methods the API uses. */
export type Method = "GET" | "POST" | "DELETE";

/** What a handler gets: the raw request/response, path params, query and the authenticated caller. */
export interface RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly caller: Caller;
}

/** One route. `handler` writes the response itself (JSON or a stream). */
export interface Route {
  readonly method: Method;
  /** e.g. `/api/v1/operations/:id/events`. */
  readonly path: string;
  readonly access: Access;
  /** One line for the OpenAPI document. */
  readonly summary: string;
  /** What the OpenAPI document says about the request and the success answer. */
  readonly doc: RouteDoc;
  readonly handler: (ctx: RequestContext) => Promise<void>;
}

/** A route's request and success answer, for the OpenAPI document. */
export interface RouteDoc {
  /** JSON body schema, or `plan` (a plan as YAML or JSON). */
  readonly body?: z.ZodType | "plan";
  readonly query?: z.ZodType;
  /** Success status and the component schema (or media) it answers with. */
  readonly ok: { readonly status: number; readonly schema: string } | { readonly status: 200; readonly media: string };
}

/** Result of matching a request against the routes. */
export type Match =
  | { readonly kind: "found"; readonly route: Route; readonly params: Record<string, string> }
  | { readonly kind: "wrong-method"; readonly allow: readonly string[] }
  | { readonly kind: "none" };

/** Matches `method` and `pathname` (already without query). Params are URL-decoded; a bad escape matches nothing. */
export function matchRoute(routes: readonly Route[], method: string, pathname: string): Match {
  const allow: string[] = [];
  for (const route of routes) {
    const params = matchPath(route.path, pathname);
    if (params === undefined) continue;
    if (route.method === method || (method === "HEAD" && route.method === "GET")) {
      return { kind: "found", route, params };
    }
    allow.push(route.method);
  }
  return allow.length > 0 ? { kind: "wrong-method", allow: [...new Set(allow)] } : { kind: "none" };
}

function matchPath(pattern: string, pathname: string): Record<string, string> | undefined {
  const want = pattern.split("/");
  const got = pathname.split("/");
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, segment] of want.entries()) {
    const actual = got[i] ?? "";
    if (segment.startsWith(":")) {
      if (actual === "") return undefined;
      try {
        params[segment.slice(1)] = decodeURIComponent(actual);
      } catch {
        return undefined;
      }
    } else if (segment !== actual) {
      return undefined;
    }
  }
  return params;
}
