import { describe, expect, it } from "vitest";
import { createEngine } from "./create-engine.ts";
import { command, condition, Driver, scalar, scriptedDetector, stage, testPlan, weight } from "./test-kit.ts";

const engine = createEngine(scriptedDetector());

describe("an operation's life", () => {
  it("starts pending, then waits at stage 0 ready to start", () => {
    const run = new Driver(engine, testPlan());
    expect(run.state.phase.kind).toBe("pending");
    const result = run.feed({ type: "Started", atMs: 1_000 });
    expect(result.state.phase).toMatchObject({
      kind: "waiting",
      cursor: { track: "forward", index: 0 },
      reason: { code: "ready" },
    });
    expect(result.events.map((e) => e.type)).toEqual(["OperationStarted"]);
    expect(result.status).toBe("running");
  });

  it("proposes the first stage with the domain lease, the claims and a deterministic key", () => {
    const run = new Driver(engine, testPlan());
    run.feed({ type: "Started", atMs: 0 });
    const result = run.tick(1_000);
    expect(result.state.phase).toMatchObject({
      kind: "applying",
      intent: { idempotencyKey: "op-1:forward:0:0", action: weight(10), attempts: 1 },
    });
    expect(result.events.map((e) => e.type)).toEqual(["StageStarted", "ActionIntended"]);
    expect(result.locks).toEqual({
      acquireDomain: { domain: "prod-eu", stage: "canary-10", priority: "normal" },
      acquireClaims: ["router:be_app"],
    });
    expect(result.effects).toEqual([
      { type: "ApplyAction", cursor: { track: "forward", index: 0 }, intent: expect.objectContaining({ attempts: 1 }) },
    ]);
  });

  it("runs every stage to completion, sealing each before the next starts", () => {
    const gates = { conditions: { drained: [condition("s1", "<=", 0, { label: "legacy sessions" })] } };
    const plan = testPlan({ stages: [stage("canary-10", gates), stage("full-100", gates)] });
    const run = new Driver(engine, plan);
    run.feed({ type: "Started", atMs: 0 });
    run.tick(1_000, { s1: scalar(0, 1_000) });
    run.feed({ type: "ActionApplied", atMs: 1_100 });
    expect(run.state.phase).toMatchObject({ kind: "sealing", appliedAtMs: 1_100 });
    expect(run.state.applied).toEqual([weight(10)]);
    const sealed = run.tick(2_000, { s1: scalar(0, 2_000) });
    expect(sealed.locks).toEqual({ releaseDomain: "prod-eu" });
    expect(sealed.state.phase).toMatchObject({ kind: "waiting", cursor: { index: 1 } });
    run.tick(3_000, { s1: scalar(0, 3_000) });
    run.feed({ type: "ActionApplied", atMs: 3_100 });
    const done = run.tick(4_000, { s1: scalar(0, 4_000) });
    expect(done.state.phase).toEqual({ kind: "completed", atMs: 4_000 });
    expect(done.status).toBe("completed");
    expect(done.locks).toEqual({ releaseDomain: "prod-eu", releaseClaims: true });
    expect(run.eventTypes()).toEqual([
      "OperationStarted",
      "StageStarted",
      "ActionIntended",
      "ActionApplied",
      "StageSealed",
      "StageStarted",
      "ActionIntended",
      "ActionApplied",
      "StageSealed",
      "OperationCompleted",
    ]);
    expect(run.state.stageTimes).toEqual([
      { startedAtMs: 1_000, appliedAtMs: 1_100, sealedAtMs: 2_000 },
      { startedAtMs: 3_000, appliedAtMs: 3_100, sealedAtMs: 4_000 },
    ]);
    expect(run.lastEvent("StageSealed")?.data).toMatchObject({
      stage: "full-100",
      durationMs: 1_000,
      gates: [{ gate: "drained", label: "legacy sessions", waitedMs: 900 }],
    });
  });

  it("keeps its state plain JSON", () => {
    const run = new Driver(engine, testPlan());
    run.feed({ type: "Started", atMs: 0 });
    run.tick(1_000);
    run.feed({ type: "ActionApplied", atMs: 1_100 });
    expect(JSON.parse(JSON.stringify(run.state))).toEqual(run.state);
  });

  it("ignores inputs that do not belong to the phase (a late apply result, a second Started)", () => {
    const run = new Driver(engine, testPlan());
    run.feed({ type: "Started", atMs: 0 });
    const before = run.state;
    expect(run.feed({ type: "ActionApplied", atMs: 10 }).events).toEqual([]);
    expect(run.feed({ type: "Started", atMs: 20 }).events).toEqual([]);
    expect(run.state.phase).toEqual(before.phase);
  });

  it("does nothing once terminal, and rejects commands then", () => {
    const run = new Driver(engine, testPlan());
    run.feed({ type: "Started", atMs: 0 });
    run.feed({ type: "Command", atMs: 5, command: command("abandon", "op-1", { reason: "wrong plan" }) });
    expect(run.state.phase).toMatchObject({ kind: "abandoned", reason: "wrong plan" });
    expect(run.tick(1_000).effects).toEqual([]);
    const rejected = run.feed({ type: "Command", atMs: 2_000, command: command("resume", "op-1") });
    expect(rejected.events.map((e) => e.type)).toEqual(["CommandRejected"]);
  });
});
