import { describe, expect, it } from "vitest";
import { createEngine } from "./create-engine.ts";
import { holdsFreeze } from "./halt.ts";
import { Driver, freeze, scriptedDetector, testPlan, world } from "./test-kit.ts";
import type { Input } from "./types.ts";

const engine = createEngine(scriptedDetector());
const refused = (atMs: number, message = "domain prod-eu in transition by checkout-v2 stage 2"): Input => ({
  type: "LocksRefused",
  atMs,
  code: "domain-busy",
  message,
  blockedBy: { operationId: "op-2", planName: "checkout-v2", stage: "stage-2" },
});
// Monday 2026-11-23 is a weekday; 08:00 UTC is before a 09:00–16:00 UTC window.
const MONDAY_0800_UTC = Date.UTC(2026, 10, 23, 8, 0);
const weekdays = [{ days: [1, 2, 3, 4, 5], startMinute: 9 * 60, endMinute: 16 * 60, timeZone: "UTC" }];

function started(plan = testPlan(), atMs = 0) {
  const run = new Driver(engine, plan);
  run.feed({ type: "Started", atMs });
  return run;
}

describe("waiting for a stage to start", () => {
  it("stays queued when the store refuses the locks, saying why, with one event per new reason", () => {
    const queued = started();
    queued.feed(refused(1_000));
    expect(queued.state.phase).toMatchObject({
      kind: "waiting",
      reason: { code: "domain-busy", message: "queued: domain prod-eu in transition by checkout-v2 stage 2" },
    });
    expect(engine.explain(queued.state, queued.plan, 2_000)).toBe(
      "queued: domain prod-eu in transition by checkout-v2 stage 2",
    );
    for (let t = 2_000; t <= 6_000; t += 1_000) {
      // As the runner does: a refused proposal is discarded and LocksRefused goes to the old state.
      const proposal = engine.transition(
        queued.state,
        { type: "Tick", atMs: t, readings: {}, world: world() },
        queued.plan,
      );
      if (proposal.locks?.acquireDomain === undefined) queued.state = proposal.state;
      else queued.feed(refused(t));
    }
    queued.feed(refused(7_000, "domain prod-eu in transition by checkout-v2 stage 3"));
    expect(queued.events.filter((e) => e.type === "StageQueued").map((e) => e.atMs)).toEqual([1_000, 7_000]);
    expect(queued.lastEvent("StageQueued")?.data).toMatchObject({
      code: "domain-busy",
      blockedBy: { operationId: "op-2" },
    });
  });

  it("after a refusal, keeps the next tick's guard data and proposes again on the one after", () => {
    const run = started();
    run.feed(refused(1_000));
    expect(run.tick(2_000).locks).toBeUndefined();
    expect(run.tick(3_000).locks?.acquireDomain).toEqual({ domain: "prod-eu", stage: "canary-10", priority: "normal" });
  });

  it("halts when another party froze the domain or everything, without a freeze of its own", () => {
    for (const domain of ["prod-eu", "*"]) {
      const run = started();
      const result = run.tick(1_000, {}, world({ freezes: [freeze(domain, "op-9")] }));
      expect(result.state.phase).toMatchObject({ kind: "halted", reason: { code: "domain-frozen" } });
      expect(result.effects).toEqual([]);
      expect(result.locks).toEqual({ leaveDomainQueue: "prod-eu" });
      expect(holdsFreeze(result.state)).toBe(false);
    }
  });

  it("ignores its own freeze and freezes of other domains", () => {
    const facts = world({ freezes: [freeze("prod-eu", "op-1"), freeze("prod-us", "op-9")] });
    expect(started().tick(1_000, {}, facts).state.phase.kind).toBe("applying");
  });

  it("starts a stage only inside a change window, saying when the next one opens", () => {
    const run = started(testPlan({ windows: weekdays }), MONDAY_0800_UTC);
    const outside = run.tick(MONDAY_0800_UTC + 1_000);
    expect(outside.state.phase).toMatchObject({
      kind: "waiting",
      reason: { code: "window", nextOpenMs: Date.UTC(2026, 10, 23, 9, 0) },
    });
    expect(outside.events.map((e) => e.type)).toEqual(["StageWaiting"]);
    expect(run.tick(MONDAY_0800_UTC + 2_000).events).toEqual([]);
    expect(run.tick(Date.UTC(2026, 10, 23, 9, 0)).state.phase.kind).toBe("applying");
  });

  it("waits for the `after` operation to complete, or to seal the named stage", () => {
    const plan = testPlan({ after: { operation: "schema-expand" } });
    const run = started(plan);
    const running = world({ after: { found: true, status: "running", sealedStages: ["expand"] } });
    expect(run.tick(1_000, {}, running).state.phase).toMatchObject({ reason: { code: "after" } });
    expect(run.tick(2_000, {}, world()).state.phase).toMatchObject({ reason: { code: "after" } });
    const done = world({ after: { found: true, status: "completed", sealedStages: [] } });
    expect(run.tick(3_000, {}, done).state.phase.kind).toBe("applying");

    const byStage = started(testPlan({ after: { operation: "schema-expand", stage: "expand" } }));
    expect(byStage.tick(1_000, {}, running).state.phase.kind).toBe("applying");
  });
});
