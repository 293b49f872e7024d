import { describe, expect, it } from "vitest";
import type { Json } from "../targets/target.ts";
import { createEngine } from "./create-engine.ts";
import { holdsFreeze } from "./halt.ts";
import {
  command,
  condition,
  Driver,
  scalar,
  scriptedDetector,
  sealingFirstStage,
  stage,
  testPlan,
} from "./test-kit.ts";
import type { Input } from "./types.ts";

const engine = createEngine(scriptedDetector());
const cmd = (atMs: number, type: string, extra: { actor?: string; reason?: string; data?: Json } = {}): Input => ({
  type: "Command",
  atMs,
  command: command(type, "op-1", extra),
});
const stuck = testPlan({
  stages: [stage("canary-10", { conditions: { drained: [condition("s1", "<=", 0)] } }), stage("full-100")],
});

describe("manual commands", () => {
  it("halt stops the operation, records actor and reason, freezes the domain and keeps a mid-stage lease", () => {
    const run = sealingFirstStage(engine, stuck);
    const result = run.feed(cmd(2_000, "halt", { actor: "bob", reason: "looks odd" }));
    expect(result.state.phase).toMatchObject({
      kind: "halted",
      reason: { code: "manual" },
      interrupted: { kind: "sealing" },
    });
    expect(result.events[0]).toMatchObject({
      type: "Halted",
      data: { code: "manual", actor: "bob", reason: "looks odd" },
    });
    expect(result.effects).toEqual([{ type: "SetFreeze", domain: "prod-eu", reason: "halted by bob: looks odd" }]);
    expect(result.locks).toBeUndefined();
    expect(result.status).toBe("halted");
    expect(holdsFreeze(result.state)).toBe(true);
  });

  it("a halted operation evaluates no gates and applies nothing until resumed", () => {
    const run = sealingFirstStage(engine, stuck);
    run.feed(cmd(2_000, "halt"));
    const ticked = run.tick(3_000, { s1: scalar(0, 3_000) });
    expect(ticked.state.phase.kind).toBe("halted");
    expect(ticked.effects).toEqual([]);
  });

  it("resume returns to sealing and re-evaluates the gates; nothing is skipped", () => {
    const run = sealingFirstStage(engine, stuck);
    run.feed(cmd(2_000, "halt"));
    const resumed = run.feed(cmd(3_000, "resume", { actor: "bob", reason: "checked" }));
    expect(resumed.state.phase.kind).toBe("sealing");
    expect(resumed.effects).toEqual([{ type: "ClearFreeze", domain: "prod-eu" }]);
    expect(resumed.events[0]).toMatchObject({
      type: "Resumed",
      data: { actor: "bob", reason: "checked", to: "sealing" },
    });
    expect(run.tick(4_000, { s1: scalar(3, 4_000) }).state.phase.kind).toBe("sealing");
    expect(run.tick(5_000, { s1: scalar(0, 5_000) }).state.phase).toMatchObject({
      kind: "waiting",
      cursor: { index: 1 },
    });
  });

  it("resume into applying re-observes the same intent before anything is applied again", () => {
    const run = new Driver(engine, stuck);
    run.feed({ type: "Started", atMs: 0 });
    run.tick(1_000);
    run.feed(cmd(1_500, "halt"));
    const resumed = run.feed(cmd(2_000, "resume"));
    expect(resumed.effects).toEqual([
      { type: "ClearFreeze", domain: "prod-eu" },
      {
        type: "ObserveTarget",
        purpose: "recover-intent",
        expected: expect.objectContaining({ idempotencyKey: "op-1:forward:0:0" }),
        cursor: { track: "forward", index: 0 },
      },
    ]);
  });

  it("an apply result that arrives after a halt is recorded; resume continues at sealing", () => {
    const run = new Driver(engine, stuck);
    run.feed({ type: "Started", atMs: 0 });
    run.tick(1_000);
    run.feed(cmd(1_500, "halt"));
    run.feed({ type: "ActionApplied", atMs: 1_600 });
    expect(run.state.phase).toMatchObject({ kind: "halted", interrupted: { kind: "sealing", appliedAtMs: 1_600 } });
    expect(run.state.applied).toHaveLength(1);
  });

  it("advance --force seals regardless of gates, recording who and why", () => {
    const run = sealingFirstStage(engine, stuck);
    run.tick(2_000, { s1: scalar(9, 2_000) });
    const forced = run.feed(cmd(3_000, "advance", { actor: "carol", reason: "sensor broken, verified by hand" }));
    expect(forced.state.phase).toMatchObject({ kind: "waiting", cursor: { index: 1 } });
    expect(forced.events.map((e) => e.type)).toEqual(["StageForced", "StageSealed"]);
    expect(forced.events[0]?.data).toMatchObject({
      actor: "carol",
      reason: "sensor broken, verified by hand",
      overridden: [{ gate: "drained", observed: "9" }],
    });
    expect(forced.locks).toEqual({ releaseDomain: "prod-eu" });
  });

  it("advance also works from a halt that interrupted sealing (e.g. a drain timeout)", () => {
    const run = sealingFirstStage(engine, stuck);
    run.feed(cmd(2_000, "halt"));
    const forced = run.feed(cmd(3_000, "advance", { reason: "drained by hand" }));
    expect(forced.events.map((e) => e.type)).toEqual(["Resumed", "StageForced", "StageSealed"]);
    expect(forced.state.phase.kind).toBe("waiting");
  });

  it("rejects advance without a reason, or when nothing is being sealed", () => {
    const run = sealingFirstStage(engine, stuck);
    expect(run.feed(cmd(2_000, "advance")).events[0]).toMatchObject({
      type: "CommandRejected",
      data: { command: "advance" },
    });
    const waiting = new Driver(engine, stuck);
    waiting.feed({ type: "Started", atMs: 0 });
    expect(waiting.feed(cmd(1, "advance", { reason: "x" })).events[0]?.type).toBe("CommandRejected");
  });

  it("abandon needs a reason, ends the operation and releases every lock", () => {
    const run = sealingFirstStage(engine, stuck);
    expect(run.feed(cmd(2_000, "abandon")).events[0]?.type).toBe("CommandRejected");
    const abandoned = run.feed(cmd(3_000, "abandon", { actor: "dave", reason: "superseded by v4" }));
    expect(abandoned.state.phase).toEqual({ kind: "abandoned", atMs: 3_000, reason: "superseded by v4" });
    expect(abandoned.locks).toEqual({ leaveDomainQueue: "prod-eu", releaseDomain: "prod-eu", releaseClaims: true });
    expect(abandoned.events[0]).toMatchObject({
      type: "Abandoned",
      data: { actor: "dave", reason: "superseded by v4" },
    });
  });

  it("ack is recorded as an event for the current stage", () => {
    const run = sealingFirstStage(engine, stuck);
    const acked = run.feed(cmd(2_000, "ack", { actor: "erin", reason: "looks good", data: { consumer: "billing" } }));
    expect(acked.events[0]).toEqual({
      type: "Acked",
      atMs: 2_000,
      data: { actor: "erin", reason: "looks good", consumer: "billing", stage: "canary-10" },
    });
  });

  it("rejects commands that do not apply: resume when running, halt when halted, unknown types", () => {
    const run = sealingFirstStage(engine, stuck);
    expect(run.feed(cmd(2_000, "resume")).events[0]?.type).toBe("CommandRejected");
    run.feed(cmd(2_500, "halt"));
    expect(run.feed(cmd(3_000, "halt")).events[0]?.type).toBe("CommandRejected");
    expect(run.feed(cmd(3_500, "explode")).events[0]).toMatchObject({ data: { why: "unknown command explode" } });
  });
});
