/**
 * Contract between the traffic target and a concrete router. Two drivers
 * implement it: the built-in router's admin API (`builtin/`) and HAProxy's
 * runtime API (`haproxy/`). One contract suite (`router-driver.contract.ts`)
 * runs against both, with real processes.
 */
import type { TargetResult } from "../target.ts";

/** Administrative state of a server: `drain` takes no new requests, in-flight ones finish. */
export type AdminState = "ready" | "drain" | "maint";

/** One backend server's state and cumulative counters. */
export interface ServerStat {
  readonly name: string;
  /** `host:port` of the server, when the router knows it (for per-node hooks and drain reports). */
  readonly address?: string;
  /** Current runtime weight, 0–256 (HAProxy's scale). */
  readonly weight: number;
  /** The weight the configuration file gives (HAProxy `srv_iweight`), to notice reloads that wiped runtime weights. */
  readonly initialWeight: number;
  readonly adminState: AdminState;
  /** Health: `UP`, `DOWN`, `MAINT`, `DRAIN`, `no check` ... as the router reports it. */
  readonly status: string;
  /** Sessions (requests) in flight on this server now. */
  readonly currentSessions: number;
  /** Requests queued for this server. */
  readonly queued: number;
  /** Cumulative requests since the router started (a counter; resets on restart). */
  readonly requestsTotal: number;
  /** Cumulative errors: 5xx responses + response errors + connection errors. */
  readonly errorsTotal: number;
}

/** One in-flight session and how long it has been running. */
export interface SessionInfo {
  readonly server: string;
  readonly ageMs: number;
}

/** Facts about the router process, to detect restarts and reloads. */
export interface RouterInfo {
  /** Process start in ms since the epoch; a change means a restart/reload. */
  readonly startedAtMs: number;
  /** Router's own clock at the time of the reading. */
  readonly nowMs: number;
}

/**
 * A connection to one router, scoped to one backend (HAProxy backend name, or
 * the built-in router's single pool). Every method is safe to retry; failures
 * are values.
 */
export interface RouterDriver {
  /** Every server of the backend with its counters. */
  servers(signal: AbortSignal): Promise<TargetResult<readonly ServerStat[]>>;
  /** Every in-flight session of the backend with its server and age. */
  sessions(signal: AbortSignal): Promise<TargetResult<readonly SessionInfo[]>>;
  /** Set a server's runtime weight (0–256). Idempotent. */
  setWeight(server: string, weight: number, signal: AbortSignal): Promise<TargetResult<void>>;
  /** Set a server's administrative state. Idempotent. */
  setState(server: string, state: AdminState, signal: AbortSignal): Promise<TargetResult<void>>;
  info(signal: AbortSignal): Promise<TargetResult<RouterInfo>>;
  /** Close sockets. Idempotent. */
  close(): Promise<void>;
}
