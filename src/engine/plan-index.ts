/**
 * Facts derived from a plan that every tick needs (which sensors guards and
 * gates read, which are counters, how old a reading may be), computed once
 * per plan object. Memoised on object identity, so it stays pure.
 */
import type { Condition, GatesSpec, Guard, Plan } from "../plan/types.ts";
import type { RollbackStep } from "../targets/target.ts";

/** Precomputed per-plan facts. */
export interface PlanIndex {
  /** Sensors every guard reads (both sides of a `divideBy`), deduplicated. */
  readonly guardSensors: readonly string[];
  /** Sensors treated as cumulative counters (declared so, or read by a supercriticality guard). */
  readonly counterSensors: ReadonlySet<string>;
  /** Per forward stage: guard sensors plus that stage's gate sensors. */
  readonly stageReadSets: readonly (readonly string[])[];
  /** Per forward stage: only its gate sensors. */
  readonly stageGateSensors: readonly (readonly string[])[];
}

const planCache = new WeakMap<Plan, PlanIndex>();
const stepCache = new WeakMap<
  readonly RollbackStep[],
  { readonly plan: Plan; readonly sets: readonly (readonly string[])[] }
>();

function conditionSensors(condition: Condition): string[] {
  return condition.divideBy === undefined ? [condition.sensor] : [condition.sensor, condition.divideBy];
}

function guardSensors(guard: Guard): string[] {
  return guard.kind === "threshold" ? conditionSensors(guard.condition) : [guard.requests, guard.errors];
}

/** Sensors a stage's or step's gates read, deduplicated, in plan order. */
export function gateSensors(gates: GatesSpec): readonly string[] {
  const names = new Set<string>();
  for (const conditions of Object.values(gates.conditions ?? {})) {
    for (const condition of conditions ?? []) for (const name of conditionSensors(condition)) names.add(name);
  }
  return [...names];
}

function union(a: readonly string[], b: readonly string[]): readonly string[] {
  return [...new Set([...a, ...b])];
}

/** The plan's index (computed on first use, then reused). */
export function planIndex(plan: Plan): PlanIndex {
  const cached = planCache.get(plan);
  if (cached !== undefined) return cached;
  const guards = [...new Set(plan.guards.flatMap(guardSensors))];
  const counters = new Set(Object.entries(plan.sensors).flatMap(([name, spec]) => (spec.counter ? [name] : [])));
  for (const guard of plan.guards) {
    if (guard.kind === "supercriticality") {
      counters.add(guard.requests);
      counters.add(guard.errors);
    }
  }
  const stageGateSensors = plan.stages.map((stage) => gateSensors(stage.gates));
  const index: PlanIndex = {
    guardSensors: guards,
    counterSensors: counters,
    stageGateSensors,
    stageReadSets: stageGateSensors.map((gates) => union(guards, gates)),
  };
  planCache.set(plan, index);
  return index;
}

/** Per rollback step: guard sensors plus that step's gate sensors (memoised per steps array). */
export function rollbackReadSets(plan: Plan, steps: readonly RollbackStep[]): readonly (readonly string[])[] {
  const cached = stepCache.get(steps);
  if (cached?.plan === plan) return cached.sets;
  const guards = planIndex(plan).guardSensors;
  const sets = steps.map((step) => union(guards, gateSensors(step.gates)));
  stepCache.set(steps, { plan, sets });
  return sets;
}

/** How old a reading of `sensor` may be: the sensor's `maxAgeMs`, else (target sensors) 3 × the interval. */
export function maxAgeMs(plan: Plan, sensor: string): number {
  return plan.sensors[sensor]?.maxAgeMs ?? 3 * plan.intervalMs;
}
