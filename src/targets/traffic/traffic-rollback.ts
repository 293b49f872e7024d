/**
 * Rollback planning for traffic targets, the airlocked way: restore legacy
 * capacity first, take the candidate out of service in one step, then drain
 * it. Pure.
 */
import type { ActionSpec, RollbackStep } from "../target.ts";
import { parseTrafficAction, type TrafficAction, type TrafficConfig } from "./traffic-config.ts";
import { NO_DISPLACED_WORK, targetCondition, trafficDefaultGates } from "./traffic-gates.ts";

/** What the applied actions did to the legacy set, as far as rollback needs to know. */
interface LegacyChanges {
  /** Named servers taken out (drained, quiesced or retired). */
  readonly touched: ReadonlySet<string>;
  /** Named servers retired (`maint`, terminated). */
  readonly retired: ReadonlySet<string>;
  /** A batch action used `count`: the servers are only known at apply time. */
  readonly byCount: boolean;
  /** A `retire` used `count`. */
  readonly retiredByCount: boolean;
}

function legacyChanges(actions: readonly TrafficAction[]): LegacyChanges {
  const touched = new Set<string>();
  const retired = new Set<string>();
  let byCount = false;
  let retiredByCount = false;
  for (const action of actions) {
    if (action.type !== "drain" && action.type !== "quiesce" && action.type !== "retire") continue;
    for (const name of action.servers ?? []) touched.add(name);
    if (action.type === "retire") for (const name of action.servers ?? []) retired.add(name);
    byCount ||= action.count !== undefined;
    retiredByCount ||= action.type === "retire" && action.count !== undefined;
  }
  return { touched, retired, byCount, retiredByCount };
}

function restoreStep(servers: readonly string[] | undefined, candidatePercent: number, config: TrafficConfig) {
  const action: ActionSpec = {
    type: "restore-legacy",
    params: servers === undefined ? { candidatePercent } : { candidatePercent, servers: [...servers].sort() },
  };
  return { name: "restore-legacy", action, gates: trafficDefaultGates(action, config) };
}

/** The one-step out-of-service: candidate weight 0, legacy 100%, sealed when the candidate has drained. */
function candidateOutOfServiceStep(): RollbackStep {
  return {
    name: "candidate-out-of-service",
    action: { type: "weight", params: { candidatePercent: 0 } },
    gates: {
      conditions: {
        drained: [
          targetCondition("sessions", "<=", 0, {
            aggregate: "sum",
            where: { cohort: "candidate" },
            label: "candidate sessions",
          }),
          NO_DISPLACED_WORK,
        ],
      },
    },
  };
}

/**
 * Steps from the current state back to legacy, given the applied actions
 * (oldest first):
 *
 * 1. `restore-legacy`: every legacy server the operation drained, quiesced
 *    or retired goes back to `ready` at the current split (retired ones
 *    through the provision hook first). With `count` batches the servers are
 *    unknown here, so the step restores every legacy server not `ready`.
 * 2. `candidate-out-of-service`: weight 0 on every candidate, legacy 100%, in
 *    one step; sealed when candidate sessions and displaced requests are 0.
 *
 * Retired legacy servers without a provision hook cannot come back: the
 * plan restores what it can and stops (`stopsAt`) before taking the
 * candidate out of service, which would leave no capacity.
 */
export function planTrafficRollback(
  applied: readonly ActionSpec[],
  config: TrafficConfig,
): { readonly steps: readonly RollbackStep[]; readonly stopsAt?: string } {
  const actions: TrafficAction[] = [];
  for (const spec of applied) {
    const parsed = parseTrafficAction(spec.type, spec.params);
    if (!parsed.ok) return { steps: [], stopsAt: `cannot plan the rollback of ${parsed.message}` };
    actions.push(parsed.value);
  }
  const lastWeight = actions.findLast((action) => action.type === "weight");
  const candidatePercent = lastWeight?.type === "weight" ? lastWeight.candidatePercent : 0;
  const legacy = legacyChanges(actions);
  const steps: RollbackStep[] = [];
  const anyRetired = legacy.retired.size > 0 || legacy.retiredByCount;
  if (anyRetired && config.hooks?.provision === undefined) {
    const restorable = [...legacy.touched].filter((name) => !legacy.retired.has(name));
    if (restorable.length > 0 && !legacy.byCount) steps.push(restoreStep(restorable, candidatePercent, config));
    const retired = legacy.retiredByCount
      ? "retired legacy servers"
      : `retired ${[...legacy.retired].sort().join(", ")}`;
    return {
      steps,
      stopsAt: `${retired} cannot be restored: no provision hook is configured. Bring them back by hand, then roll back again to take the candidate out of service.`,
    };
  }
  if (legacy.touched.size > 0 || legacy.byCount) {
    steps.push(restoreStep(legacy.byCount ? undefined : [...legacy.touched], candidatePercent, config));
  }
  const candidateServed = actions.some(
    (action) => action.type === "provision" || (action.type === "weight" && action.candidatePercent > 0),
  );
  if (candidateServed) steps.push(candidateOutOfServiceStep());
  return { steps };
}
