/**
 * `GET /api/v1/operations/:id/stream`: the operation's events as
 * Server-Sent Events. It replays the events after `Last-Event-ID` (or the
 * `after` query parameter), then follows live: woken by the local
 * controller's commits and polling the store for events other processes
 * write. Each event: `id: <seq>`, `event: <type>`, `data: <StoredEvent JSON>`.
 * A comment line every heartbeat interval keeps proxies from closing it.
 */
import type { ServerResponse } from "node:http";
import { z } from "zod";
import type { ApiContext } from "./api-context.ts";
import { sendError, validate } from "./http-io.ts";
import type { Route } from "./router.ts";
import { operationParam } from "./routes-operations.ts";
import { queryObject } from "./schemas.ts";

const PAGE = 500;
const sequence = z
  .string()
  .regex(/^\d{1,15}$/, "expected an event sequence number")
  .transform(Number);
const streamQuery = z.strictObject({
  after: sequence.optional().describe("Replay events after this sequence number."),
});

/** The stream route. */
export function streamRoutes(ctx: ApiContext): Route[] {
  return [
    {
      method: "GET",
      path: "/api/v1/operations/:id/stream",
      access: "read",
      summary: "Server-Sent Events: replay after Last-Event-ID (or ?after=), then live events and heartbeats.",
      doc: { query: streamQuery, ok: { status: 200, media: "text/event-stream" } },
      handler: async (rc) => {
        const record = await operationParam(ctx, rc);
        if (!record.ok) return sendError(rc.res, record.error);
        const query = validate(queryObject(rc.query), streamQuery, "query.");
        if (!query.ok) return sendError(rc.res, query.error);
        const header = rc.req.headers["last-event-id"];
        const start =
          typeof header === "string" && header !== ""
            ? validate(header, sequence, "Last-Event-ID")
            : { ok: true as const, value: query.value.after ?? 0 };
        if (!start.ok) return sendError(rc.res, start.error);
        const closed = new AbortController();
        rc.req.on("close", () => closed.abort());
        const signal = AbortSignal.any([closed.signal, ctx.shutdown]);
        rc.res.writeHead(200, {
          "content-type": "text/event-stream; charset=utf-8",
          "cache-control": "no-store",
          connection: "keep-alive",
          "x-accel-buffering": "no",
          "x-content-type-options": "nosniff",
        });
        await follow(ctx, rc.res, record.value.id, start.value, signal);
        rc.res.end();
      },
    },
  ];
}

async function follow(
  ctx: ApiContext,
  res: ServerResponse,
  operationId: string,
  afterSeq: number,
  signal: AbortSignal,
): Promise<void> {
  let seq = afterSeq;
  let lastWriteMs = Date.now();
  await write(res, "retry: 2000\n\n");
  while (!signal.aborted) {
    const events = await ctx.store.listEvents(operationId, seq, PAGE);
    for (const event of events) {
      await write(res, `id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
      seq = event.seq;
      lastWriteMs = Date.now();
    }
    if (events.length === PAGE) continue;
    const untilHeartbeatMs = Math.max(0, ctx.heartbeatMs - (Date.now() - lastWriteMs));
    await ctx.hub.wait(operationId, Math.min(ctx.streamPollMs, untilHeartbeatMs), signal);
    if (!signal.aborted && Date.now() - lastWriteMs >= ctx.heartbeatMs) {
      await write(res, `: heartbeat ${Date.now()}\n\n`);
      lastWriteMs = Date.now();
    }
  }
}

/** Writes and waits for the socket to drain when its buffer is full. */
function write(res: ServerResponse, text: string): Promise<void> {
  if (res.destroyed) return Promise.resolve();
  if (res.write(text)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.once("drain", done);
    res.once("close", done);
  });
}
