import { describe, expect, it } from "vitest";
import { createEngine } from "./create-engine.ts";
import {
  ack,
  condition,
  failed,
  scalar,
  scriptedDetector,
  sealingFirstStage,
  stage,
  testPlan,
  vector,
  world,
} from "./test-kit.ts";

const engine = createEngine(scriptedDetector());
const drained = { conditions: { drained: [condition("s1", "<=", 0, { label: "legacy sessions" })] } };
const oneStage = (gates = {}) => testPlan({ stages: [stage("canary-10", gates)] });

describe("gates", () => {
  it("seals when the drain condition holds", () => {
    const run = sealingFirstStage(engine, oneStage(drained));
    expect(run.tick(2_000, { s1: scalar(0, 2_000) }).state.phase.kind).toBe("completed");
  });

  it.each([
    ["missing", {}],
    ["failing", { s1: failed("unreachable", 2_000) }],
    ["stale", { s1: scalar(0, 2_000 - 3_001) }],
    ["empty", { s1: vector({}, 2_000) }],
    ["over its threshold", { s1: scalar(143, 2_000) }],
  ])("never seals while the reading is %s", (_what, readings) => {
    const run = sealingFirstStage(engine, oneStage(drained));
    const result = run.tick(2_000, readings);
    expect(result.state.phase.kind).toBe("sealing");
    expect(result.state.gateChecks).toEqual([expect.objectContaining({ gate: "drained", ok: false })]);
  });

  it("needs `consecutive` passes in a row; a failure in between starts over", () => {
    const gates = { conditions: { invalidated: [condition("s1", "==", 1, { consecutive: 3 })] } };
    const run = sealingFirstStage(engine, oneStage(gates));
    run.tick(2_000, { s1: scalar(1, 2_000) });
    run.tick(3_000, { s1: scalar(1, 3_000) });
    run.tick(4_000, { s1: failed("timeout", 4_000) });
    run.tick(5_000, { s1: scalar(1, 5_000) });
    expect(run.tick(6_000, { s1: scalar(1, 6_000) }).state.phase.kind).toBe("sealing");
    expect(run.state.gateChecks[0]?.observed).toBe("1 (2/3 in a row)");
    expect(run.tick(7_000, { s1: scalar(1, 7_000) }).state.phase.kind).toBe("completed");
  });

  it("bake adds a minimum observation time but never replaces the drain check", () => {
    const run = sealingFirstStage(engine, oneStage({ ...drained, bakeMs: 5_000 }));
    expect(run.tick(3_000, { s1: scalar(0, 3_000) }).state.phase.kind).toBe("sealing");
    expect(run.tick(6_000, { s1: scalar(4, 6_000) }).state.phase.kind).toBe("sealing");
    expect(run.tick(7_000, { s1: scalar(0, 7_000) }).state.phase.kind).toBe("completed");
    expect(run.lastEvent("StageSealed")?.data).toMatchObject({
      gates: [
        { gate: "drained", waitedMs: 6_000 },
        { gate: "bake", waitedMs: 5_000 },
      ],
    });
  });

  it("waits for every named party to acknowledge this stage", () => {
    const run = sealingFirstStage(engine, oneStage({ confirmedBy: ["alice", "billing-svc"] }));
    const onlyAlice = world({ acks: [ack("op-1", "canary-10", "alice")] });
    expect(run.tick(2_000, {}, onlyAlice).state.phase.kind).toBe("sealing");
    const wrongStage = world({ acks: [ack("op-1", "canary-10", "alice"), ack("op-1", "other", "billing-svc")] });
    expect(run.tick(3_000, {}, wrongStage).state.phase.kind).toBe("sealing");
    const both = world({ acks: [ack("op-1", "canary-10", "alice"), ack("op-1", "canary-10", "billing-svc")] });
    expect(run.tick(4_000, {}, both).state.phase.kind).toBe("completed");
  });

  it("evaluates counter sensors as per-tick deltas", () => {
    const gates = { conditions: { drained: [condition("hits", "<=", 5)] } };
    const run = sealingFirstStage(engine, oneStage(gates), { hits: scalar(100, 900) });
    expect(run.tick(2_000, { hits: scalar(150, 2_000) }).state.gateChecks[0]).toMatchObject({
      ok: false,
      observed: "50",
    });
    expect(run.tick(3_000, { hits: scalar(153, 3_000) }).state.phase.kind).toBe("completed");
  });

  it("emits GateWaiting when the failing set or reason changes, and for new values at most every 10 s", () => {
    const run = sealingFirstStage(engine, oneStage(drained));
    for (let t = 2_000; t <= 25_000; t += 1_000) run.tick(t, { s1: scalar(t, t) });
    run.tick(26_000, { s1: failed("timeout", 26_000) });
    run.tick(27_000, { s1: failed("timeout", 27_000) });
    const waiting = run.events.filter((e) => e.type === "GateWaiting").map((e) => e.atMs);
    expect(waiting).toEqual([2_000, 12_000, 22_000, 26_000]);
    expect(run.lastEvent("GateWaiting")?.data).toMatchObject({
      stage: "canary-10",
      failing: [{ gate: "drained", label: "legacy sessions", observed: "timeout: sensor timeout" }],
    });
  });
});
