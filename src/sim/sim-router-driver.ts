/**
 * A {@link RouterDriver} over the simulated fleet, so the real traffic
 * target (weights, admin states, read-back, drift) acts on simulated nodes.
 * Server lists are cached per world version: every sensor read in one tick
 * shares one list.
 */
import type { TargetResult } from "../targets/target.ts";
import type {
  AdminState,
  RouterDriver,
  RouterInfo,
  ServerStat,
  SessionInfo,
} from "../targets/traffic/router-driver.ts";
import { ADMIN_STATES, type SimFleet } from "./sim-fleet.ts";

/** The simulated router. Never fails except for unknown servers and `sessions` (see below). */
export class SimRouterDriver implements RouterDriver {
  readonly #fleet: SimFleet;
  readonly #startedAtMs: number;
  #cache: { version: number; servers: readonly ServerStat[] } | undefined;

  /** @param fleet the world; `startedAtMs` is the router's start (constant: the simulated router never restarts). */
  constructor(fleet: SimFleet, startedAtMs: number) {
    this.#fleet = fleet;
    this.#startedAtMs = startedAtMs;
  }

  /** Every node as a server, cached until the world changes. */
  async servers(): Promise<TargetResult<readonly ServerStat[]>> {
    return { ok: true, value: this.list() };
  }

  /** The same list, synchronously (for the simulator's own sensors). */
  list(): readonly ServerStat[] {
    const fleet = this.#fleet;
    if (this.#cache?.version === fleet.version) return this.#cache.servers;
    const servers = fleet.names.map((_, i) => this.stat(i));
    this.#cache = { version: fleet.version, servers };
    return servers;
  }

  /** Node `i` as a server now. */
  stat(i: number): ServerStat {
    const fleet = this.#fleet;
    return {
      name: fleet.names[i] ?? "",
      weight: fleet.weight[i] ?? 0,
      initialWeight: fleet.weight[i] ?? 0,
      adminState: ADMIN_STATES[fleet.admin[i] ?? 0] ?? "ready",
      status: fleet.status(i),
      currentSessions: fleet.inflight[i] ?? 0,
      queued: 0,
      requestsTotal: fleet.requestsTotal[i] ?? 0,
      errorsTotal: fleet.errorsTotal[i] ?? 0,
    };
  }

  /**
   * Not simulated: the fleet keeps in-flight work as counts per completion
   * step, not as sessions. The simulator's `displaced` sensor reads the
   * counts instead; anything else asking fails closed.
   */
  async sessions(): Promise<TargetResult<readonly SessionInfo[]>> {
    return { ok: false, code: "unsupported", message: "the simulated router does not list sessions", retryable: false };
  }

  /** Sets a node's weight. Idempotent. */
  async setWeight(server: string, weight: number): Promise<TargetResult<void>> {
    return this.#set(server, (i) => {
      this.#fleet.weight[i] = weight;
    });
  }

  /** Sets a node's admin state. Idempotent. */
  async setState(server: string, state: AdminState): Promise<TargetResult<void>> {
    return this.#set(server, (i) => {
      this.#fleet.admin[i] = ADMIN_STATES.indexOf(state);
    });
  }

  /** Router facts: a constant start time, the world's clock. */
  async info(): Promise<TargetResult<RouterInfo>> {
    return { ok: true, value: { startedAtMs: this.#startedAtMs, nowMs: this.#fleet.nowMs } };
  }

  /** Nothing to close. */
  async close(): Promise<void> {}

  #set(server: string, change: (i: number) => void): TargetResult<void> {
    const i = this.#fleet.index.get(server);
    if (i === undefined) return { ok: false, code: "unknown-server", message: `no server ${server}`, retryable: false };
    change(i);
    this.#fleet.version += 1;
    return { ok: true, value: undefined };
  }
}
