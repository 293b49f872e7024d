/**
 * One backend server of the built-in router: its address, weight, admin
 * state, health, keep-alive connection pool and counters.
 */
import { Agent } from "node:http";
import { performance } from "node:perf_hooks";
import type { AdminState, ServerStat } from "../targets/traffic/router-driver.ts";
import type { WeightedEntry } from "./smooth-weighted-round-robin.ts";

/** Highest weight a server may have (HAProxy's scale). */
export const MAX_WEIGHT = 256;

/** Health as the active check sees it; `no check` when checks are disabled. */
export type Health = "UP" | "DOWN" | "no check";

/** How to add a server to the pool. */
export interface ServerConfig {
  readonly name: string;
  /** Base URL, `http://host:port`; only plain HTTP is proxied. */
  readonly url: string;
  /** Integer 0–256. */
  readonly weight: number;
  /** Admin state to start in; default `ready`. */
  readonly state?: AdminState | undefined;
}

/** One in-flight request as the admin API reports it. */
export interface InflightDetail {
  readonly id: number;
  /** Wall-clock start, ms since the epoch. */
  readonly startedAtMs: number;
  /** Time since the request reached the router, from a monotonic clock. */
  readonly ageMs: number;
}

/** A server's {@link ServerStat} plus the built-in router's extra detail. */
export interface ServerDetail extends ServerStat {
  readonly url: string;
  readonly health: Health;
  /** Upstream TCP connections open to this server now (in use and idle keep-alive). */
  readonly openConnections: number;
  readonly inflight: readonly InflightDetail[];
}

interface InflightEntry {
  readonly startedAtMs: number;
  readonly startedMonoMs: number;
}

/** Options for the upstream keep-alive pool of every backend. */
export interface UpstreamPoolOptions {
  /**
   * An idle keep-alive connection is closed after this long. Keep it below the
   * backends' own keep-alive timeout (Node's default is 5 s) so the router
   * rarely reuses a connection the backend is closing.
   */
  readonly idleSocketTimeoutMs: number;
}

/** Mutable state of one server. Owned by {@link BackendPool}; not thread-shared. */
export class Backend implements WeightedEntry {
  readonly name: string;
  readonly url: URL;
  readonly agent: Agent;
  readonly initialWeight: number;
  weight: number;
  adminState: AdminState;
  health: Health;
  requestsTotal = 0;
  errorsTotal = 0;
  currentWeight = 0;
  private retired = false;
  private nextRequestId = 1;
  private readonly inflight = new Map<number, InflightEntry>();

  constructor(config: ServerConfig, url: URL, health: Health, pool: UpstreamPoolOptions) {
    this.name = config.name;
    this.url = url;
    this.weight = config.weight;
    this.initialWeight = config.weight;
    this.adminState = config.state ?? "ready";
    this.health = health;
    this.agent = new Agent({ keepAlive: true, timeout: pool.idleSocketTimeoutMs, scheduling: "lifo" });
  }

  /** Whether a new request may be sent here: ready, weight > 0, and not known DOWN. */
  get eligible(): boolean {
    return this.adminState === "ready" && this.weight > 0 && this.health !== "DOWN";
  }

  /** HAProxy-style status word: admin state first, then health. */
  get status(): string {
    if (this.adminState === "maint") return "MAINT";
    if (this.health === "DOWN") return "DOWN";
    if (this.adminState === "drain") return "DRAIN";
    return this.health;
  }

  /** Record a request dispatched to this server; returns the id to pass to {@link finishRequest}. */
  startRequest(): number {
    const id = this.nextRequestId++;
    this.requestsTotal += 1;
    this.inflight.set(id, { startedAtMs: Date.now(), startedMonoMs: performance.now() });
    return id;
  }

  /** Record the end of a request. Idempotent per id. `failed` counts it as this server's error. */
  finishRequest(id: number, failed: boolean): void {
    if (!this.inflight.delete(id)) return;
    if (failed) this.errorsTotal += 1;
    if (this.retired && this.inflight.size === 0) this.agent.destroy();
  }

  /**
   * The server was removed from the pool: close its connections once its
   * in-flight requests have finished (at once when there are none). Idempotent.
   */
  retire(): void {
    this.retired = true;
    if (this.inflight.size === 0) this.agent.destroy();
  }

  /** Upstream connections open now, in use and idle. */
  openConnections(): number {
    let count = 0;
    for (const list of [...Object.values(this.agent.sockets), ...Object.values(this.agent.freeSockets)]) {
      count += list?.length ?? 0;
    }
    return count;
  }

  /** A snapshot for the admin API. */
  detail(): ServerDetail {
    const nowMonoMs = performance.now();
    const inflight = [...this.inflight].map(([id, entry]) => ({
      id,
      startedAtMs: entry.startedAtMs,
      ageMs: Math.max(0, Math.round(nowMonoMs - entry.startedMonoMs)),
    }));
    return {
      name: this.name,
      url: this.url.origin,
      weight: this.weight,
      initialWeight: this.initialWeight,
      adminState: this.adminState,
      status: this.status,
      health: this.health,
      currentSessions: inflight.length,
      queued: 0,
      requestsTotal: this.requestsTotal,
      errorsTotal: this.errorsTotal,
      openConnections: this.openConnections(),
      inflight,
    };
  }

  /** Close every pooled upstream connection. In-flight requests on them fail. */
  destroy(): void {
    this.agent.destroy();
  }
}
