/**
 * Small sensor and target kinds for the plan tests, standing in for the
 * built-in kinds: an `http`-like and a `fake`-like sensor, and a traffic-like
 * target with `weight` and `retire` actions, target sensors and default gates.
 */
import { z } from "zod";
import { sensorRegistry } from "../sensors/registry.ts";
import type { Sensor, SensorDefinition } from "../sensors/sensor.ts";
import { targetRegistry } from "../targets/registry.ts";
import type { Target, TargetDefinition } from "../targets/target.ts";
import type { PlanRegistries } from "./check-kinds.ts";

const noSensor: Sensor = {
  read: async (ctx) => ({ ok: false, observedAtMs: ctx.nowMs, code: "unreachable", message: "test kind" }),
};

const httpConfig = z.strictObject({
  url: z.url().describe("Address to GET."),
  path: z.string().startsWith("$").describe("JSON path of the value."),
  headers: z.record(z.string(), z.string()).optional(),
  timeoutMs: z.int().positive().default(2000),
});

const httpSensor: SensorDefinition<z.output<typeof httpConfig>> = {
  kind: "http",
  description: "GET a JSON endpoint (test stand-in).",
  config: httpConfig,
  create: () => noSensor,
};

const fakeSensor: SensorDefinition<{ values: number[] }> = {
  kind: "fake",
  description: "Scripted readings (test stand-in).",
  config: z.strictObject({ values: z.array(z.number()).min(1) }),
  create: () => noSensor,
};

const trafficConfig = z.strictObject({ backend: z.string().min(1), token: z.string().optional() });
type TrafficConfig = z.output<typeof trafficConfig>;

const trafficTarget: TargetDefinition<TrafficConfig> = {
  kind: "traffic",
  description: "A traffic router with weights (test stand-in).",
  config: trafficConfig,
  actions: {
    weight: z.strictObject({ candidatePercent: z.number().min(0).max(100) }),
    retire: z.strictObject({ nodes: z.array(z.string()).min(1) }),
  },
  sensorNames: () => ["ready", "displaced", "requests", "errors"],
  claims: (config) => [`traffic:${config.backend}`],
  defaultGates: (action) =>
    action.type === "weight"
      ? {
          conditions: {
            drained: [{ sensor: "target.displaced", aggregate: "sum", op: "<=", threshold: 0, consecutive: 1 }],
          },
        }
      : {},
  rollback: () => ({ steps: [] }),
  create: (): Target => {
    throw new Error("test kind: not runnable");
  },
};

/** Registries holding the test kinds: sensors `http`, `fake`; target `traffic`. */
export function testingRegistries(): PlanRegistries {
  return {
    sensors: sensorRegistry([httpSensor, fakeSensor] as SensorDefinition[]),
    targets: targetRegistry([trafficTarget] as TargetDefinition[]),
  };
}
