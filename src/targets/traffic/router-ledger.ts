/**
 * What this target instance last set on the router (weights and admin
 * states, in memory), to notice drift: a weight or state changed by hand, or
 * a router restart/reload that wiped runtime weights back to the
 * configuration's.
 *
 * Limit: the ledger lives in memory. After a controller restart the first
 * observation becomes the baseline, so a change made while no controller
 * was running is not noticed.
 */
import type { AdminState, RouterInfo, ServerStat } from "./router-driver.ts";

/** The runtime settings Airlock compares (the driver's runtime weight: HAProxy's `srv_uweight`). */
export interface ServerMark {
  readonly weight: number;
  readonly adminState: AdminState;
}

/** Inputs of {@link findDrift}. */
export interface DriftInput {
  readonly marks: ReadonlyMap<string, ServerMark>;
  /** The router's start time when the marks were taken. */
  readonly startedAtMs: number;
  readonly servers: readonly ServerStat[];
  readonly info: RouterInfo;
}

/**
 * Why the router differs from the marks, or `undefined` when it does not.
 * A restart (a new `startedAtMs`) that kept every mark (HAProxy's server
 * state file) is not drift. Pure.
 */
export function findDrift(input: DriftInput): string | undefined {
  const byName = new Map(input.servers.map((server) => [server.name, server]));
  const changes: string[] = [];
  for (const [name, mark] of input.marks) {
    const server = byName.get(name);
    if (server === undefined) {
      changes.push(`${name} is gone`);
      continue;
    }
    if (server.weight !== mark.weight) changes.push(`${name} weight ${server.weight} (Airlock set ${mark.weight})`);
    if (server.adminState !== mark.adminState) {
      changes.push(`${name} ${server.adminState} (Airlock set ${mark.adminState})`);
    }
  }
  if (changes.length === 0) return undefined;
  const shown = changes.length > 6 ? [...changes.slice(0, 6), `+${changes.length - 6} more`] : changes;
  if (input.info.startedAtMs !== input.startedAtMs) {
    const wiped = [...input.marks].some(([name, mark]) => {
      const server = byName.get(name);
      return server !== undefined && server.weight !== mark.weight && server.weight === server.initialWeight;
    });
    const what = wiped ? "runtime weights were reset to the configured ones" : "its runtime state changed";
    return `router restarted or reloaded (started ${new Date(input.info.startedAtMs).toISOString()}) and ${what}: ${shown.join("; ")}`;
  }
  return `changed behind Airlock's back: ${shown.join("; ")}`;
}

/** The in-memory ledger of one target instance. Not shared between processes. */
export class RouterLedger {
  readonly #marks = new Map<string, ServerMark>();
  #startedAtMs: number | undefined;
  #reported: string | undefined;

  /**
   * Compares the router with the ledger. The first call (and servers the
   * ledger has not seen, e.g. added by an autoscaler) becomes the baseline.
   * A restart that kept every mark moves the baseline to the new process.
   */
  drift(servers: readonly ServerStat[], info: RouterInfo): string | undefined {
    if (this.#startedAtMs === undefined) this.#startedAtMs = info.startedAtMs;
    for (const server of servers) {
      if (!this.#marks.has(server.name)) {
        this.#marks.set(server.name, { weight: server.weight, adminState: server.adminState });
      }
    }
    const drift = findDrift({ marks: this.#marks, startedAtMs: this.#startedAtMs, servers, info });
    if (drift === undefined) this.#startedAtMs = info.startedAtMs;
    return drift;
  }

  /** Records a setting Airlock made on a server the ledger knows (after the router accepted it). */
  record(name: string, change: { readonly weight: number } | { readonly adminState: AdminState }): void {
    const current = this.#marks.get(name);
    if (current !== undefined) this.#marks.set(name, { ...current, ...change });
  }

  /** Takes the router's current state as what Airlock set (after overwriting a reported drift). */
  adopt(servers: readonly ServerStat[], info: RouterInfo): void {
    this.#marks.clear();
    for (const server of servers)
      this.#marks.set(server.name, { weight: server.weight, adminState: server.adminState });
    this.#startedAtMs = info.startedAtMs;
    this.#reported = undefined;
  }

  /**
   * Whether a forward apply may overwrite `drift`: only once a refused apply
   * has reported exactly this drift (the halt it caused was resumed by an
   * operator, who thereby lets Airlock set its state again). Records the
   * report otherwise.
   */
  mayOverwrite(drift: string): boolean {
    if (this.#reported === drift) return true;
    this.#reported = drift;
    return false;
  }
}
