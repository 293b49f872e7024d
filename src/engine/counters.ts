/**
 * Cumulative counters → per-tick deltas, centrally. A decrease is a counter
 * reset: the value becomes the new baseline and the delta for that tick is
 * the value itself (what was counted since the reset from zero), never a
 * negative number. The first reading only sets the baseline.
 */
import type { NodeValues, Reading } from "../sensors/sensor.ts";

/** Last cumulative value per node (`""` for a scalar counter). */
export type CounterBaseline = { readonly [node: string]: number };

/** The delta reading of one tick and the baseline for the next. */
export interface CounterStep {
  readonly delta: Reading;
  readonly baseline: CounterBaseline | undefined;
}

const SCALAR_KEY = "";

function deltaOf(previous: number, current: number): number {
  return current < previous ? current : current - previous;
}

/**
 * Turns one fresh ok reading of a cumulative counter into its delta since
 * `baseline`. Failed readings pass through and keep the baseline. A node
 * seen for the first time has no delta yet (it is left out this tick); nodes
 * missing from this reading keep their baselines.
 */
export function counterStep(baseline: CounterBaseline | undefined, reading: Reading): CounterStep {
  if (!reading.ok) return { delta: reading, baseline };
  const value = reading.value;
  if (value.type === "scalar") {
    const previous = baseline?.[SCALAR_KEY];
    const next = { [SCALAR_KEY]: value.value };
    if (previous === undefined) return { delta: noBaseline(reading.observedAtMs), baseline: next };
    return {
      delta: { ...reading, value: { type: "scalar", value: deltaOf(previous, value.value) } },
      baseline: next,
    };
  }
  if (baseline === undefined) return { delta: noBaseline(reading.observedAtMs), baseline: { ...value.values } };
  const deltas: Record<string, number> = {};
  for (const node in value.values) {
    const previous = baseline[node];
    const current = value.values[node];
    if (previous !== undefined && current !== undefined) deltas[node] = deltaOf(previous, current);
  }
  const values: NodeValues = deltas;
  return {
    delta: { ...reading, value: value.labels === undefined ? { type: "vector", values } : { ...value, values } },
    baseline: covers(value.values, baseline) ? value.values : { ...baseline, ...value.values },
  };
}

/**
 * Whether `values` has every node of `baseline`: then `values` (immutable,
 * like every reading) is the next baseline as it is, and a thousand-node
 * counter costs no copy per tick.
 */
function covers(values: NodeValues, baseline: CounterBaseline): boolean {
  for (const node in baseline) if (values[node] === undefined) return false;
  return true;
}

function noBaseline(observedAtMs: number): Reading {
  return {
    ok: false,
    observedAtMs,
    code: "baseline",
    message: "first reading of a counter: the delta starts with the next one",
  };
}
