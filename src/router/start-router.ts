/**
 * Start the built-in router: a reverse proxy on one port and its admin API on
 * another, both plain HTTP/1.1 on `node:http`.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { createAdminHandler } from "./admin-handler.ts";
import type { ServerConfig } from "./backend.ts";
import { BackendPool } from "./backend-pool.ts";
import { type HealthCheckOptions, startHealthChecks } from "./health-checker.ts";
import { createProxyHandler, type ProxyCounters } from "./proxy-handler.ts";
import { createRouterControl, type RouterControl } from "./router-control.ts";

/** Configuration of one built-in router. */
export interface RouterOptions {
  /** Proxy port; 0 picks a free one. */
  readonly listenPort: number;
  /** Proxy bind address. Default `127.0.0.1`. */
  readonly listenHost?: string;
  /** Admin API port on 127.0.0.1 (never another address); 0 picks a free one. */
  readonly adminPort: number;
  readonly servers: readonly ServerConfig[];
  /** When set, admin mutations need `Authorization: Bearer <adminToken>`. Never logged. */
  readonly adminToken?: string;
  /** Active health checks (default on, `GET /healthz` every 2 s); `false` turns them off (status `no check`). */
  readonly healthCheck?: HealthCheckOptions | false;
  /** Backend connect timeout. Default 2000. */
  readonly connectTimeoutMs?: number;
  /** An upstream exchange with no bytes moving for this long fails with 502. Default 120000. */
  readonly idleTimeoutMs?: number;
  /** Idle upstream keep-alive connections close after this long. Default 4000 (below Node's 5 s server default). */
  readonly upstreamIdleSocketTimeoutMs?: number;
  /** Idle client keep-alive connections close after this long. Default 5000. */
  readonly clientKeepAliveTimeoutMs?: number;
}

/** A running router. */
export interface RunningRouter {
  /** Proxy base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Admin API base URL on 127.0.0.1. */
  readonly adminUrl: string;
  /** In-process control (same operations as the admin API, without HTTP). */
  readonly control: RouterControl;
  /**
   * Stop accepting connections, let in-flight requests finish for up to
   * `graceMs` (default 0), then close every connection. Idempotent.
   */
  close(options?: { readonly graceMs?: number }): Promise<void>;
}

/**
 * Start a router. Resolves once both ports listen and every configured
 * server has had its first health check. Rejects on an invalid server list or
 * a port that cannot be bound.
 */
export async function startRouter(options: RouterOptions): Promise<RunningRouter> {
  const healthOptions = options.healthCheck === false ? undefined : (options.healthCheck ?? {});
  const pool = new BackendPool(
    { idleSocketTimeoutMs: options.upstreamIdleSocketTimeoutMs ?? 4000 },
    healthOptions === undefined ? "no check" : "DOWN",
  );
  for (const server of options.servers) {
    const added = pool.add(server);
    if (!added.ok) throw new Error(`invalid server ${server.name}: ${added.message}`);
  }
  const health = healthOptions === undefined ? undefined : startHealthChecks(() => pool.list(), healthOptions);
  const counters: ProxyCounters = { noServerTotal: 0 };
  const control = createRouterControl(pool, health, counters, Date.now());

  const proxy = createServer(
    createProxyHandler(
      pool,
      { connectTimeoutMs: options.connectTimeoutMs ?? 2000, idleTimeoutMs: options.idleTimeoutMs ?? 120_000 },
      counters,
    ),
  );
  proxy.keepAliveTimeout = options.clientKeepAliveTimeoutMs ?? 5000;
  const admin = createServer(createAdminHandler(control, options.adminToken));
  try {
    await listen(proxy, options.listenPort, options.listenHost ?? "127.0.0.1");
    await listen(admin, options.adminPort, "127.0.0.1");
    await Promise.all(pool.list().map((backend) => health?.checkNow(backend)));
  } catch (error) {
    health?.stop();
    proxy.close();
    admin.close();
    pool.destroyAll();
    throw error;
  }

  let closing: Promise<void> | undefined;
  return {
    url: baseUrl(proxy),
    adminUrl: baseUrl(admin),
    control,
    close: (closeOptions) => {
      closing ??= shutdown(closeOptions?.graceMs ?? 0);
      return closing;
    },
  };

  async function shutdown(graceMs: number): Promise<void> {
    health?.stop();
    const closed = Promise.all([closeServer(proxy), closeServer(admin)]);
    proxy.closeIdleConnections();
    admin.closeAllConnections();
    const deadline = Date.now() + graceMs;
    while (control.sessions().length > 0 && Date.now() < deadline) await sleep(20);
    proxy.closeAllConnections();
    pool.destroyAll();
    await closed;
  }
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) resolve();
    else server.close(() => resolve());
  });
}

function baseUrl(server: Server): string {
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}
