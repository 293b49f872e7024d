/**
 * The HTTP server of `airlock serve` on `node:http`: the JSON API under
 * `/api/v1`, the SSE stream, `/metrics`, probes and the dashboard. Every
 * request goes through the same steps: refuse a token in the query string,
 * apply CORS only for the configured origin, serve a static file, or match
 * a route, authorize it and run its handler. Unexpected exceptions become a
 * 500 without details (they are logged, never a token).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registries } from "../cli/wiring.ts";
import { planJsonSchema } from "../plan/json-schema.ts";
import type { Store } from "../store/store.ts";
import { type AccessPolicy, authorize, refuseQueryToken } from "./access.ts";
import type { ApiContext, LiveOperations } from "./api-context.ts";
import { EventHub } from "./event-hub.ts";
import { DEFAULT_BODY_LIMIT_BYTES, fail, sendError } from "./http-io.ts";
import { ApiMetrics } from "./metrics.ts";
import { openApiDocument } from "./openapi.ts";
import type { PlanCache } from "./plan-cache.ts";
import type { PlanPolicy } from "./plan-policy.ts";
import { matchRoute, type Route } from "./router.ts";
import { commandRoutes } from "./routes-commands.ts";
import { domainRoutes } from "./routes-domains.ts";
import { operationRoutes } from "./routes-operations.ts";
import { streamRoutes } from "./routes-stream.ts";
import { systemRoutes } from "./routes-system.ts";
import { StaticFiles } from "./static-files.ts";
import type { Telemetry } from "./telemetry.ts";

/** Everything the server needs. */
export interface ApiServerOptions {
  readonly store: Store;
  readonly registries: Registries;
  readonly access: AccessPolicy;
  readonly planPolicy: PlanPolicy;
  /** The local controller. */
  readonly live: LiveOperations & { running(): readonly string[] };
  readonly telemetry: Telemetry;
  /** Pinned plans, shared with the controller's runtime factory. */
  readonly plans: PlanCache;
  /** Exact origin allowed cross-origin calls (`https://ops.example.com`); absent: no CORS headers at all. */
  readonly corsOrigin?: string;
  /** Default 1 MiB. */
  readonly bodyLimitBytes?: number;
  /** SSE heartbeat interval; default 15 s. */
  readonly heartbeatMs?: number;
  /** SSE store poll interval; default 1 s. */
  readonly streamPollMs?: number;
  /** The dashboard directory; default `web/`. */
  readonly webRoot?: string;
  /** Writes one line per request (method, path without query, status, ms, caller). Default off. */
  readonly accessLog?: boolean;
  readonly log: (line: string) => void;
  readonly version?: string;
}

/** A started (or startable) API server. */
export interface ApiServer {
  readonly server: Server;
  readonly metrics: ApiMetrics;
  readonly hub: EventHub;
  /** Listens on `host:port` (port 0: any free port); resolves with the bound URL. */
  listen(port: number, host: string): Promise<{ readonly url: string; readonly port: number }>;
  /** Ends streams, stops accepting, and closes connections (idle at once, busy after `graceMs`). Idempotent. */
  close(graceMs?: number): Promise<void>;
}

/** Builds the server (not yet listening). */
export function createApiServer(options: ApiServerOptions): ApiServer {
  const shutdown = new AbortController();
  const { plans } = options;
  const metrics = new ApiMetrics({
    store: options.store,
    plans,
    telemetry: options.telemetry,
    stateOf: (id) => options.live.stateOf(id),
    running: () => options.live.running(),
  });
  const hub = new EventHub();
  const ctx: ApiContext = {
    store: options.store,
    registries: options.registries,
    plans,
    planPolicy: options.planPolicy,
    live: options.live,
    hub,
    telemetry: options.telemetry,
    metrics,
    log: options.log,
    bodyLimitBytes: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    heartbeatMs: options.heartbeatMs ?? 15_000,
    streamPollMs: options.streamPollMs ?? 1_000,
    shutdown: shutdown.signal,
  };
  let openApi: unknown;
  const routes: Route[] = [
    ...systemRoutes(ctx, () => {
      openApi ??= openApiDocument(routes, planJsonSchema(options.registries), options.version ?? "0.1.0");
      return openApi;
    }),
    ...operationRoutes(ctx),
    ...streamRoutes(ctx),
    ...commandRoutes(ctx),
    ...domainRoutes(ctx),
  ];
  const files = new StaticFiles(options.webRoot);
  const server = createServer((req, res) => {
    const startedAt = Date.now();
    let caller = "-";
    handle(req, res, (name) => {
      caller = name;
    })
      .catch((error: unknown) => {
        options.log(
          `internal error on ${req.method} ${pathOf(req)}: ${error instanceof Error ? error.message : String(error)}`,
        );
        if (!res.headersSent) sendError(res, fail(500, "internal", "internal error").error);
        else res.destroy();
      })
      .finally(() => {
        if (options.accessLog) {
          options.log(`${req.method} ${pathOf(req)} ${res.statusCode} ${Date.now() - startedAt}ms ${caller}`);
        }
      });
  });

  async function handle(req: IncomingMessage, res: ServerResponse, identify: (name: string) => void): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    const method = req.method ?? "GET";
    const queryToken = refuseQueryToken(url.searchParams, options.access.tokens);
    if (!queryToken.ok) return sendError(res, queryToken.error);
    if (applyCors(req, res, options.corsOrigin) === "preflight-answered") return;
    if ((method === "GET" || method === "HEAD") && files.has(url.pathname)) {
      return files.send(res, url.pathname, method === "HEAD");
    }
    const match = matchRoute(routes, method, url.pathname);
    if (match.kind === "none") return sendError(res, fail(404, "not-found", `no route ${url.pathname}`).error);
    if (match.kind === "wrong-method") {
      const allow = match.allow.join(", ");
      return sendError(
        res,
        fail(405, "method-not-allowed", `${method} is not allowed here; use ${allow}`, { headers: { allow } }).error,
      );
    }
    const caller = authorize(req.headers, match.route.access, options.access);
    if (!caller.ok) return sendError(res, caller.error);
    identify(caller.value.name);
    await match.route.handler({ req, res, params: match.params, query: url.searchParams, caller: caller.value });
  }

  return {
    server,
    metrics,
    hub,
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          const address = server.address() as AddressInfo;
          const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
          resolve({ url: `http://${shown}:${address.port}`, port: address.port });
        });
      });
    },
    async close(graceMs = 2_000) {
      shutdown.abort();
      if (!server.listening) return;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      await closed;
      clearTimeout(timer);
    },
  };
}

/** Adds CORS headers for the configured origin only; answers its preflight requests. */
function applyCors(
  req: IncomingMessage,
  res: ServerResponse,
  corsOrigin: string | undefined,
): "preflight-answered" | "continue" {
  if (corsOrigin === undefined || req.headers.origin !== corsOrigin) return "continue";
  res.setHeader("access-control-allow-origin", corsOrigin);
  res.setHeader("vary", "Origin");
  if (req.method !== "OPTIONS") return "continue";
  res.writeHead(204, {
    "access-control-allow-methods": "GET, POST, DELETE",
    "access-control-allow-headers": "Authorization, Content-Type, Last-Event-ID",
    "access-control-max-age": "600",
  });
  res.end();
  return "preflight-answered";
}

/** The request path without its query string (which might carry a token). */
function pathOf(req: IncomingMessage): string {
  return (req.url ?? "/").split("?")[0] ?? "/";
}
