/**
 * The gates a traffic action brings by default (merged with the plan's,
 * never replacing them). Pure.
 */
import type { Condition, GatesSpec } from "../../plan/types.ts";
import type { ActionSpec } from "../target.ts";
import { cohortOf, type ServerPatterns } from "./server-sets.ts";
import { parseTrafficAction } from "./traffic-config.ts";

/** A condition over a target sensor; `op`/`threshold` as in the plan's `max`/`min`. */
export function targetCondition(
  sensor: string,
  op: "<=" | ">=",
  threshold: number,
  options: Pick<Condition, "aggregate" | "label"> & Partial<Pick<Condition, "where" | "expectNodes">>,
): Condition {
  return { sensor: `target.${sensor}`, op, threshold, consecutive: 1, ...options };
}

/** `drained` when nothing the action displaced is still running. */
export const NO_DISPLACED_WORK = targetCondition("displaced", "<=", 0, {
  aggregate: "sum",
  label: "displaced requests",
});

function expect(servers: readonly string[] | undefined): Pick<Condition, "expectNodes"> {
  return servers === undefined ? {} : { expectNodes: servers };
}

/** Every listed server is present, and every ready server of its cohort is UP (one condition per cohort). */
function upConditions(servers: readonly string[], patterns: ServerPatterns, label: string): Condition[] {
  const byCohort = new Map<string, string[]>();
  for (const name of servers) {
    const cohort = cohortOf(name, patterns);
    byCohort.set(cohort, [...(byCohort.get(cohort) ?? []), name]);
  }
  return [...byCohort].map(([cohort, names]) =>
    targetCondition("up", ">=", 1, {
      aggregate: "every",
      where: { cohort, adminState: "ready" },
      expectNodes: names,
      label: `${label} (${cohort})`,
    }),
  );
}

/**
 * Default gates per action:
 * - `weight`: `ready` every candidate server with weight is UP (when the
 *   candidate share is above 0); `drained` no displaced requests.
 * - `drain`: `drained` no sessions on servers in `drain`.
 * - `quiesce`: `drained` every drained server's own drain report is 0.
 * - `provision`: `ready` every provisioned server is ready and UP.
 * - `restore-legacy`: `ready` every restored server is ready and UP.
 * - `retire`: none beyond the action succeeding.
 */
export function trafficDefaultGates(action: ActionSpec, patterns: ServerPatterns): GatesSpec {
  const parsed = parseTrafficAction(action.type, action.params);
  if (!parsed.ok) return {};
  const traffic = parsed.value;
  switch (traffic.type) {
    case "weight": {
      const ready = targetCondition("up", ">=", 1, {
        aggregate: "every",
        where: { cohort: "candidate", routable: "1" },
        label: "candidate servers with weight are UP",
      });
      return {
        conditions: { ...(traffic.candidatePercent > 0 ? { ready: [ready] } : {}), drained: [NO_DISPLACED_WORK] },
      };
    }
    case "drain":
      return {
        conditions: {
          drained: [
            targetCondition("sessions", "<=", 0, {
              aggregate: "sum",
              where: { adminState: "drain" },
              label: "sessions on drained servers",
              ...expect(traffic.servers),
            }),
          ],
        },
      };
    case "quiesce":
      return {
        conditions: {
          drained: [
            targetCondition("drain_report", "<=", 0, {
              aggregate: "every",
              where: { adminState: "drain" },
              label: "work in the drained servers' own drain reports",
              ...expect(traffic.servers),
            }),
          ],
        },
      };
    case "provision":
      return { conditions: { ready: upConditions(traffic.servers, patterns, "provisioned servers are UP") } };
    case "restore-legacy":
      return traffic.servers === undefined
        ? {
            conditions: {
              ready: [
                targetCondition("up", ">=", 1, {
                  aggregate: "every",
                  where: { cohort: "legacy", adminState: "ready" },
                  label: "ready legacy servers are UP",
                }),
              ],
            },
          }
        : { conditions: { ready: upConditions(traffic.servers, patterns, "restored servers are UP") } };
    case "retire":
      return {};
    default: {
      const unreachable: never = traffic;
      return unreachable;
    }
  }
}
