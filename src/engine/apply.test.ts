import { describe, expect, it } from "vitest";
import { createEngine } from "./create-engine.ts";
import { Driver, scriptedDetector, stage, testPlan } from "./test-kit.ts";
import type { Input } from "./types.ts";

const engine = createEngine(scriptedDetector());

function applying(plan = testPlan()) {
  const run = new Driver(engine, plan);
  run.feed({ type: "Started", atMs: 0 });
  run.tick(1_000);
  return run;
}
const failure = (atMs: number, retryable: boolean): Input => ({
  type: "ActionFailed",
  atMs,
  code: retryable ? "unreachable" : "rejected",
  message: "no",
  retryable,
});
const observed = (atMs: number, matches: boolean | "unknown"): Input => ({
  type: "TargetObserved",
  atMs,
  purpose: "recover-intent",
  result: { ok: true, value: { observedAtMs: atMs, state: {}, matches } },
});

describe("applying a stage's action", () => {
  it("retries a retryable failure after a backoff, under the same key, counting attempts", () => {
    const run = applying();
    const failed = run.feed(failure(1_100, true));
    expect(failed.effects).toEqual([]);
    expect(failed.events[0]).toMatchObject({ type: "ActionRetried", data: { retryAtMs: 2_100, failedAttempt: 1 } });
    expect(run.tick(2_000).effects).toEqual([]);
    const retried = run.tick(2_100);
    expect(retried.effects).toEqual([
      expect.objectContaining({
        type: "ApplyAction",
        intent: expect.objectContaining({ idempotencyKey: "op-1:forward:0:0", attempts: 2 }),
      }),
    ]);
    run.feed(failure(2_200, true));
    expect(run.lastEvent("ActionRetried")?.data).toMatchObject({ retryAtMs: 4_200 });
    expect(run.tick(3_000).effects).toEqual([]);
    expect(engine.explain(run.state, run.plan, 3_000)).toBe(
      "stage 1/3 canary-10: applying weight (attempt 3, retry in 1s)",
    );
  });

  it("halts on a permanent failure and applies nothing more", () => {
    const run = applying();
    run.feed(failure(1_100, false));
    expect(run.state.phase).toMatchObject({
      kind: "halted",
      reason: { code: "action-failed" },
      interrupted: { kind: "applying" },
    });
    expect(run.tick(60_000).effects).toEqual([]);
  });

  it("halts when the stage timeout passes while retrying", () => {
    const run = applying(testPlan({ stages: [stage("canary-10", {}, { stageMs: 10_000 })] }));
    run.feed(failure(1_100, true));
    run.tick(11_001);
    expect(run.state.phase).toMatchObject({ kind: "halted", reason: { code: "timeout-stage" } });
  });

  it("after a restart, counts an intent the target shows as landed as applied", () => {
    const run = applying();
    run.feed(observed(5_000, true));
    expect(run.state.phase).toMatchObject({ kind: "sealing", appliedAtMs: 5_000 });
    expect(run.lastEvent("ActionApplied")?.data).toMatchObject({ recovered: true });
  });

  it.each([false, "unknown"] as const)(
    "after a restart, re-applies the same intent when the target says %s",
    (matches) => {
      const run = applying();
      const result = run.feed(observed(5_000, matches));
      expect(result.state.phase.kind).toBe("applying");
      expect(result.events.map((e) => e.type)).toEqual(["ActionReapplied"]);
      expect(result.effects).toEqual([
        expect.objectContaining({
          type: "ApplyAction",
          intent: expect.objectContaining({ idempotencyKey: "op-1:forward:0:0", attempts: 2 }),
        }),
      ]);
    },
  );

  it("halts on drift reported with the apply, after recording the action", () => {
    const run = applying();
    run.feed({
      type: "ActionApplied",
      atMs: 1_100,
      observation: { observedAtMs: 1_100, state: {}, matches: true, drift: "weight set by hand" },
    });
    expect(run.state.applied).toHaveLength(1);
    expect(run.state.phase).toMatchObject({
      kind: "halted",
      reason: { code: "drift" },
      interrupted: { kind: "sealing" },
    });
  });
});
