/**
 * The built-in router's request path: pick a server, stream the request to
 * it over a keep-alive connection, stream the answer back. Bodies are piped,
 * never buffered. A backend failure before the answer is a 502 counted
 * against that backend; a 5xx answer counts too; a client that goes away
 * aborts the upstream request and counts against nobody.
 */
import { type ClientRequest, type IncomingMessage, request, type ServerResponse } from "node:http";
import type { Backend } from "./backend.ts";
import type { BackendPool } from "./backend-pool.ts";
import { hasRequestBody, upstreamRequestHeaders, withoutHopByHop } from "./forwarded-headers.ts";

/** Timeouts of one upstream exchange. */
export interface ProxyOptions {
  /** A connection to a backend that is not established within this time fails (502). */
  readonly connectTimeoutMs: number;
  /** An upstream exchange with no bytes moving for this long fails (502). */
  readonly idleTimeoutMs: number;
}

/** Counters of requests the router answered itself. */
export interface ProxyCounters {
  /** Requests refused with 503 because no server was eligible. */
  noServerTotal: number;
}

/** Methods whose bodyless requests may be replayed once on a fresh connection. */
const REPLAYABLE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
/** Errors a reused keep-alive connection shows when the backend closed it just before we wrote. */
const STALE_CONNECTION_CODES = new Set(["ECONNRESET", "EPIPE"]);

class UpstreamError extends Error {
  constructor(
    readonly reason: "connect-timeout" | "timeout",
    message: string,
  ) {
    super(message);
  }
}

/** The `request` listener of the router's public HTTP server. */
export function createProxyHandler(
  pool: BackendPool,
  options: ProxyOptions,
  counters: ProxyCounters,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const backend = pool.pick();
    if (backend === undefined) {
      counters.noServerTotal += 1;
      req.resume();
      sendRouterError(res, 503, "no-server");
      return;
    }
    new ProxyExchange(req, res, backend, options).start();
  };
}

/** One client request forwarded to one backend. */
class ProxyExchange {
  private readonly requestId: number;
  private readonly bodyless: boolean;
  private upstream: ClientRequest | undefined;
  private clientGone = false;
  private settled = false;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly backend: Backend,
    private readonly options: ProxyOptions,
  ) {
    this.requestId = backend.startRequest();
    this.bodyless = !hasRequestBody(req.headers);
  }

  start(): void {
    this.req.on("error", () => this.onClientGone());
    this.res.on("close", () => {
      if (!this.res.writableFinished) this.onClientGone();
    });
    this.forward(false);
  }

  private forward(isReplay: boolean): void {
    const { backend, req } = this;
    const upstream = request({
      protocol: "http:",
      hostname: backend.url.hostname,
      port: backend.url.port === "" ? 80 : Number(backend.url.port),
      method: req.method,
      path: req.url,
      headers: upstreamRequestHeaders(req.headers, req.socket.remoteAddress),
      agent: backend.agent,
    });
    this.upstream = upstream;
    upstream.setTimeout(this.options.idleTimeoutMs, () => {
      upstream.destroy(new UpstreamError("timeout", "backend idle timeout"));
    });
    upstream.on("socket", (socket) => {
      if (!socket.connecting) return;
      const timer = setTimeout(() => {
        upstream.destroy(new UpstreamError("connect-timeout", "backend connect timeout"));
      }, this.options.connectTimeoutMs);
      socket.once("connect", () => clearTimeout(timer));
      socket.once("close", () => clearTimeout(timer));
    });
    upstream.on("response", (upRes) => this.onResponse(upRes));
    upstream.on("error", (error: NodeJS.ErrnoException) => this.onUpstreamError(upstream, error, isReplay));
    if (this.bodyless) upstream.end();
    else req.pipe(upstream);
  }

  private onResponse(upRes: IncomingMessage): void {
    const status = upRes.statusCode ?? 502;
    upRes.on("error", () => {});
    upRes.on("close", () => {
      if (upRes.complete || this.clientGone) return;
      // The backend broke off mid-answer: the client gets a truncated response.
      this.settle(true);
      this.res.destroy();
    });
    this.res.on("finish", () => this.settle(status >= 500));
    this.res.writeHead(status, upRes.statusMessage, withoutHopByHop(upRes.headers));
    upRes.pipe(this.res);
  }

  private onUpstreamError(upstream: ClientRequest, error: NodeJS.ErrnoException, isReplay: boolean): void {
    if (this.clientGone || this.settled) return;
    if (this.res.headersSent) return; // the response's own close handler accounts for it
    const staleKeepAlive =
      !isReplay &&
      upstream.reusedSocket &&
      this.bodyless &&
      REPLAYABLE_METHODS.has(this.req.method ?? "") &&
      STALE_CONNECTION_CODES.has(error.code ?? "");
    if (staleKeepAlive) {
      this.forward(true);
      return;
    }
    this.settle(true);
    sendRouterError(this.res, 502, errorReason(error));
  }

  private onClientGone(): void {
    if (this.clientGone) return;
    this.clientGone = true;
    this.upstream?.destroy();
    this.settle(false);
  }

  private settle(failed: boolean): void {
    if (this.settled) return;
    this.settled = true;
    this.backend.finishRequest(this.requestId, failed);
  }
}

function errorReason(error: NodeJS.ErrnoException): string {
  if (error instanceof UpstreamError) return error.reason;
  if (error.code === "ECONNREFUSED") return "connect-refused";
  if (error.code === "ECONNRESET" || error.code === "EPIPE") return "reset";
  return "upstream-error";
}

/** Answer the client from the router itself; the reason is in `x-router-error`. */
function sendRouterError(res: ServerResponse, status: 502 | 503, reason: string): void {
  if (res.headersSent || res.destroyed) return;
  const body = status === 502 ? "bad gateway\n" : "no server available\n";
  res.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(body),
    "x-router-error": reason,
  });
  res.end(body);
}
