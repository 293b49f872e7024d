import { describe, expect, it } from "vitest";
import type { Reading } from "../sensors/sensor.ts";
import { engine } from "./engine.ts";
import { Driver, stage, supercriticalityGuard, testPlan } from "./test-kit.ts";

const legacy = ["v1-a", "v1-b", "v1-c", "v1-d", "v1-e", "v1-f", "v1-g", "v1-h"];
const candidates = ["v2-a", "v2-b"];
const labels = Object.fromEntries([
  ...legacy.map((n) => [n, { cohort: "legacy" }]),
  ...candidates.map((n) => [n, { cohort: "candidate" }]),
]);
const plan = testPlan({
  guards: [supercriticalityGuard()],
  stages: [stage("canary-20", { bakeMs: 3_600_000 })],
});

/** A fleet whose per-node counters grow by 100 requests a tick, with per-node error rates. */
class Fleet {
  readonly requests: Record<string, number> = {};
  readonly errors: Record<string, number> = {};

  constructor() {
    for (const node of [...legacy, ...candidates]) {
      this.requests[node] = 1_000;
      this.errors[node] = 10;
    }
  }

  /** Advances one tick and returns the cumulative readings. */
  tick(atMs: number, rate: (node: string) => number): Record<string, Reading> {
    for (const node of [...legacy, ...candidates]) {
      this.requests[node] = (this.requests[node] ?? 0) + 100;
      this.errors[node] = (this.errors[node] ?? 0) + Math.round(100 * rate(node));
    }
    return {
      requests: { ok: true, observedAtMs: atMs, value: { type: "vector", values: { ...this.requests }, labels } },
      errors: { ok: true, observedAtMs: atMs, value: { type: "vector", values: { ...this.errors }, labels } },
    };
  }
}

function canary(rate: (node: string) => number, ticks: number): Driver {
  const fleet = new Fleet();
  const run = new Driver(engine, plan);
  run.feed({ type: "Started", atMs: 0 });
  run.tick(
    1_000,
    fleet.tick(1_000, () => 0.01),
  );
  run.tick(
    2_000,
    fleet.tick(2_000, () => 0.01),
  );
  run.feed({ type: "ActionApplied", atMs: 2_500 });
  for (let i = 3; i < ticks && run.state.phase.kind === "sealing"; i++)
    run.tick(i * 1_000, fleet.tick(i * 1_000, rate));
  return run;
}

describe("supercriticality guard with the real detector", () => {
  it("halts when one candidate node fails 50% while the fleet fails 1%, with the evidence", () => {
    const run = canary((node) => (node === "v2-b" ? 0.5 : 0.01), 60);
    expect(run.state.phase).toMatchObject({ kind: "halted", reason: { code: "supercriticality" } });
    expect(run.lastEvent("Halted")?.data).toMatchObject({
      evidence: {
        breaches: expect.arrayContaining([expect.objectContaining({ test: "changed-node", subject: "v2-b" })]),
      },
    });
  });

  it("stays quiet over a long healthy canary", () => {
    const run = canary(() => 0.01, 600);
    expect(run.state.phase.kind).toBe("sealing");
    expect(run.events.filter((e) => e.type === "Halted")).toEqual([]);
  });
});
