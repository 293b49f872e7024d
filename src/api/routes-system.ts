/**
 * Probes, metrics and the API description: `/healthz` (the process
 * answers), `/readyz` (the store answers within 2 s), `/metrics`
 * (Prometheus text) and `/api/v1/openapi.json`.
 */
import type { ApiContext } from "./api-context.ts";
import { sendJson } from "./http-io.ts";
import type { Route } from "./router.ts";

const READY_TIMEOUT_MS = 2_000;

/** The system routes; `openApi` builds the document (it needs every route). */
export function systemRoutes(ctx: ApiContext, openApi: () => unknown): Route[] {
  return [
    {
      method: "GET",
      path: "/healthz",
      access: "public",
      summary: "Liveness: the process answers.",
      doc: { ok: { status: 200, schema: "Health" } },
      handler: async (rc) => sendJson(rc.res, 200, { ok: true }),
    },
    {
      method: "GET",
      path: "/readyz",
      access: "public",
      summary: "Readiness: the store answers (503 when it does not).",
      doc: { ok: { status: 200, schema: "Health" } },
      handler: async (rc) => {
        const reachable = await storeAnswers(ctx);
        sendJson(rc.res, reachable ? 200 : 503, { ok: reachable, store: reachable ? "reachable" : "unreachable" });
      },
    },
    {
      method: "GET",
      path: "/metrics",
      access: "metrics",
      summary: "Prometheus metrics (names prefixed airlock_).",
      doc: { ok: { status: 200, media: "text/plain" } },
      handler: async (rc) => {
        const text = await ctx.metrics.registry.metrics();
        rc.res.writeHead(200, { "content-type": ctx.metrics.registry.contentType, "cache-control": "no-store" });
        rc.res.end(text);
      },
    },
    {
      method: "GET",
      path: "/api/v1/openapi.json",
      access: "public",
      summary: "This API's OpenAPI 3.1 document.",
      doc: { ok: { status: 200, media: "application/json" } },
      handler: async (rc) => sendJson(rc.res, 200, openApi()),
    },
  ];
}

async function storeAnswers(ctx: ApiContext): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), READY_TIMEOUT_MS);
  });
  try {
    return await Promise.race([ctx.store.nowMs().then(() => true), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
