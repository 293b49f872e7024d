import { describe, expect, it } from "vitest";
import { condition, stage, supercriticalityGuard, testPlan } from "../engine/test-kit.ts";
import type { Reading } from "../sensors/sensor.ts";
import { Telemetry } from "./telemetry.ts";
import { telemetryView } from "./telemetry-view.ts";

const labels = { "v1-a": { cohort: "legacy" }, "v2-a": { cohort: "candidate" } };
const vector = (values: Record<string, number>): Reading => ({
  ok: true,
  observedAtMs: 0,
  value: { type: "vector", values, labels },
});
const scalar = (value: number): Reading => ({ ok: true, observedAtMs: 0, value: { type: "scalar", value } });
const failed: Reading = { ok: false, observedAtMs: 0, code: "timeout", message: "no answer" };

const plan = testPlan({
  stages: [stage("canary-10", { conditions: { drained: [condition("s1", "<=", 0, { label: "legacy sessions" })] } })],
  guards: [supercriticalityGuard()],
});

function recorded(ticks: [Record<string, Reading>, Record<string, number>?][]) {
  const telemetry = new Telemetry();
  for (const [i, [readings, scores]] of ticks.entries()) telemetry.recordTick("op", 1_000 * (i + 1), readings, scores);
  return telemetry;
}

describe("telemetryView", () => {
  it("charts gate sensors by label, vectors summed, failed readings as gaps", () => {
    const telemetry = recorded([[{ s1: scalar(5) }], [{ s1: vector({ a: 1, b: 2 }) }], [{ s1: failed }]]);
    const view = telemetryView(plan, telemetry.ticks("op"), undefined);
    expect(view.gateSensors).toEqual({
      timesMs: [1_000, 2_000, 3_000],
      series: [{ sensor: "s1", label: "legacy sessions", values: [5, 3, null] }],
    });
  });

  it("turns cumulative counters into per-node error rates, with gaps for no traffic and counter resets", () => {
    const telemetry = recorded([
      [{ requests: vector({ "v1-a": 100, "v2-a": 100 }), errors: vector({ "v1-a": 1, "v2-a": 1 }) }],
      [{ requests: vector({ "v1-a": 200, "v2-a": 200 }), errors: vector({ "v1-a": 2, "v2-a": 31 }) }],
      [{ requests: vector({ "v1-a": 200, "v2-a": 10 }), errors: vector({ "v1-a": 2, "v2-a": 31 }) }],
      [{ requests: failed, errors: failed }],
    ]);
    const [rates] = telemetryView(plan, telemetry.ticks("op"), undefined).errorRates;
    expect(rates).toEqual({
      guard: "errors",
      timesMs: [1_000, 2_000, 3_000],
      nodes: [
        { node: "v1-a", cohort: "legacy", values: [null, 0.01, null] },
        { node: "v2-a", cohort: "candidate", values: [null, 0.3, null] },
      ],
    });
  });
});

describe("Telemetry", () => {
  it("keeps the latest score of each subject across ticks, and a bounded history", () => {
    const telemetry = new Telemetry({ maxTicks: 2, maxOperations: 1 });
    telemetry.recordTick("op", 1, {}, { "v2-a": 0.5, "cohort:candidate": 0.2 });
    telemetry.recordTick("op", 2, {}, { "cohort:candidate": 1.4 });
    expect(telemetry.latestScores("op")).toEqual({ atMs: 2, values: { "v2-a": 0.5, "cohort:candidate": 1.4 } });
    telemetry.recordTick("op", 3, {}, undefined);
    expect(telemetry.ticks("op").map((t) => t.atMs)).toEqual([2, 3]);
    telemetry.recordTick("other", 4, {}, undefined);
    expect(telemetry.operations()).toEqual(["other"]);
  });
});
