/**
 * Recent sensor readings and detector scores of the operations this
 * controller runs, for the dashboard's charts and heat map and for
 * `/metrics`. In memory only and bounded (a ring of ticks per operation, a
 * cap on operations): it is a view, never a source of truth, and it starts
 * empty after a restart. Operations run by another controller have none.
 */
import type { Reading } from "../sensors/sensor.ts";

/** One sensor's reading in one tick, reduced to plain numbers. */
export type SensorSample =
  | { readonly value: number }
  | {
      readonly values: Readonly<Record<string, number>>;
      readonly labels?: Readonly<Record<string, Readonly<Record<string, string>>>>;
    }
  | { readonly error: string };

/** Everything recorded for one tick. */
export interface TickSample {
  readonly atMs: number;
  readonly sensors: Readonly<Record<string, SensorSample>>;
  /** Detector score / threshold per node (and `cohort:candidate`), when a supercriticality guard stepped. */
  readonly scores?: Readonly<Record<string, number>>;
}

/** Limits of a {@link Telemetry}. */
export interface TelemetryLimits {
  /** Ticks kept per operation (oldest dropped). Default 600. */
  readonly maxTicks?: number;
  /** Operations kept (least recently updated dropped). Default 100. */
  readonly maxOperations?: number;
}

/** Bounded per-operation tick history. Synchronous and cheap: called from inside the runner's transition. */
export class Telemetry {
  readonly #ticks = new Map<string, TickSample[]>();
  readonly #maxTicks: number;
  readonly #maxOperations: number;

  /** @param limits see {@link TelemetryLimits} */
  constructor(limits: TelemetryLimits = {}) {
    this.#maxTicks = limits.maxTicks ?? 600;
    this.#maxOperations = limits.maxOperations ?? 100;
  }

  /** Records one tick's readings (and scores, if the detector ran). */
  recordTick(
    operationId: string,
    atMs: number,
    readings: Readonly<Record<string, Reading>>,
    scores: Readonly<Record<string, number>> | undefined,
  ): void {
    const sensors: Record<string, SensorSample> = {};
    for (const [name, reading] of Object.entries(readings)) sensors[name] = sampleOf(reading);
    const tick: TickSample = scores === undefined ? { atMs, sensors } : { atMs, sensors, scores };
    const ticks = this.#ticks.get(operationId) ?? [];
    this.#ticks.delete(operationId);
    ticks.push(tick);
    if (ticks.length > this.#maxTicks) ticks.splice(0, ticks.length - this.#maxTicks);
    this.#ticks.set(operationId, ticks);
    if (this.#ticks.size > this.#maxOperations) {
      const oldest = this.#ticks.keys().next().value;
      if (oldest !== undefined) this.#ticks.delete(oldest);
    }
  }

  /** The recorded ticks of an operation, oldest first (empty when none). */
  ticks(operationId: string): readonly TickSample[] {
    return this.#ticks.get(operationId) ?? [];
  }

  /** The latest detector score of each subject (node or cohort) of an operation, and when the newest was recorded. */
  latestScores(
    operationId: string,
  ): { readonly atMs: number; readonly values: Readonly<Record<string, number>> } | undefined {
    let latest: { atMs: number; values: Record<string, number> } | undefined;
    for (const tick of this.#ticks.get(operationId) ?? []) {
      if (tick.scores === undefined) continue;
      latest = { atMs: tick.atMs, values: { ...latest?.values, ...tick.scores } };
    }
    return latest;
  }

  /** Operations with recorded ticks. */
  operations(): readonly string[] {
    return [...this.#ticks.keys()];
  }
}

function sampleOf(reading: Reading): SensorSample {
  if (!reading.ok) return { error: reading.code };
  const value = reading.value;
  if (value.type === "scalar") return { value: value.value };
  return value.labels === undefined ? { values: value.values } : { values: value.values, labels: value.labels };
}
