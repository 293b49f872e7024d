import { describe, expect, it } from "vitest";
import { createEngine } from "./create-engine.ts";
import {
  ack,
  command,
  condition,
  Driver,
  failed,
  scalar,
  scriptedDetector,
  sealingFirstStage,
  stage,
  testPlan,
  world,
} from "./test-kit.ts";

const engine = createEngine(scriptedDetector());
const plan = testPlan({
  stages: [
    stage("canary-10"),
    stage("canary-25", {
      conditions: { drained: [condition("s1", "<=", 0, { label: "displaced legacy requests" })] },
      confirmedBy: ["alice"],
    }),
    stage("canary-50"),
    stage("full-100"),
  ],
});

/** The driver sealing stage 2 (index 1) since `appliedAtMs`. */
function atStageTwo(appliedAtMs: number) {
  const run = sealingFirstStage(engine, plan);
  run.tick(2_000);
  run.tick(3_000, { s1: scalar(0, 3_000) });
  run.feed({ type: "ActionApplied", atMs: appliedAtMs });
  return run;
}

describe("explain", () => {
  it("says what a sealing stage waits for, and for how long", () => {
    const run = atStageTwo(4_000);
    run.tick(5_000, { s1: scalar(143, 5_000) });
    run.tick(17_000, { s1: scalar(143, 17_000) });
    expect(engine.explain(run.state, plan, 17_000)).toBe(
      "stage 2/4 canary-25: waiting — displaced legacy requests 143 > 0 for 12s",
    );
  });

  it("names a failing sensor, and then a missing acknowledgement", () => {
    const run = atStageTwo(4_000);
    run.tick(5_000, { s1: failed("stale", 5_000) });
    expect(engine.explain(run.state, plan, 6_000)).toBe(
      "stage 2/4 canary-25: waiting — displaced legacy requests: stale: sensor stale for 1s",
    );
    run.tick(7_000, { s1: scalar(0, 7_000) });
    expect(engine.explain(run.state, plan, 7_000)).toBe(
      "stage 2/4 canary-25: waiting — awaiting acknowledgement from alice for 3s",
    );
    run.tick(8_000, { s1: scalar(0, 8_000) }, world({ acks: [ack("op-1", "canary-25", "alice")] }));
    expect(engine.explain(run.state, plan, 8_000)).toBe("stage 3/4 canary-50: ready to start");
  });

  it("explains pending, halted and terminal operations", () => {
    const run = new Driver(engine, plan);
    expect(engine.explain(run.state, plan, 0)).toBe("pending: 4 stages, not started");
    run.feed({ type: "Started", atMs: 0 });
    run.feed({ type: "Command", atMs: 1, command: command("halt", "op-1", { actor: "bob", reason: "freeze window" }) });
    expect(engine.explain(run.state, plan, 2)).toBe("halted: halted by bob: freeze window");
    run.feed({ type: "Command", atMs: 3, command: command("abandon", "op-1", { reason: "not today" }) });
    expect(engine.explain(run.state, plan, 4)).toBe("abandoned: not today");
  });
});
