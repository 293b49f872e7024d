/**
 * The `synthetic` sensor kind of the engine benchmark: readings computed from
 * the read's (virtual) time, with no I/O and no per-read script, so 20,000
 * reads a tick cost what a fast real sensor would and nothing more.
 *
 * ```yaml
 * sensors:
 *   latency_p99: { kind: synthetic, shape: gauge, level: 120 }                  # a constant scalar
 *   requests:    { kind: synthetic, shape: counter, nodes: 10, perSecond: 40, counter: true }
 *   errors:      { kind: synthetic, shape: counter, nodes: 10, perSecond: 0.2, counter: true }
 *   sessions:    { kind: synthetic, shape: drain, nodes: 10, level: 30, drainSeconds: 12 }
 * ```
 *
 * Vectors have `nodes` nodes: the first half `v1-<i>` with `cohort: legacy`,
 * the rest `v2-<i>` with `cohort: candidate`; node i's level or rate is scaled
 * by 1 + 0.02 i. A `drain` reading is `level`
 * until the current stage's action is applied, then falls linearly to 0 over
 * `drainSeconds` on legacy nodes (candidates hold no displaced work).
 */
import { z } from "zod";
import type { NodeLabels, ReadContext, Reading, Sensor, SensorDefinition } from "../../src/sensors/sensor.ts";

const syntheticConfig = z
  .object({
    shape: z.enum(["gauge", "counter", "drain"]),
    nodes: z.int().min(0).max(1_000).default(0).describe("0: a scalar; otherwise a vector of this many nodes."),
    level: z.number().default(1).describe("gauge: the mean value; drain: the value before the action."),
    perSecond: z.number().nonnegative().default(1).describe("counter: increase per second (per node)."),
    drainSeconds: z.number().positive().default(10).describe("drain: seconds from the action to 0."),
  })
  .strict();

/** Validated `synthetic` sensor config. */
export type SyntheticConfig = z.infer<typeof syntheticConfig>;

/** What a successful reading carries. */
type ReadingValue = Extract<Reading, { ok: true }>["value"];

/** Counters start as if they had been counting this long, so the first totals are not zero. */
const COUNTER_HEAD_START_S = 600;

/** A fleet's node names and labels, shared by every sensor of that size (a fleet is the same fleet). */
interface Fleet {
  readonly names: readonly string[];
  readonly labels: NodeLabels;
  readonly legacyCount: number;
}

const fleets = new Map<number, Fleet>();

function fleetOf(count: number): Fleet {
  let fleet = fleets.get(count);
  if (fleet === undefined) {
    const legacyCount = Math.ceil(count / 2);
    const names = Array.from({ length: count }, (_, i) => (i < legacyCount ? `v1-${i}` : `v2-${i - legacyCount}`));
    const labels: Record<string, Record<string, string>> = {};
    for (const [i, name] of names.entries()) labels[name] = { cohort: i < legacyCount ? "legacy" : "candidate" };
    fleet = { names, labels, legacyCount };
    fleets.set(count, fleet);
  }
  return fleet;
}

/** Per-node spread, so vectors are not flat: node i's level or rate is scaled by this. */
function spread(i: number): number {
  return 1 + 0.02 * i;
}

/**
 * One synthetic sensor. A class, not closures: a thousand operations hold
 * twenty thousand of these, and each should cost what a real sensor's
 * configuration does, not a set of function objects.
 */
class SyntheticSensor implements Sensor {
  readonly #config: SyntheticConfig;
  readonly #fleet: Fleet;
  readonly #gauge: ReadingValue;
  #originMs: number | undefined;

  constructor(config: SyntheticConfig) {
    this.#config = config;
    this.#fleet = fleetOf(config.nodes);
    this.#gauge = this.#valueAt("gauge", 0);
  }

  async read(ctx: ReadContext): Promise<Reading> {
    return { ok: true, observedAtMs: ctx.nowMs, value: this.#valueNow(ctx) };
  }

  #valueNow(ctx: ReadContext): ReadingValue {
    this.#originMs ??= ctx.nowMs;
    switch (this.#config.shape) {
      case "gauge":
        return this.#gauge;
      case "counter":
        return this.#valueAt("counter", (ctx.nowMs - this.#originMs) / 1_000 + COUNTER_HEAD_START_S);
      case "drain": {
        const applied = ctx.stageAppliedAtMs;
        const left = applied === undefined ? 1 : 1 - (ctx.nowMs - applied) / (this.#config.drainSeconds * 1_000);
        return this.#valueAt("drain", Math.max(0, Math.ceil(this.#config.level * left)));
      }
    }
  }

  #nodeValue(shape: SyntheticConfig["shape"], x: number, i: number): number {
    if (shape === "gauge") return this.#config.level * spread(i);
    if (shape === "counter") return Math.floor(this.#config.perSecond * spread(i) * x);
    return i < this.#fleet.legacyCount ? x : 0;
  }

  /** The reading for `shape` at `x` (counter: seconds counted; drain: the legacy level). */
  #valueAt(shape: SyntheticConfig["shape"], x: number): ReadingValue {
    const { names, labels } = this.#fleet;
    if (this.#config.nodes === 0) return { type: "scalar", value: this.#nodeValue(shape, x, 0) };
    const values: Record<string, number> = {};
    for (let i = 0; i < names.length; i += 1) values[names[i] ?? ""] = this.#nodeValue(shape, x, i);
    return { type: "vector", values, labels };
  }
}

/** Builds one synthetic sensor. Reads never fail or throw; gauges reuse one value object (they never change). */
export function createSyntheticSensor(config: SyntheticConfig): Sensor {
  return new SyntheticSensor(config);
}

/** The `synthetic` kind, for the benchmark's registries only (never wired into the CLI). */
export const syntheticSensorDefinition: SensorDefinition<SyntheticConfig> = {
  kind: "synthetic",
  description: "Benchmark readings computed from the read's time: gauge, counter or drain; scalar or vector",
  config: syntheticConfig,
  create: (config) => createSyntheticSensor(config),
};
