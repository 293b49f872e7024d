/**
 * Displaced work: the requests that started before the current stage's
 * action on servers whose share that action reduced. At an intermediate
 * weight the legacy side keeps serving its share, so "legacy sessions = 0"
 * would never hold; what must finish is the work the action displaced.
 * Pure.
 */
import type { ReadContext } from "../../sensors/sensor.ts";
import type { ServerStat, SessionInfo } from "./router-driver.ts";
import { type Cohort, cohortOf, type ServerPatterns, serversOf } from "./server-sets.ts";
import { parseTrafficAction } from "./traffic-config.ts";

/** The servers whose share an action reduced, and how to say so. */
export interface ReducedServers {
  readonly names: ReadonlySet<string>;
  /** e.g. "legacy servers", "drained servers v1-a, v1-b". */
  readonly description: string;
}

function cohortServers(servers: readonly ServerStat[], cohort: Cohort, patterns: ServerPatterns): ReducedServers {
  const names = new Set(servers.filter((server) => cohortOf(server.name, patterns) === cohort).map((s) => s.name));
  return { names, description: `${cohort} servers` };
}

/**
 * The servers whose share `action` reduced: a forward `weight` reduces the
 * legacy set, a rollback `weight` (taking the candidate out of service) the
 * candidate set; `drain` and `retire` their servers (with `count`, every
 * legacy server in `drain`, or also `maint` for `retire`: a superset, never
 * fewer). `quiesce`, `provision` and `restore-legacy` reduce no share.
 * An action that is not a traffic action is an error message.
 */
export function reducedServers(
  action: NonNullable<ReadContext["stageAction"]>,
  servers: readonly ServerStat[],
  patterns: ServerPatterns,
): ReducedServers | string {
  const parsed = parseTrafficAction(action.type, action.params);
  if (!parsed.ok) return parsed.message;
  const traffic = parsed.value;
  switch (traffic.type) {
    case "weight":
      return cohortServers(servers, action.rollback ? "candidate" : "legacy", patterns);
    case "drain":
    case "retire": {
      const states = traffic.type === "drain" ? (["drain"] as const) : (["drain", "maint"] as const);
      const names = traffic.servers ?? serversOf(servers, "legacy", patterns, [...states]).map((server) => server.name);
      return { names: new Set(names), description: `${traffic.type}ed servers ${names.join(", ") || "(none)"}` };
    }
    case "quiesce":
    case "provision":
    case "restore-legacy":
      return { names: new Set(), description: `no servers (${traffic.type} reduces no share)` };
    default: {
      const unreachable: never = traffic;
      return unreachable;
    }
  }
}

/** Inputs of {@link countDisplaced}. */
export interface DisplacedInput {
  readonly servers: readonly ServerStat[];
  readonly sessions: readonly SessionInfo[];
  readonly patterns: ServerPatterns;
  /** The read's clock, ms since the epoch. */
  readonly nowMs: number;
  readonly stageAppliedAtMs?: number;
  readonly stageAction?: ReadContext["stageAction"];
}

/** Displaced requests per server (every listed server present, 0 where none), with an explanation. */
export type DisplacedCount =
  | { readonly ok: true; readonly values: Readonly<Record<string, number>>; readonly detail: string }
  | { readonly ok: false; readonly message: string };

/**
 * Counts, per server, the sessions older than the time since the stage's
 * action (`ageMs > nowMs − stageAppliedAtMs`) on servers the action reduced.
 * Outside a sealing stage every server is 0 and the detail says why.
 * Sessions that started during the read itself may be counted (ages are
 * measured after `nowMs`): the error only ever delays a seal.
 */
export function countDisplaced(input: DisplacedInput): DisplacedCount {
  const values: Record<string, number> = {};
  for (const server of input.servers) values[server.name] = 0;
  const { stageAction, stageAppliedAtMs } = input;
  if (stageAction === undefined || stageAppliedAtMs === undefined) {
    return { ok: true, values, detail: "no stage is sealing: no work is displaced" };
  }
  const reduced = reducedServers(stageAction, input.servers, input.patterns);
  if (typeof reduced === "string") return { ok: false, message: reduced };
  const sinceActionMs = Math.max(0, input.nowMs - stageAppliedAtMs);
  let oldestMs = 0;
  let total = 0;
  for (const session of input.sessions) {
    if (!reduced.names.has(session.server) || session.ageMs <= sinceActionMs) continue;
    values[session.server] = (values[session.server] ?? 0) + 1;
    oldestMs = Math.max(oldestMs, session.ageMs);
    total += 1;
  }
  const what = `${stageAction.rollback ? "rollback " : ""}${stageAction.type} action`;
  if (total === 0) {
    return { ok: true, values, detail: `no request from before the ${what} is running on ${reduced.description}` };
  }
  const perServer = Object.entries(values)
    .filter(([, count]) => count > 0)
    .map(([name, count]) => `${name} ${count}`)
    .join(", ");
  return {
    ok: true,
    values,
    detail: `${total} request(s) from before the ${what} still running on ${reduced.description} (${perServer}; oldest ${(oldestMs / 1000).toFixed(1)} s)`,
  };
}
