/**
 * The built-in router's admin HTTP API (served on its own loopback port):
 *
 * - `GET /servers` → `{ servers: ServerDetail[] }`
 * - `GET /sessions` → `{ sessions: SessionDetail[] }`
 * - `GET /info` → `{ startedAtMs, nowMs, noServerTotal }`
 * - `PUT /servers/:name/weight` `{ weight }` → `{ server }` (idempotent)
 * - `PUT /servers/:name/state` `{ state }` → `{ server }` (idempotent)
 * - `POST /servers` `{ name, url, weight, state? }` → `{ server }` (idempotent for the same url)
 * - `DELETE /servers/:name` → `{ removed }` (idempotent)
 *
 * Mutations need `Authorization: Bearer <token>` when a token is configured.
 * Errors are JSON `{ error: code, message }` with a 4xx status.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import type { PoolErrorCode, PoolResult } from "./backend-pool.ts";
import { bearerTokenChecker } from "./bearer-token.ts";
import type { RouterControl } from "./router-control.ts";

const MAX_BODY_BYTES = 64 * 1024;

const STATUS_BY_CODE: Readonly<Record<PoolErrorCode, number>> = {
  "unknown-server": 404,
  "invalid-weight": 400,
  "invalid-state": 400,
  "invalid-server": 400,
  conflict: 409,
};

type Reply = { readonly status: number; readonly body: unknown };

const NewServerBody = z.object({
  name: z.string(),
  url: z.string(),
  weight: z.number(),
  state: z.enum(["ready", "drain", "maint"]).optional(),
});

/** The `request` listener of the admin server. `adminToken` protects mutations when set. */
export function createAdminHandler(
  control: RouterControl,
  adminToken: string | undefined,
): (req: IncomingMessage, res: ServerResponse) => void {
  const authorized = adminToken === undefined ? () => true : bearerTokenChecker(adminToken);
  return (req, res) => {
    route(control, authorized, req).then(
      (reply) => sendJson(res, reply),
      () => sendJson(res, { status: 500, body: { error: "internal", message: "admin request failed" } }),
    );
  };
}

async function route(
  control: RouterControl,
  authorized: (authorization: string | undefined) => boolean,
  req: IncomingMessage,
): Promise<Reply> {
  const path = new URL(req.url ?? "/", "http://admin").pathname;
  const method = req.method ?? "GET";
  if (method === "GET") {
    req.resume();
    if (path === "/servers") return { status: 200, body: { servers: control.servers() } };
    if (path === "/sessions") return { status: 200, body: { sessions: control.sessions() } };
    if (path === "/info") return { status: 200, body: control.info() };
    return notFound();
  }
  if (!authorized(req.headers.authorization)) {
    req.resume();
    return { status: 401, body: { error: "unauthorized", message: "a valid bearer token is required" } };
  }
  const segments = decodeSegments(path);
  if (segments === undefined) return notFound(req);
  const [collection, name, field] = segments;
  if (collection !== "servers") return notFound(req);
  if (method === "DELETE" && name !== undefined && field === undefined) {
    req.resume();
    return { status: 200, body: { removed: control.removeServer(name) } };
  }
  const body = await readJsonObject(req);
  if (body === undefined) return { status: 400, body: { error: "parse", message: "body must be a JSON object" } };
  if (method === "POST" && name === undefined) {
    const parsed = NewServerBody.safeParse(body);
    if (!parsed.success) {
      return { status: 400, body: { error: "invalid-server", message: "expected { name, url, weight, state? }" } };
    }
    const { state, ...server } = parsed.data;
    return serverReply(await control.addServer(state === undefined ? server : { ...server, state }));
  }
  if (method === "PUT" && name !== undefined && field === "weight")
    return serverReply(control.setWeight(name, body.weight));
  if (method === "PUT" && name !== undefined && field === "state")
    return serverReply(control.setState(name, body.state));
  return notFound();
}

function decodeSegments(path: string): string[] | undefined {
  try {
    return path
      .split("/")
      .filter((segment) => segment !== "")
      .map(decodeURIComponent);
  } catch {
    return undefined;
  }
}

function serverReply<T>(result: PoolResult<T>): Reply {
  return result.ok
    ? { status: 200, body: { server: result.value } }
    : { status: STATUS_BY_CODE[result.code], body: { error: result.code, message: result.message } };
}

function notFound(req?: IncomingMessage): Reply {
  req?.resume();
  return { status: 404, body: { error: "not-found", message: "no such admin endpoint" } };
}

/** Read a JSON object body of at most 64 KiB; `undefined` when it is not one. */
async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  try {
    const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function sendJson(res: ServerResponse, reply: Reply): void {
  const text = JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  res.end(text);
}
