/**
 * The in-process control surface of a running built-in router: what the
 * admin HTTP API exposes, callable directly by tests and the demo.
 */
import type { RouterInfo } from "../targets/traffic/router-driver.ts";
import type { ServerConfig, ServerDetail } from "./backend.ts";
import type { BackendPool, PoolResult } from "./backend-pool.ts";
import type { HealthChecker } from "./health-checker.ts";
import type { ProxyCounters } from "./proxy-handler.ts";

/** One in-flight request as `GET /sessions` lists it. */
export interface SessionDetail {
  readonly server: string;
  /** Time since the request reached the router (monotonic clock). */
  readonly ageMs: number;
  /** Wall-clock start, ms since the epoch. */
  readonly startedAtMs: number;
}

/** Router-wide facts for `GET /info`: {@link RouterInfo} plus router-level counters. */
export interface RouterInfoDetail extends RouterInfo {
  /** Requests refused with 503 because no server was eligible. */
  readonly noServerTotal: number;
}

/** Direct control of a running router. Every method is safe to retry. */
export interface RouterControl {
  /** Every server with counters and in-flight detail, in the order added. */
  servers(): readonly ServerDetail[];
  /** Every in-flight request, oldest first. */
  sessions(): readonly SessionDetail[];
  /** Process facts; `startedAtMs` changes only when a new router starts. */
  info(): RouterInfoDetail;
  /** Set a server's weight (integer 0–256). Idempotent. */
  setWeight(name: string, weight: unknown): PoolResult<ServerDetail>;
  /** Set a server's admin state (`ready | drain | maint`). Idempotent. */
  setState(name: string, state: unknown): PoolResult<ServerDetail>;
  /**
   * Add a server and run its first health check before resolving, so its
   * status is known. Idempotent for the same name and URL.
   */
  addServer(config: ServerConfig): Promise<PoolResult<ServerDetail>>;
  /** Remove a server; its in-flight requests finish (unlisted). Returns whether it existed. Idempotent. */
  removeServer(name: string): boolean;
}

/** Build the control surface over a pool. */
export function createRouterControl(
  pool: BackendPool,
  health: HealthChecker | undefined,
  counters: ProxyCounters,
  startedAtMs: number,
): RouterControl {
  return {
    servers: () => pool.list().map((backend) => backend.detail()),
    sessions: () =>
      pool
        .list()
        .flatMap((backend) =>
          backend.detail().inflight.map((entry) => ({
            server: backend.name,
            ageMs: entry.ageMs,
            startedAtMs: entry.startedAtMs,
          })),
        )
        .sort((a, b) => b.ageMs - a.ageMs),
    info: () => ({ startedAtMs, nowMs: Date.now(), noServerTotal: counters.noServerTotal }),
    setWeight: (name, weight) => pool.setWeight(name, weight),
    setState: (name, state) => pool.setState(name, state),
    addServer: async (config) => {
      const added = pool.add(config);
      if (!added.ok) return added;
      await health?.checkNow(added.value);
      return { ok: true, value: added.value.detail() };
    },
    removeServer: (name) => pool.remove(name),
  };
}
