/**
 * Server sets: which servers are legacy or candidate (glob patterns on their
 * names), the labels every target sensor carries, and which servers a
 * `drain`, `quiesce`, `retire` or `restore-legacy` action acts on. Pure.
 */
import type { TargetResult } from "../target.ts";
import type { AdminState, ServerStat } from "./router-driver.ts";
import type { BatchAction } from "./traffic-config.ts";

/** The set a server belongs to. A name matching both patterns is a candidate. */
export type Cohort = "legacy" | "candidate" | "other";

/** The two name patterns. */
export interface ServerPatterns {
  readonly legacy: string;
  readonly candidate: string;
}

const cache = new Map<string, RegExp>();

/** Whether `name` matches the glob `pattern` (`*` any run, `?` one character, the rest literal). */
export function matchesGlob(pattern: string, name: string): boolean {
  let regex = cache.get(pattern);
  if (regex === undefined) {
    const body = [...pattern]
      .map((char) => (char === "*" ? ".*" : char === "?" ? "." : char.replace(/[\\^$.|+()[\]{}]/g, "\\$&")))
      .join("");
    regex = new RegExp(`^${body}$`);
    cache.set(pattern, regex);
  }
  return regex.test(name);
}

/** The cohort of a server name. */
export function cohortOf(name: string, patterns: ServerPatterns): Cohort {
  if (matchesGlob(patterns.candidate, name)) return "candidate";
  if (matchesGlob(patterns.legacy, name)) return "legacy";
  return "other";
}

/** Whether new requests may reach the server: `ready` with a weight above 0. */
export function isRoutable(server: Pick<ServerStat, "adminState" | "weight">): boolean {
  return server.adminState === "ready" && server.weight > 0;
}

/**
 * Whether the router reports the server healthy: `UP` (HAProxy's `UP 1/3` too),
 * or healthy but not taking new traffic (`DRAIN`, `NOLB`). `no check` is not
 * up: without a health check nothing says the server serves.
 */
export function isUp(status: string): boolean {
  return status.startsWith("UP") || status === "DRAIN" || status === "NOLB";
}

/** The labels of one server in every target sensor's vector. */
export function serverLabels(server: ServerStat, patterns: ServerPatterns): Readonly<Record<string, string>> {
  return {
    cohort: cohortOf(server.name, patterns),
    adminState: server.adminState,
    weight: String(server.weight),
    routable: isRoutable(server) ? "1" : "0",
    status: server.status,
  };
}

/** Servers of a cohort, by name order. */
export function serversOf(
  servers: readonly ServerStat[],
  cohort: Cohort,
  patterns: ServerPatterns,
  states?: readonly AdminState[],
): ServerStat[] {
  return servers
    .filter((server) => cohortOf(server.name, patterns) === cohort)
    .filter((server) => states === undefined || states.includes(server.adminState))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function refuse(code: string, message: string): TargetResult<never> {
  return { ok: false, code, message, retryable: false };
}

/** The admin states a batch action accepts its servers in (the second is where it leaves them). */
const ACCEPTED_STATES: Readonly<Record<BatchAction["type"], readonly AdminState[]>> = {
  drain: ["ready", "drain"],
  quiesce: ["drain"],
  retire: ["drain", "maint"],
};

/**
 * The legacy servers a batch action acts on, by name order.
 *
 * With `servers`, each must exist, be legacy, and be in a state the action
 * accepts: `drain` takes `ready` (or already `drain`) servers, `quiesce`
 * only `drain`, `retire` `drain` (or already `maint`).
 *
 * With `count: n`, the selection is declarative, so that applying it again
 * selects the same servers: `drain` means "n legacy servers are draining"
 * (those already in `drain` first, then `ready` ones in name order);
 * `quiesce` and `retire` act on the first n legacy servers in `drain` (the
 * batch being retired). A `retire` that finds none in `drain` but at least
 * n legacy servers in `maint` selects nothing (it already happened). Explicit `servers` are exact across controller restarts;
 * `count` is exact while the batch is the only one in flight.
 */
export function selectServers(
  action: BatchAction,
  servers: readonly ServerStat[],
  patterns: ServerPatterns,
): TargetResult<readonly string[]> {
  const accepted = ACCEPTED_STATES[action.type];
  if (action.servers !== undefined) {
    const byName = new Map(servers.map((server) => [server.name, server]));
    for (const name of action.servers) {
      const server = byName.get(name);
      if (server === undefined) return refuse("unknown-server", `${action.type}: the router has no server ${name}`);
      if (cohortOf(name, patterns) !== "legacy") {
        return refuse("not-legacy", `${action.type}: ${name} is not a legacy server (${patterns.legacy})`);
      }
      if (!accepted.includes(server.adminState)) {
        return refuse(
          "wrong-state",
          `${action.type}: ${name} is ${server.adminState}; ${action.type} needs ${accepted.join(" or ")}`,
        );
      }
    }
    return { ok: true, value: [...new Set(action.servers)].sort() };
  }
  const count = action.count ?? 0;
  const draining = serversOf(servers, "legacy", patterns, ["drain"]);
  if (action.type === "drain") {
    const ready = serversOf(servers, "legacy", patterns, ["ready"]);
    const picked = [...draining, ...ready].slice(0, count);
    if (picked.length < count) {
      return refuse("too-few-servers", `drain: ${count} legacy servers wanted, ${picked.length} are ready or draining`);
    }
    return { ok: true, value: picked.map((server) => server.name).sort() };
  }
  const alreadyRetired = serversOf(servers, "legacy", patterns, ["maint"]).length >= count;
  if (draining.length === 0 && action.type === "retire" && alreadyRetired) return { ok: true, value: [] };
  if (draining.length === 0) return refuse("too-few-servers", `${action.type}: no legacy server is in drain`);
  return { ok: true, value: draining.slice(0, count).map((server) => server.name) };
}

/**
 * The legacy servers `restore-legacy` brings back to `ready`: the named ones
 * (each must exist and be legacy), or every legacy server not `ready`.
 */
export function restoreSelection(
  names: readonly string[] | undefined,
  servers: readonly ServerStat[],
  patterns: ServerPatterns,
): TargetResult<readonly string[]> {
  if (names === undefined) {
    return { ok: true, value: serversOf(servers, "legacy", patterns, ["drain", "maint"]).map((server) => server.name) };
  }
  const known = new Set(servers.map((server) => server.name));
  for (const name of names) {
    if (!known.has(name)) return refuse("unknown-server", `restore-legacy: the router has no server ${name}`);
    if (cohortOf(name, patterns) !== "legacy") {
      return refuse("not-legacy", `restore-legacy: ${name} is not a legacy server (${patterns.legacy})`);
    }
  }
  return { ok: true, value: [...new Set(names)].sort() };
}
