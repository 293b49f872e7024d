/**
 * Crash safety of the runner (issue 2): a crash injected at every boundary
 * (after the intent event, after the apply but before the applied event,
 * after the applied event, while sealing), at every occurrence, never skips a
 * gate, never applies stage N+1 before stage N sealed, and after
 * de-duplication by idempotency key applies each action exactly once, in
 * order. The event log stays gap-free.
 */
import { describe, expect, it } from "vitest";
import type { Plan } from "../plan/types.ts";
import { createFakeSensor } from "../sensors/fake/fake-sensor.ts";
import { MemoryStore } from "../store/memory/memory-store.ts";
import type { Store } from "../store/store.ts";
import { createFakeTarget } from "../targets/fake/fake-target.ts";
import { VirtualClock } from "./clock.ts";
import { engine } from "./engine.ts";
import { type FaultInjector, type FaultPoint, SimulatedCrash } from "./faults.ts";
import { Runner, toJson } from "./runner.ts";
import { condition, stage, testPlan } from "./test-kit.ts";

const POINTS: readonly FaultPoint[] = ["after-intent", "after-apply", "after-applied-event", "while-sealing"];
const LEASE_TTL_MS = 1_000;

function crashPlan(): Plan {
  const drained = { conditions: { drained: [condition("s1", "<=", 0)] } };
  return testPlan({ stages: [stage("canary-10", drained), stage("canary-50", drained), stage("full-100", drained)] });
}

/** Crashes at the `occurrence`-th time `point` is reached (1-based). */
function crashAt(point: FaultPoint, occurrence: number): FaultInjector & { crashed: boolean } {
  let seen = 0;
  const injector = {
    crashed: false,
    at(reached: FaultPoint) {
      if (reached !== point || injector.crashed) return;
      seen += 1;
      if (seen === occurrence) {
        injector.crashed = true;
        throw new SimulatedCrash(point);
      }
    },
  };
  return injector;
}

async function runUntilDone(runner: Runner, clock: VirtualClock, maxTicks: number): Promise<void> {
  const started = await runner.start();
  if (started !== undefined) return;
  for (let i = 0; i < maxTicks; i += 1) {
    clock.advance(1_000);
    if ((await runner.tick()) !== undefined) return;
  }
}

async function scenario(point: FaultPoint, occurrence: number) {
  let storeNowMs = 1_000_000;
  const store: Store = new MemoryStore({ now: () => storeNowMs });
  const clock = new VirtualClock(1_800_000_000_000);
  const plan = crashPlan();
  const fake = createFakeTarget({}, () => clock.nowMs());
  const sensors = { s1: createFakeSensor([{ value: 0 }]).sensor };
  const created = await store.createOperation({
    id: "op-1",
    planName: plan.name,
    domain: plan.domain,
    planHash: "h",
    planSource: "",
    planFile: "plan.yaml",
    state: toJson(engine.initialState("op-1", plan)),
  });
  expect(created.ok).toBe(true);
  const runnerFor = (holder: string, faults?: FaultInjector) =>
    new Runner({
      store,
      engine,
      plan,
      operationId: "op-1",
      target: fake.target,
      targetDefinition: fake.definition,
      sensors,
      clock,
      holder,
      leaseTtlMs: LEASE_TTL_MS,
      checkpointMs: 0,
      ...(faults === undefined ? {} : { faults }),
    });
  const injector = crashAt(point, occurrence);
  let crashed = false;
  try {
    await runUntilDone(runnerFor("first", injector), clock, 50);
  } catch (error) {
    if (!(error instanceof SimulatedCrash)) throw error;
    crashed = true;
  }
  storeNowMs += LEASE_TTL_MS + 1; // the dead runner's lease lapses by the store's clock
  await runUntilDone(runnerFor("second"), clock, 50);
  const record = await store.getOperation("op-1");
  const events = await store.listEvents("op-1", 0, 10_000);
  return { crashed, record, events, fake, plan };
}

describe("runner crash safety", () => {
  for (const point of POINTS) {
    for (const occurrence of [1, 2, 3]) {
      it(`completes with each action applied once, in order, after a crash ${point} #${occurrence}`, async () => {
        const { crashed, record, events, fake, plan } = await scenario(point, occurrence);
        expect(crashed).toBe(true);
        expect(record?.status).toBe("completed");
        const keys = fake.applied().map((c) => c.idempotencyKey);
        expect(new Set(keys).size).toBe(keys.length);
        expect(fake.applied().map((c) => c.stageIndex)).toEqual(plan.stages.map((_, i) => i));
        expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
        // every stage's intent comes after the previous stage sealed
        for (let i = 1; i < plan.stages.length; i += 1) {
          const sealedPrev = events.findIndex(
            (e) => e.type === "StageSealed" && (e.data as { stage?: string }).stage === plan.stages[i - 1]?.name,
          );
          const intended = events.findIndex(
            (e) => e.type === "ActionIntended" && (e.data as { stage?: string }).stage === plan.stages[i]?.name,
          );
          expect(sealedPrev).toBeGreaterThanOrEqual(0);
          expect(intended).toBeGreaterThan(sealedPrev);
        }
        expect(events.filter((e) => e.type === "StageSealed")).toHaveLength(plan.stages.length);
      });
    }
  }

  it("a runner whose lease lapsed records nothing and applies nothing", async () => {
    let storeNowMs = 1_000_000;
    const store = new MemoryStore({ now: () => storeNowMs });
    const clock = new VirtualClock(1_800_000_000_000);
    const plan = crashPlan();
    const fake = createFakeTarget({}, () => clock.nowMs());
    await store.createOperation({
      id: "op-1",
      planName: plan.name,
      domain: plan.domain,
      planHash: "h",
      planSource: "",
      planFile: "p",
      state: toJson(engine.initialState("op-1", plan)),
    });
    const options = {
      store,
      engine,
      plan,
      operationId: "op-1",
      target: fake.target,
      targetDefinition: fake.definition,
      sensors: { s1: createFakeSensor([{ value: 0 }]).sensor },
      clock,
      leaseTtlMs: LEASE_TTL_MS,
    };
    const stale = new Runner({ ...options, holder: "stale" });
    expect(await stale.start()).toBeUndefined();
    storeNowMs += LEASE_TTL_MS + 1;
    const survivor = new Runner({ ...options, holder: "survivor" });
    expect(await survivor.start()).toBeUndefined();
    const eventsBefore = (await store.listEvents("op-1", 0, 1000)).length;
    const appliesBefore = fake.calls().length;
    clock.advance(1_000);
    const stop = await stale.tick();
    expect(stop?.kind).toBe("lease-lost");
    expect((await store.listEvents("op-1", 0, 1000)).length).toBe(eventsBefore);
    expect(fake.calls().length).toBe(appliesBefore);
  });
});
