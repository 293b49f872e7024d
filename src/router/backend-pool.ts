/**
 * The built-in router's set of servers: validation of changes, the
 * load-balancing pick, and snapshots for the admin API. Pure in-memory state;
 * every mutation is synchronous, so it is atomic with respect to requests.
 */
import type { AdminState } from "../targets/traffic/router-driver.ts";
import {
  Backend,
  type Health,
  MAX_WEIGHT,
  type ServerConfig,
  type ServerDetail,
  type UpstreamPoolOptions,
} from "./backend.ts";
import { pickSmoothWeighted } from "./smooth-weighted-round-robin.ts";

/** Result of a pool operation: errors are values. */
export type PoolResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly code: PoolErrorCode; readonly message: string };

/** Why a pool operation was refused. */
export type PoolErrorCode = "unknown-server" | "invalid-weight" | "invalid-state" | "invalid-server" | "conflict";

const ADMIN_STATES: readonly AdminState[] = ["ready", "drain", "maint"];
const SERVER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function refuse<T>(code: PoolErrorCode, message: string): PoolResult<T> {
  return { ok: false, code, message };
}

/** Whether `weight` is an integer 0–256. */
export function isValidWeight(weight: unknown): weight is number {
  return typeof weight === "number" && Number.isInteger(weight) && weight >= 0 && weight <= MAX_WEIGHT;
}

/** Whether `state` is one of `ready | drain | maint`. */
export function isAdminState(state: unknown): state is AdminState {
  return typeof state === "string" && (ADMIN_STATES as readonly string[]).includes(state);
}

/** The servers of one built-in router. */
export class BackendPool {
  private readonly backends = new Map<string, Backend>();

  constructor(
    private readonly upstream: UpstreamPoolOptions,
    /** Health a new server starts with until its first check: `no check` when checks are off. */
    private readonly initialHealth: Health,
  ) {}

  /**
   * Add a server. Idempotent: adding the same name with the same URL again
   * succeeds and changes nothing; the same name with another URL is a conflict.
   */
  add(config: ServerConfig): PoolResult<Backend> {
    if (!SERVER_NAME.test(config.name)) {
      return refuse("invalid-server", "server name must be 1-64 characters of letters, digits, '.', '_' or '-'");
    }
    const url = parseBackendUrl(config.url);
    if (url === undefined) return refuse("invalid-server", "server url must be http://host[:port] with no path");
    if (!isValidWeight(config.weight)) return refuse("invalid-weight", "weight must be an integer 0-256");
    if (config.state !== undefined && !isAdminState(config.state)) {
      return refuse("invalid-state", "state must be ready, drain or maint");
    }
    const existing = this.backends.get(config.name);
    if (existing !== undefined) {
      return existing.url.origin === url.origin
        ? { ok: true, value: existing }
        : refuse("conflict", `server ${config.name} already exists with another url`);
    }
    const backend = new Backend(config, url, this.initialHealth, this.upstream);
    this.backends.set(config.name, backend);
    return { ok: true, value: backend };
  }

  /** Remove a server; its in-flight requests finish. Returns whether it existed. Idempotent. */
  remove(name: string): boolean {
    const backend = this.backends.get(name);
    if (backend === undefined) return false;
    this.backends.delete(name);
    backend.retire();
    return true;
  }

  /** Set a server's weight (integer 0–256). Idempotent. */
  setWeight(name: string, weight: unknown): PoolResult<ServerDetail> {
    const backend = this.backends.get(name);
    if (backend === undefined) return refuse("unknown-server", `no server named ${name}`);
    if (!isValidWeight(weight)) return refuse("invalid-weight", "weight must be an integer 0-256");
    backend.weight = weight;
    return { ok: true, value: backend.detail() };
  }

  /** Set a server's admin state. Idempotent. */
  setState(name: string, state: unknown): PoolResult<ServerDetail> {
    const backend = this.backends.get(name);
    if (backend === undefined) return refuse("unknown-server", `no server named ${name}`);
    if (!isAdminState(state)) return refuse("invalid-state", "state must be ready, drain or maint");
    backend.adminState = state;
    return { ok: true, value: backend.detail() };
  }

  /** The server for the next new request, or `undefined` when none is eligible. */
  pick(): Backend | undefined {
    return pickSmoothWeighted([...this.backends.values()].filter((backend) => backend.eligible));
  }

  /** Every server, in the order they were added. */
  list(): readonly Backend[] {
    return [...this.backends.values()];
  }

  /** Close every server's connections at once (router shutdown). */
  destroyAll(): void {
    for (const backend of this.backends.values()) backend.destroy();
  }
}

function parseBackendUrl(text: string): URL | undefined {
  if (typeof text !== "string") return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  const plainOrigin = url.pathname === "/" && url.search === "" && url.hash === "" && url.username === "";
  return url.protocol === "http:" && plainOrigin ? url : undefined;
}
