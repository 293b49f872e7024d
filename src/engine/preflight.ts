/**
 * Preflight (`airlock preflight`, `run --dry-run`, and before every `run`):
 * every sensor answers with fresh data, the target can be observed, no guard
 * is already failing, and what each stage would do. Nodes that are already
 * divergent are reported (they do not halt an operation; see `detect/`).
 */
import { detector } from "../detect/detector.ts";
import type { Evidence } from "../detect/types.ts";
import type { Condition, GatesSpec, Plan, SupercriticalityGuard } from "../plan/types.ts";
import type { Reading, Sensor } from "../sensors/sensor.ts";
import type { Target } from "../targets/target.ts";
import { realClock } from "./clock.ts";
import { conditionLabel, evaluateCondition, expectedText } from "./evaluate.ts";
import { readSensors } from "./read-sensors.ts";

/** The result of a preflight. `ok` is false when the operation must not start. */
export interface PreflightReport {
  readonly ok: boolean;
  /** Failures (when `ok` is false) and warnings, one readable line each. */
  readonly lines: readonly string[];
  /** What each stage would do, one line each. */
  readonly stagePreview: readonly string[];
  /** Nodes already divergent before the operation (reported, never a failure). */
  readonly divergent: readonly Evidence[];
}

/** Runs the preflight checks against live sensors and the target. Never throws for sensor/target failures. */
export async function runPreflight(
  plan: Plan,
  runtime: { readonly target: Target; readonly sensors: Readonly<Record<string, Sensor>> },
  nowMs: () => number = realClock.nowMs,
): Promise<PreflightReport> {
  const failures: string[] = [];
  const warnings: string[] = [];
  // Plan sensors must all answer; of the target's own sensors, only those the guards watch
  // (others, like displaced work or drain reports, only mean something during a stage).
  const guardSensors = plan.guards.flatMap((g) =>
    g.kind === "threshold" ? [g.condition.sensor, g.condition.divideBy ?? ""] : [g.requests, g.errors],
  );
  const names = Object.keys(runtime.sensors).filter(
    (name) => !name.startsWith("target.") || guardSensors.includes(name),
  );
  const readings = await readSensors(
    runtime.sensors,
    names,
    nowMs,
    Math.min(5_000, Math.max(1_000, plan.intervalMs * 2)),
    {},
  );
  for (const name of names) {
    const reading = readings[name];
    const problem = readingProblem(reading, nowMs(), plan.sensors[name]?.maxAgeMs ?? 3 * plan.intervalMs);
    if (problem !== undefined) failures.push(`sensor ${name}: ${problem}`);
  }
  const observed = await runtime.target.observe(undefined, AbortSignal.timeout(10_000));
  if (!observed.ok) failures.push(`target ${plan.target.kind}: ${observed.code}: ${observed.message}`);
  else if (observed.value.drift !== undefined)
    failures.push(`target ${plan.target.kind}: drift: ${observed.value.drift}`);

  const divergent: Evidence[] = [];
  for (const guard of plan.guards) {
    if (guard.kind === "threshold") {
      if (isCounter(plan, guard.condition)) continue; // a counter needs two readings; the engine checks it from the first tick
      const result = evaluateCondition(guard.condition, readings);
      if (result.kind === "fail")
        failures.push(
          `guard ${guard.name} already failing: ${conditionLabel(guard.condition)} ${result.observed}, expected ${expectedText(guard.condition)}`,
        );
      if (result.kind === "error") failures.push(`guard ${guard.name}: ${result.observed}`);
    } else {
      divergent.push(...divergentNodes(guard, readings));
    }
  }
  for (const evidence of divergent) {
    warnings.push(
      `node ${evidence.subject} already divergent before the operation: ${evidence.errors}/${evidence.requests} errors (${pct(evidence.rate)}) vs fleet ${pct(evidence.referenceRate)}; it is watched against its own baseline and will not halt the operation unless it gets worse`,
    );
  }
  return { ok: failures.length === 0, lines: [...failures, ...warnings], stagePreview: preview(plan), divergent };
}

function readingProblem(reading: Reading | undefined, nowMs: number, maxAgeMs: number): string | undefined {
  if (reading === undefined) return "no reading";
  if (!reading.ok) return `${reading.code}: ${reading.message}`;
  if (nowMs - reading.observedAtMs > maxAgeMs)
    return `stale: observed ${Math.round((nowMs - reading.observedAtMs) / 1000)}s ago (maxAge ${maxAgeMs / 1000}s)`;
  if (reading.value.type === "vector" && Object.keys(reading.value.values).length === 0) return "empty vector";
  return undefined;
}

function isCounter(plan: Plan, condition: Condition): boolean {
  return [condition.sensor, condition.divideBy].some(
    (name) => name !== undefined && plan.sensors[name]?.counter === true,
  );
}

function divergentNodes(guard: SupercriticalityGuard, readings: Readonly<Record<string, Reading>>): Evidence[] {
  const requests = readings[guard.requests];
  const errors = readings[guard.errors];
  if (
    requests?.ok !== true ||
    errors?.ok !== true ||
    requests.value.type !== "vector" ||
    errors.value.type !== "vector"
  )
    return [];
  const errorValues = errors.value.values;
  const baselines = Object.entries(requests.value.values).map(([node, count]) => ({
    node,
    requests: count,
    errors: errorValues[node] ?? 0,
  }));
  return [
    ...detector.preflight(
      {
        mode: guard.mode,
        ratio: guard.ratio,
        minDelta: guard.minDelta,
        alpha: guard.alpha,
        referenceWindowMs: guard.referenceWindowMs,
        minRequests: guard.minRequests,
      },
      baselines,
    ),
  ];
}

/** One line per stage: its action and what seals it. */
export function preview(plan: Plan): string[] {
  return plan.stages.map((stage, i) => {
    const params = JSON.stringify(stage.action.params);
    return `stage ${i + 1}/${plan.stages.length} ${stage.name}: ${stage.action.type} ${params === "{}" ? "" : `${params} `}— seals when ${gatesText(stage.gates)}`;
  });
}

function gatesText(gates: GatesSpec): string {
  const parts: string[] = [];
  for (const [gate, conditions] of Object.entries(gates.conditions ?? {})) {
    for (const condition of conditions ?? [])
      parts.push(`${gate}: ${conditionLabel(condition)} ${expectedText(condition)}`);
  }
  if (gates.bakeMs !== undefined) parts.push(`bake ${gates.bakeMs / 1000}s`);
  if (gates.confirmedBy !== undefined && gates.confirmedBy.length > 0)
    parts.push(`confirmed by ${gates.confirmedBy.join(", ")}`);
  return parts.length === 0 ? "its action is applied (no gates)" : parts.join("; ");
}

function pct(rate: number): string {
  return `${(rate * 100).toFixed(rate < 0.01 ? 2 : 1)}%`;
}
