/**
 * The `fake` sensor: scripted readings for tests, in plans
 * (`kind: fake`, `script: [...]`) or from code ({@link createFakeSensor}).
 *
 * ```yaml
 * sensors:
 *   sessions:
 *     kind: fake
 *     script:
 *       - { value: 140 }
 *       - { error: timeout }
 *       - { values: { v1-a: 3, v1-b: 0 }, observedAgoMs: 60000 }   # stale if maxAge < 60s
 *       - { value: 0 }                                             # repeats from here on
 * ```
 */
import { z } from "zod";
import { abortedReading, failedReading } from "../failed-reading.ts";
import type { NodeLabels, ReadContext, Reading, Sensor, SensorDefinition } from "../sensor.ts";

const observedAgoMs = z.number().int().nonnegative().optional();

/** Schema of one scripted step (also used by the fake target's sensors). */
export const fakeSensorStepSchema = z.union([
  z.object({ value: z.number(), observedAgoMs }).strict(),
  z
    .object({
      values: z.record(z.string(), z.number()),
      labels: z.record(z.string(), z.record(z.string(), z.string())).optional(),
      observedAgoMs,
    })
    .strict(),
  z.object({ error: z.string().min(1), message: z.string().optional(), observedAgoMs }).strict(),
  /** A read that only ends when its signal aborts (a hung endpoint). */
  z.object({ hang: z.literal(true) }).strict(),
]);

/** One scripted reading: a scalar, a vector, an error code, or a hang. `observedAgoMs` ages it. */
export type FakeSensorStep = z.infer<typeof fakeSensorStepSchema>;

const fakeSensorConfig = z
  .object({
    script: z.array(fakeSensorStepSchema).min(1).describe("Readings in order, one per read; the last repeats."),
  })
  .strict();

/** Validated `fake` sensor config. */
export type FakeSensorConfig = z.infer<typeof fakeSensorConfig>;

/** A fake sensor and the handle a test drives it with. */
export interface FakeSensorHandle {
  readonly sensor: Sensor;
  /** Queue a reading: a step (timed by the read's `nowMs`) or a complete {@link Reading}. */
  push(step: FakeSensorStep | Reading): void;
  /** How many reads have been taken. */
  readCount(): number;
}

/**
 * Builds a fake sensor. Each read consumes the next queued step; once the
 * queue is empty the last step repeats. With nothing queued, reads fail with
 * `empty`. Reads never throw and honour their signal; `close` ends hung reads
 * and is idempotent.
 */
export function createFakeSensor(script: readonly (FakeSensorStep | Reading)[] = []): FakeSensorHandle {
  const queue = [...script];
  let last: FakeSensorStep | Reading | undefined;
  let reads = 0;
  const closed = new AbortController();

  async function read(ctx: ReadContext): Promise<Reading> {
    reads += 1;
    const signal = AbortSignal.any([ctx.signal, closed.signal]);
    if (signal.aborted) return abortedReading(signal, ctx.nowMs);
    const step = queue.shift() ?? last;
    last = step;
    if (step === undefined) return failedReading("empty", "fake sensor has no scripted readings", ctx.nowMs);
    if ("ok" in step) return step;
    if ("hang" in step) {
      await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
      return abortedReading(signal, ctx.nowMs);
    }
    const observedAtMs = ctx.nowMs - (step.observedAgoMs ?? 0);
    if ("error" in step) return failedReading(step.error, step.message ?? `scripted ${step.error}`, observedAtMs);
    if ("value" in step) return { ok: true, observedAtMs, value: { type: "scalar", value: step.value } };
    const vector: { type: "vector"; values: Record<string, number>; labels?: NodeLabels } = {
      type: "vector",
      values: step.values,
    };
    if (step.labels !== undefined) vector.labels = step.labels;
    return { ok: true, observedAtMs, value: vector };
  }

  return {
    sensor: {
      read,
      async close() {
        closed.abort();
      },
    },
    push(step) {
      queue.push(step);
    },
    readCount: () => reads,
  };
}

/** The `fake` sensor kind: a fresh scripted sensor per `create`. No I/O. */
export const fakeSensorDefinition: SensorDefinition<FakeSensorConfig> = {
  kind: "fake",
  description: "Scripted readings for tests: value, values or error per read; the last step repeats",
  config: fakeSensorConfig,
  create: (config) => createFakeSensor(config.script).sensor,
};
