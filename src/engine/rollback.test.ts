import { describe, expect, it } from "vitest";
import type { Guard } from "../plan/types.ts";
import type { Json, RollbackStep } from "../targets/target.ts";
import { createEngine } from "./create-engine.ts";
import { holdsFreeze } from "./halt.ts";
import { rollbackRequested } from "./rollback.ts";
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
const steps: RollbackStep[] = [
  { name: "restore-legacy", action: { type: "restore", params: {} }, gates: {} },
  { name: "candidate-out", action: { type: "weight", params: { candidatePercent: 0 } }, gates: {} },
  {
    name: "drain-candidate",
    action: { type: "drain", params: {} },
    gates: { conditions: { drained: [condition("target.candidate", "<=", 0)] } },
  },
];
const stepsJson = steps as unknown as Json;
const rollback = (atMs: number, data: Json = { steps: stepsJson, stopsAt: null }, actor = "alice"): Input => ({
  type: "Command",
  atMs,
  command: command("rollback", "op-1", { actor, reason: "bad canary", data }),
});
const guard: Guard = {
  kind: "threshold",
  name: "error-rate",
  condition: condition("s2", "<=", 0.05),
  failureLimit: 0,
};
const plan = testPlan({
  guards: [guard],
  stages: [stage("canary-10", { conditions: { drained: [condition("s1", "<=", 0)] } }), stage("full-100")],
});
const healthy = (t: number) => ({ s2: scalar(0.01, t) });

/** Drives a rollback to its end, applying each step and answering gates from `candidate`. */
function runRollback(run: Driver, fromMs: number, candidate = 0) {
  for (let t = fromMs; t < fromMs + 20_000 && run.state.phase.kind !== "rolled_back"; t += 1_000) {
    const phase = run.state.phase;
    if (phase.kind === "applying") run.feed({ type: "ActionApplied", atMs: t });
    else run.tick(t, { ...healthy(t), s2: scalar(0.5, t), "target.candidate": scalar(candidate, t) });
  }
}

describe("rollback", () => {
  it("is rejected without steps (the runner fills them from the target definition)", () => {
    const run = sealingFirstStage(engine, plan, healthy(900));
    const result = run.feed(rollback(2_000, {}));
    expect(result.events[0]).toMatchObject({ type: "CommandRejected", data: { command: "rollback" } });
  });

  it("runs the steps in the given order, each sealing before the next, with the rollback priority", () => {
    const run = sealingFirstStage(engine, plan, healthy(900));
    run.feed(rollback(2_000));
    expect(run.state.rollbackSteps).toEqual(steps);
    runRollback(run, 3_000);
    const starts = run.events.filter(
      (e) => e.type === "StageStarted" && (e.data as { track: string }).track === "rollback",
    );
    expect(starts.map((e) => e.data)).toEqual([
      { track: "rollback", index: 0, stage: "restore-legacy", priority: "rollback" },
      { track: "rollback", index: 1, stage: "candidate-out", priority: "rollback" },
      { track: "rollback", index: 2, stage: "drain-candidate", priority: "rollback" },
    ]);
    const order = run.events
      .filter(
        (e) => ["StageStarted", "StageSealed"].includes(e.type) && (e.data as { track: string }).track === "rollback",
      )
      .map((e) => `${e.type}:${(e.data as { stage: string }).stage}`);
    expect(order).toEqual([
      "StageStarted:restore-legacy",
      "StageSealed:restore-legacy",
      "StageStarted:candidate-out",
      "StageSealed:candidate-out",
      "StageStarted:drain-candidate",
      "StageSealed:drain-candidate",
    ]);
    expect(run.state.phase.kind).toBe("rolled_back");
    expect(run.last?.locks).toEqual({ releaseDomain: "prod-eu", releaseClaims: true });
    expect(run.last?.effects).toContainEqual({ type: "ClearFreeze", domain: "prod-eu" });
    expect(run.state.applied).toHaveLength(1);
  });

  it("takes the domain lease with priority rollback for each step", () => {
    const run = sealingFirstStage(engine, plan, healthy(900));
    run.feed(rollback(2_000));
    const proposal = run.tick(3_000, healthy(3_000));
    expect(proposal.locks?.acquireDomain).toEqual({ domain: "prod-eu", stage: "restore-legacy", priority: "rollback" });
    expect(proposal.effects[0]).toMatchObject({ type: "ApplyAction", cursor: { track: "rollback", index: 0 } });
  });

  it("waits on a step's own gates (drain the candidate)", () => {
    const run = sealingFirstStage(engine, plan, healthy(900));
    run.feed(rollback(2_000));
    runRollback(run, 3_000, 7);
    expect(run.state.phase).toMatchObject({ kind: "sealing", cursor: { track: "rollback", index: 2 } });
  });

  it("guards record during a rollback but never stop it", () => {
    const run = sealingFirstStage(engine, plan, healthy(900));
    run.feed(rollback(2_000));
    runRollback(run, 3_000);
    expect(run.state.phase.kind).toBe("rolled_back");
    expect(run.events.filter((e) => e.type === "GuardBreachedDuringRollback")).toHaveLength(1);
    expect(run.events.filter((e) => e.type === "Halted")).toEqual([]);
  });

  it("a timeout during a rollback halts it (a stuck rollback needs a human); resume continues it", () => {
    const timed = testPlan({ ...plan, stages: [stage("canary-10", {}, { drainMs: 5_000 })] });
    const run = sealingFirstStage(engine, timed, healthy(900));
    run.feed(rollback(2_000));
    runRollback(run, 3_000, 7);
    expect(run.state.phase).toMatchObject({ kind: "halted", reason: { code: "timeout-drain" } });
    expect(holdsFreeze(run.state)).toBe(true);
    expect(rollbackRequested(run.state)).toBe(false);
    run.feed(rollback(30_000, {}, "bob"));
    expect(run.state.phase).toMatchObject({ kind: "sealing", cursor: { track: "rollback", index: 2 } });
    runRollback(run, 31_000, 0);
    expect(run.state.phase.kind).toBe("rolled_back");
  });

  it("onHalt: rollback asks the runner for steps at the halt, and starts rolling back when they arrive", () => {
    const auto = testPlan({ ...plan, onHalt: "rollback" });
    const run = sealingFirstStage(engine, auto, healthy(900));
    const halted = run.tick(2_000, { s2: scalar(0.9, 2_000) });
    expect(halted.events.map((e) => e.type)).toEqual(["GuardFailed", "Halted", "RollbackRequested"]);
    expect(rollbackRequested(run.state)).toBe(true);
    expect(run.tick(3_000, healthy(3_000)).effects).toEqual([]);
    const started = run.feed(rollback(3_500, { steps: stepsJson, stopsAt: null }, "airlock"));
    expect(started.events[0]).toMatchObject({ type: "RollbackStarted", data: { actor: "airlock", from: "sealing" } });
    expect(rollbackRequested(run.state)).toBe(false);
    expect(run.state.phase).toMatchObject({ kind: "waiting", cursor: { track: "rollback", index: 0 } });
  });

  it("a manual halt does not roll back even with onHalt: rollback", () => {
    const run = sealingFirstStage(engine, testPlan({ ...plan, onHalt: "rollback" }), healthy(900));
    const halted = run.feed({ type: "Command", atMs: 2_000, command: command("halt", "op-1") });
    expect(halted.events.map((e) => e.type)).toEqual(["Halted"]);
  });

  it("with no steps (nothing to undo) ends rolled back at once; stopsAt is kept", () => {
    const run = new Driver(engine, plan);
    run.feed({ type: "Started", atMs: 0 });
    const result = run.feed(rollback(500, { steps: [], stopsAt: "contract" }));
    expect(result.state.phase).toEqual({ kind: "rolled_back", atMs: 500, stoppedAt: "contract" });
    expect(result.locks).toEqual({ leaveDomainQueue: "prod-eu", releaseDomain: "prod-eu", releaseClaims: true });
    expect(engine.explain(result.state, plan, 600)).toBe("rolled back, stopped at contract");
  });
});
