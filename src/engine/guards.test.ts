import { describe, expect, it } from "vitest";
import type { Evidence } from "../detect/types.ts";
import type { Guard } from "../plan/types.ts";
import { createEngine } from "./create-engine.ts";
import {
  condition,
  Driver,
  failed,
  scalar,
  scriptedDetector,
  sealingFirstStage,
  stage,
  supercriticalityGuard,
  testPlan,
  vector,
} from "./test-kit.ts";

const engine = createEngine(scriptedDetector());
const errorRate = (limits: { failureLimit: number; consecutiveFailureLimit?: number }): Guard => ({
  kind: "threshold",
  name: "error-rate",
  condition: condition("s2", "<=", 0.05, { label: "error rate" }),
  ...limits,
});
const ok = (t: number) => ({ s2: scalar(0.01, t) });
const bad = (t: number) => ({ s2: scalar(0.2, t) });

/** An operation sealing stage 0 (its gate never holds), ticked once per second with `pattern`. */
function watch(guard: Guard, pattern: ("ok" | "bad" | "error")[]) {
  const plan = testPlan({
    guards: [guard],
    stages: [stage("canary-10", { conditions: { drained: [condition("s1", "<", 0)] } })],
  });
  const run = new Driver(engine, plan);
  run.feed({ type: "Started", atMs: 0 });
  run.tick(500, ok(500));
  run.tick(900, ok(900));
  run.feed({ type: "ActionApplied", atMs: 1_000 });
  pattern.forEach((p, i) => {
    const t = 2_000 + i * 1_000;
    run.tick(t, p === "ok" ? ok(t) : p === "bad" ? bad(t) : { s2: failed("timeout", t) });
  });
  return run;
}

describe("threshold guards (Argo semantics)", () => {
  it("halts when failures exceed failureLimit, counting failures that are not consecutive", () => {
    expect(watch(errorRate({ failureLimit: 2 }), ["bad", "ok", "bad", "ok"]).state.phase.kind).toBe("sealing");
    const run = watch(errorRate({ failureLimit: 2 }), ["bad", "ok", "bad", "ok", "bad"]);
    expect(run.state.phase).toMatchObject({ kind: "halted", reason: { code: "guard" } });
    expect(run.lastEvent("Halted")?.data).toMatchObject({
      code: "guard",
      evidence: { guard: "error-rate", failures: 3, failureLimit: 2 },
    });
  });

  it("halts at the first failure with failureLimit 0", () => {
    expect(watch(errorRate({ failureLimit: 0 }), ["bad"]).state.phase.kind).toBe("halted");
  });

  it("halts when consecutive failures exceed consecutiveFailureLimit", () => {
    const guard = errorRate({ failureLimit: 100, consecutiveFailureLimit: 2 });
    expect(watch(guard, ["bad", "bad", "ok", "bad", "bad"]).state.phase.kind).toBe("sealing");
    expect(watch(guard, ["bad", "bad", "bad"]).state.phase.kind).toBe("halted");
  });

  it("does not count sensor errors as failures (they count toward blindness)", () => {
    const run = watch(errorRate({ failureLimit: 0 }), ["error", "error", "error"]);
    expect(run.state.phase.kind).toBe("sealing");
    expect(run.events.filter((e) => e.type === "GuardFailed")).toEqual([]);
  });

  it("records every counted failure as GuardFailed", () => {
    const run = watch(errorRate({ failureLimit: 5 }), ["bad", "ok", "bad"]);
    expect(run.events.filter((e) => e.type === "GuardFailed").map((e) => e.data)).toMatchObject([
      { failures: 1, observed: "0.2" },
      { failures: 2 },
    ]);
  });

  it("halts when a guard's sensor has been blind for longer than sensorBlindMs", () => {
    const plan = testPlan({
      guards: [errorRate({ failureLimit: 0 })],
      stages: [stage("canary-10", {}, { sensorBlindMs: 5_000 })],
    });
    const run = new Driver(engine, plan);
    run.feed({ type: "Started", atMs: 0 });
    for (let t = 1_000; t <= 6_000; t += 1_000) run.tick(t, { s2: failed("unreachable", t) });
    expect(run.state.phase.kind).toBe("waiting");
    run.tick(7_000, { s2: scalar(0.01, 7_000 - 60_000) });
    expect(run.state.phase).toMatchObject({ kind: "halted", reason: { code: "sensor-blind" } });
  });

  it("run between stages too: a breach while waiting for the next stage halts", () => {
    const plan = testPlan({ guards: [errorRate({ failureLimit: 0 })] });
    const run = new Driver(engine, plan);
    run.feed({ type: "Started", atMs: 0 });
    run.tick(500, ok(500));
    run.tick(900, ok(900));
    run.feed({ type: "ActionApplied", atMs: 1_000 });
    run.tick(2_000, ok(2_000));
    expect(run.state.phase).toMatchObject({ kind: "waiting", cursor: { index: 1 } });
    run.tick(3_000, bad(3_000));
    expect(run.state.phase).toMatchObject({ kind: "halted", interrupted: { kind: "waiting" } });
    expect(run.last?.locks).toEqual({ leaveDomainQueue: "prod-eu" });
  });

  it("holds a new stage back while a guard is failing or blind, without halting below the limits", () => {
    const plan = testPlan({ guards: [errorRate({ failureLimit: 10 })] });
    const run = new Driver(engine, plan);
    run.feed({ type: "Started", atMs: 0 });
    run.tick(1_000, bad(1_000));
    run.tick(2_000, bad(2_000));
    run.tick(3_000, { s2: failed("timeout", 3_000) });
    expect(run.state.phase.kind).toBe("waiting");
    run.tick(4_000, ok(4_000));
    expect(run.state.phase.kind).toBe("waiting");
    run.tick(5_000, ok(5_000));
    expect(run.state.phase.kind).toBe("applying");
  });
});

const labels = {
  "v1-a": { cohort: "legacy", weight: "50" },
  "v2-a": { cohort: "candidate", weight: "50" },
  "v2-b": { cohort: "candidate", weight: "0" },
};
const counters = (t: number, requests: Record<string, number>, errors: Record<string, number>) => ({
  requests: vector(requests, t, labels),
  errors: vector(errors, t, labels),
});
const evidence: Evidence = {
  test: "changed-node",
  subject: "v2-a",
  requests: 28,
  errors: 14,
  rate: 0.5,
  referenceRate: 0.019,
  observedRatio: 26.3,
  score: 9.1,
  threshold: 7.6,
};

describe("supercriticality guard", () => {
  it("feeds the detector per-node deltas with cohorts, and baselines from the first reading's totals", () => {
    const detector = scriptedDetector();
    const plan = testPlan({ guards: [supercriticalityGuard()] });
    const run = new Driver(createEngine(detector), plan);
    run.feed({ type: "Started", atMs: 0 });
    run.tick(1_000, counters(1_000, { "v1-a": 100, "v2-a": 0, "v2-b": 0 }, { "v1-a": 2, "v2-a": 0, "v2-b": 0 }));
    expect(detector.baselines).toEqual([[{ node: "v1-a", requests: 100, errors: 2 }]]);
    run.tick(2_000, counters(2_000, { "v1-a": 150, "v2-a": 0, "v2-b": 0 }, { "v1-a": 3, "v2-a": 0, "v2-b": 0 }));
    run.feed({ type: "ActionApplied", atMs: 2_100 });
    run.tick(3_000, counters(3_000, { "v1-a": 180, "v2-a": 20, "v2-b": 0 }, { "v1-a": 3, "v2-a": 1, "v2-b": 0 }));
    expect(detector.seen.at(0)).toEqual([
      { node: "v1-a", cohort: "legacy", changed: false, requests: 50, errors: 1, expectsTraffic: false },
      { node: "v2-a", cohort: "candidate", changed: true, requests: 0, errors: 0, expectsTraffic: false },
      { node: "v2-b", cohort: "candidate", changed: true, requests: 0, errors: 0, expectsTraffic: false },
    ]);
    expect(detector.seen.at(-1)).toEqual([
      { node: "v1-a", cohort: "legacy", changed: false, requests: 30, errors: 0, expectsTraffic: false },
      { node: "v2-a", cohort: "candidate", changed: true, requests: 20, errors: 1, expectsTraffic: true },
      { node: "v2-b", cohort: "candidate", changed: true, requests: 0, errors: 0, expectsTraffic: false },
    ]);
  });

  it("halts with the detector's evidence on a breach", () => {
    const detector = scriptedDetector((nodes) => (nodes.some((n) => n.errors > 5) ? [evidence] : []));
    const run = sealingFirstStage(
      createEngine(detector),
      testPlan({ guards: [supercriticalityGuard()] }),
      counters(900, { "v1-a": 100, "v2-a": 0 }, { "v1-a": 0, "v2-a": 0 }),
    );
    run.tick(2_000, counters(2_000, { "v1-a": 150, "v2-a": 28 }, { "v1-a": 1, "v2-a": 14 }));
    expect(run.state.phase).toMatchObject({ kind: "halted", reason: { code: "supercriticality" } });
    const halted = run.lastEvent("Halted")?.data;
    expect(halted).toMatchObject({ evidence: { guard: "errors", breaches: [{ subject: "v2-a", errors: 14 }] } });
    expect(run.state.phase.kind === "halted" && run.state.phase.reason.message).toBe(
      "guard errors: v2-a errors 14/28 (50%) vs fleet 1.9%, ratio 26.3×, score 9.1 > 7.6",
    );
    expect(run.last?.effects).toEqual([{ type: "SetFreeze", domain: "prod-eu", reason: expect.any(String) }]);
  });

  it("halts when a node expected to take traffic stays blind for longer than sensorBlindMs", () => {
    const detector = scriptedDetector(
      () => [],
      (nodes) => nodes.filter((n) => n.expectsTraffic && n.requests === 0).map((n) => n.node),
    );
    const plan = testPlan({
      guards: [supercriticalityGuard()],
      stages: [stage("canary-10", { bakeMs: 60_000 }, { sensorBlindMs: 3_000 })],
    });
    const quiet = (t: number) => counters(t, { "v1-a": t, "v2-a": 0 }, { "v1-a": 0, "v2-a": 0 });
    const run = sealingFirstStage(createEngine(detector), plan, quiet(900));
    for (let t = 2_000; t <= 5_000; t += 1_000) run.tick(t, quiet(t));
    expect(run.state.phase.kind).toBe("sealing");
    run.tick(6_000, quiet(6_000));
    expect(run.state.phase).toMatchObject({ kind: "halted", reason: { code: "sensor-blind" } });
    expect(run.lastEvent("Halted")?.data).toMatchObject({
      evidence: { guard: "errors", node: "v2-a", sinceMs: 2_000 },
    });
  });
});

describe("a threshold guard that cannot be evaluated", () => {
  it("halts after sensorBlindMs even when its sensors answer (e.g. a ratio dividing by zero)", () => {
    const ratio: Guard = {
      kind: "threshold",
      name: "p99-ratio",
      condition: condition("s1", "<=", 1.5, { divideBy: "s2" }),
      failureLimit: 3,
    };
    const plan = testPlan({ guards: [ratio], stages: [stage("canary-10", {}, { sensorBlindMs: 4_000 })] });
    const run = new Driver(engine, plan);
    run.feed({ type: "Started", atMs: 0 });
    for (let t = 1_000; t <= 5_000; t += 1_000) run.tick(t, { s1: scalar(120, t), s2: scalar(0, t) });
    expect(run.state.phase.kind).toBe("waiting");
    run.tick(6_000, { s1: scalar(120, 6_000), s2: scalar(0, 6_000) });
    expect(run.state.phase).toMatchObject({ kind: "halted", reason: { code: "sensor-blind" } });
    expect(run.lastEvent("Halted")?.data).toMatchObject({ evidence: { guard: "p99-ratio", sinceMs: 1_000 } });
  });
});
