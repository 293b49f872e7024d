/**
 * Turns recorded ticks into chart-ready columns (uPlot's layout: one time
 * column, one value column per series): the sensors the plan's gates read
 * (vectors summed), per-node error rates of each supercriticality guard
 * (error delta / request delta between consecutive ticks; `null` where a
 * node served nothing or a counter reset), and the detector's latest scores.
 * Pure.
 */
import type { Plan } from "../plan/types.ts";
import type { SensorSample, TickSample } from "./telemetry.ts";

/** A value column; `null` where there is no usable value (an error, no traffic). */
export type Column = (number | null)[];

/** Gate sensors over time. */
export interface GateSensorSeries {
  readonly timesMs: readonly number[];
  readonly series: readonly { readonly sensor: string; readonly label: string; readonly values: Column }[];
}

/** Per-node error rates (fractions) of one supercriticality guard over time. */
export interface ErrorRateSeries {
  readonly guard: string;
  readonly timesMs: readonly number[];
  readonly nodes: readonly { readonly node: string; readonly cohort: string | null; readonly values: Column }[];
}

/** The telemetry answer of the API. */
export interface TelemetryView {
  readonly gateSensors: GateSensorSeries;
  readonly errorRates: readonly ErrorRateSeries[];
  /** Latest detector score / threshold per node (1 = alarm threshold), with its time. */
  readonly scores: { readonly atMs: number; readonly values: Readonly<Record<string, number>> } | null;
}

/** Builds the view of `ticks` (oldest first) for `plan`. */
export function telemetryView(
  plan: Plan,
  ticks: readonly TickSample[],
  scores: TelemetryView["scores"] | undefined,
): TelemetryView {
  return {
    gateSensors: gateSensorSeries(plan, ticks),
    errorRates: plan.guards.flatMap((guard) =>
      guard.kind === "supercriticality"
        ? [errorRates(guard.name, guard.requests, guard.errors, guard.cohorts.label, ticks)]
        : [],
    ),
    scores: scores ?? null,
  };
}

function gateSensorSeries(plan: Plan, ticks: readonly TickSample[]): GateSensorSeries {
  const labels = new Map<string, string>();
  for (const stage of plan.stages) {
    for (const conditions of Object.values(stage.gates.conditions ?? {})) {
      for (const condition of conditions ?? []) {
        if (!labels.has(condition.sensor)) labels.set(condition.sensor, condition.label ?? condition.sensor);
      }
    }
  }
  const seen = [...labels.keys()].filter((sensor) => ticks.some((tick) => tick.sensors[sensor] !== undefined));
  return {
    timesMs: ticks.map((tick) => tick.atMs),
    series: seen.map((sensor) => ({
      sensor,
      label: labels.get(sensor) ?? sensor,
      values: ticks.map((tick) => scalarOf(tick.sensors[sensor])),
    })),
  };
}

function scalarOf(sample: SensorSample | undefined): number | null {
  if (sample === undefined || "error" in sample) return null;
  if ("value" in sample) return sample.value;
  return Object.values(sample.values).reduce((sum, value) => sum + value, 0);
}

function errorRates(
  guard: string,
  requestsSensor: string,
  errorsSensor: string,
  cohortLabel: string,
  ticks: readonly TickSample[],
): ErrorRateSeries {
  const usable = ticks.filter((tick) => vectorOf(tick.sensors[requestsSensor]) && vectorOf(tick.sensors[errorsSensor]));
  const nodes = new Map<string, string | null>();
  for (const tick of usable) {
    const requests = tick.sensors[requestsSensor];
    if (requests === undefined || !("values" in requests)) continue;
    for (const node of Object.keys(requests.values)) {
      const cohort = requests.labels?.[node]?.[cohortLabel] ?? nodes.get(node) ?? null;
      nodes.set(node, cohort);
    }
  }
  const rate = (node: string, i: number): number | null => {
    const now = usable[i];
    const before = usable[i - 1];
    if (now === undefined || before === undefined) return null;
    const requests = delta(before.sensors[requestsSensor], now.sensors[requestsSensor], node);
    const errors = delta(before.sensors[errorsSensor], now.sensors[errorsSensor], node);
    if (requests === null || errors === null || requests <= 0) return null;
    return Math.min(1, errors / requests);
  };
  return {
    guard,
    timesMs: usable.map((tick) => tick.atMs),
    nodes: [...nodes].map(([node, cohort]) => ({ node, cohort, values: usable.map((_, i) => rate(node, i)) })),
  };
}

function vectorOf(sample: SensorSample | undefined): boolean {
  return sample !== undefined && "values" in sample;
}

/** Counter increase of `node` between two samples; `null` when missing or reset. */
function delta(before: SensorSample | undefined, now: SensorSample | undefined, node: string): number | null {
  if (before === undefined || now === undefined || !("values" in before) || !("values" in now)) return null;
  const a = before.values[node];
  const b = now.values[node];
  if (a === undefined || b === undefined || b < a) return null;
  return b - a;
}
