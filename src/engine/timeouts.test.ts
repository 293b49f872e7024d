import { describe, expect, it } from "vitest";
import { createEngine } from "./create-engine.ts";
import {
  command,
  condition,
  failed,
  scalar,
  scriptedDetector,
  sealingFirstStage,
  stage,
  testPlan,
} from "./test-kit.ts";

const engine = createEngine(scriptedDetector());
const drained = { conditions: { drained: [condition("s1", "<=", 0, { label: "legacy sessions" })] } };
const planWith = (timeouts: { stageMs?: number; drainMs?: number; sensorBlindMs?: number }) =>
  testPlan({ stages: [stage("canary-10", drained, timeouts), stage("full-100")] });

describe("timeouts halt and never advance", () => {
  it("stageMs runs from the stage's start", () => {
    const run = sealingFirstStage(engine, planWith({ stageMs: 10_000 }));
    expect(run.state.stageTimes[0]?.startedAtMs).toBe(800);
    run.tick(10_800, { s1: scalar(5, 10_800) });
    expect(run.state.phase.kind).toBe("sealing");
    run.tick(10_801, { s1: scalar(5, 10_801) });
    expect(run.state.phase).toMatchObject({
      kind: "halted",
      reason: { code: "timeout-stage" },
      interrupted: { kind: "sealing" },
    });
  });

  it("drainMs runs from the action while a condition gate fails, and names what is still failing", () => {
    const run = sealingFirstStage(engine, planWith({ drainMs: 5_000 }));
    run.tick(6_001, { s1: scalar(143, 6_001) });
    expect(run.state.phase).toMatchObject({
      kind: "halted",
      reason: {
        code: "timeout-drain",
        message: "stage canary-10 not drained within 5s: legacy sessions 143 (want <= 0)",
      },
    });
  });

  it("a gate that holds at the deadline still seals", () => {
    const run = sealingFirstStage(engine, planWith({ drainMs: 5_000 }));
    expect(run.tick(9_000, { s1: scalar(0, 9_000) }).state.phase).toMatchObject({
      kind: "waiting",
      cursor: { index: 1 },
    });
  });

  it("sensorBlindMs: a gate sensor without a fresh ok reading since the action halts", () => {
    const run = sealingFirstStage(engine, planWith({ sensorBlindMs: 3_000 }), { s1: scalar(5, 1_000) });
    for (let t = 2_000; t <= 5_000; t += 1_000) run.tick(t, { s1: failed("unreachable", t) });
    expect(run.state.phase.kind).toBe("sealing");
    run.tick(6_000, { s1: scalar(0, 1_000) });
    expect(run.state.phase).toMatchObject({
      kind: "halted",
      reason: { code: "sensor-blind", evidence: { sensor: "s1" } },
    });
  });

  it("resume gives the stage a fresh timeout", () => {
    const run = sealingFirstStage(engine, planWith({ drainMs: 5_000 }));
    run.tick(6_001, { s1: scalar(143, 6_001) });
    run.feed({ type: "Command", atMs: 7_000, command: command("resume", "op-1", { reason: "more time" }) });
    run.tick(8_000, { s1: scalar(100, 8_000) });
    expect(run.state.phase.kind).toBe("sealing");
    run.tick(12_001, { s1: scalar(100, 12_001) });
    expect(run.state.phase.kind).toBe("halted");
  });
});
