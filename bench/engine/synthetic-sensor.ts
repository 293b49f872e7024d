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

function nodeNames(count: number): readonly string[] {
  const legacy = Math.ceil(count / 2);
  return Array.from({ length: count }, (_, i) => (i < legacy ? `v1-${i}` : `v2-${i - legacy}`));
}

function cohortLabels(names: readonly string[], legacyCount: number): NodeLabels {
  const labels: Record<string, Record<string, string>> = {};
  names.forEach((name, i) => {
    labels[name] = { cohort: i < legacyCount ? "legacy" : "candidate" };
  });
  return labels;
}

/** Per-node spread, so vectors are not flat: node i's level or rate is scaled by this. */
function spread(i: number): number {
  return 1 + 0.02 * i;
}

/** Builds one synthetic sensor. Reads never fail or throw; gauges reuse one value object (they never change). */
export function createSyntheticSensor(config: SyntheticConfig): Sensor {
  const names = nodeNames(config.nodes);
  const legacyCount = Math.ceil(config.nodes / 2);
  const labels = cohortLabels(names, legacyCount);
  const vector = (nodeValue: (i: number) => number): ReadingValue => {
    const values: Record<string, number> = {};
    for (let i = 0; i < names.length; i += 1) values[names[i] ?? ""] = nodeValue(i);
    return { type: "vector", values, labels };
  };
  const valueAt = (nodeValue: (i: number) => number): ReadingValue =>
    config.nodes === 0 ? { type: "scalar" as const, value: nodeValue(0) } : vector(nodeValue);
  const gauge = valueAt((i) => config.level * spread(i));
  let originMs: number | undefined;

  function valueNow(ctx: ReadContext): ReadingValue {
    originMs ??= ctx.nowMs;
    switch (config.shape) {
      case "gauge":
        return gauge;
      case "counter": {
        const seconds = (ctx.nowMs - originMs) / 1_000 + COUNTER_HEAD_START_S;
        return valueAt((i) => Math.floor(config.perSecond * spread(i) * seconds));
      }
      case "drain": {
        const applied = ctx.stageAppliedAtMs;
        const left = applied === undefined ? 1 : 1 - (ctx.nowMs - applied) / (config.drainSeconds * 1_000);
        const level = Math.max(0, Math.ceil(config.level * left));
        return valueAt((i) => (i < legacyCount ? level : 0));
      }
    }
  }

  return {
    async read(ctx): Promise<Reading> {
      return { ok: true, observedAtMs: ctx.nowMs, value: valueNow(ctx) };
    },
  };
}

/** The `synthetic` kind, for the benchmark's registries only (never wired into the CLI). */
export const syntheticSensorDefinition: SensorDefinition<SyntheticConfig> = {
  kind: "synthetic",
  description: "Benchmark readings computed from the read's time: gauge, counter or drain; scalar or vector",
  config: syntheticConfig,
  create: (config) => createSyntheticSensor(config),
};
