/**
 * Prepares one tick's raw readings for evaluation: a reading older than its
 * sensor's `maxAgeMs` becomes a `stale` error, and counter sensors become
 * per-tick deltas. Also tracks, per needed sensor, since when it has had no
 * fresh ok reading (sensor blindness).
 */
import type { Plan } from "../plan/types.ts";
import type { Reading } from "../sensors/sensor.ts";
import { type CounterBaseline, counterStep } from "./counters.ts";
import { formatDuration } from "./format.ts";
import type { EngineInternal } from "./internal.ts";
import { maxAgeMs, planIndex } from "./plan-index.ts";

/** One tick's readings after preparation. */
export interface PreparedReadings {
  /** Fresh-checked readings, counters as deltas: what conditions are evaluated on. */
  readonly readings: Readonly<Record<string, Reading>>;
  /** Fresh-checked cumulative readings (counters not turned into deltas): for detector baselines. */
  readonly cumulative: Readonly<Record<string, Reading>>;
  readonly counters: EngineInternal["counters"];
  readonly blindSince: EngineInternal["blindSince"];
  /** Sensors that became blind, or recovered, this tick. */
  readonly blindChanges: readonly string[];
}

function freshness(plan: Plan, name: string, reading: Reading, atMs: number): Reading {
  if (!reading.ok) return reading;
  const ageMs = atMs - reading.observedAtMs;
  const limitMs = maxAgeMs(plan, name);
  if (ageMs <= limitMs) return reading;
  return {
    ok: false,
    observedAtMs: reading.observedAtMs,
    code: "stale",
    message: `reading is ${formatDuration(ageMs)} old (max ${formatDuration(limitMs)})`,
  };
}

/**
 * Prepares the readings of `names` (the sensors this tick needs). Missing
 * readings stay missing (evaluation fails closed on them). Pure: returns new
 * counter baselines and blindness marks, sharing unchanged objects.
 */
export function prepareReadings(
  plan: Plan,
  names: readonly string[],
  raw: Readonly<Record<string, Reading>>,
  atMs: number,
  internal: Pick<EngineInternal, "counters" | "blindSince">,
): PreparedReadings {
  const { counterSensors } = planIndex(plan);
  const readings: Record<string, Reading> = {};
  const cumulative: Record<string, Reading> = {};
  let counters: Record<string, CounterBaseline> | undefined;
  let blindSince: Record<string, number> | undefined;
  const blindChanges: string[] = [];
  for (const name of names) {
    const reading = raw[name];
    const fresh = reading === undefined ? undefined : freshness(plan, name, reading, atMs);
    const freshOk = fresh?.ok === true;
    const since = internal.blindSince[name];
    if (freshOk === (since !== undefined)) {
      blindSince ??= { ...internal.blindSince };
      if (freshOk) delete blindSince[name];
      else blindSince[name] = atMs;
      blindChanges.push(name);
    }
    if (fresh === undefined) continue;
    cumulative[name] = fresh;
    if (!counterSensors.has(name) || !freshOk) {
      readings[name] = fresh;
      continue;
    }
    const step = counterStep(internal.counters[name], fresh);
    readings[name] = step.delta;
    if (step.baseline !== undefined) {
      counters ??= { ...internal.counters };
      counters[name] = step.baseline;
    }
  }
  const stillNeeded = blindSince ?? internal.blindSince;
  for (const name in stillNeeded) {
    if (!names.includes(name)) {
      blindSince ??= { ...internal.blindSince };
      delete blindSince[name];
    }
  }
  return {
    readings,
    cumulative,
    counters: counters ?? internal.counters,
    blindSince: blindSince ?? internal.blindSince,
    blindChanges,
  };
}
