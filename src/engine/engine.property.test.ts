/**
 * Property tests: random plans and random input sequences for several
 * operations sharing domains and targets, checked after every step against
 * the engine's invariants (issue 2, "How it is checked").
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Condition, GatesSpec, Guard, Plan, Stage } from "../plan/types.ts";
import type { Reading } from "../sensors/sensor.ts";
import { createEngine } from "./create-engine.ts";
import { compare } from "./evaluate.ts";
import { type ApplyOutcome, acksFor, type Readings, type SimOperation, Simulation } from "./property-sim.ts";
import { command, condition, scriptedDetector, testPlan, weight } from "./test-kit.ts";
import type { Cursor, Input, OperationState, Phase, TransitionResult } from "./types.ts";

const engine = createEngine(scriptedDetector());
const MAX_AGE_MS = 3_000;
const LABELS = { a: { cohort: "legacy" }, b: { cohort: "candidate" } };

// ---- arbitraries -------------------------------------------------------------------------

const conditionArb: fc.Arbitrary<Condition> = fc
  .record({
    sensor: fc.constantFrom("g1", "g2"),
    op: fc.constantFrom("<=" as const, "<" as const, ">=" as const),
    threshold: fc.integer({ min: 0, max: 10 }),
    aggregate: fc.constantFrom("sum" as const, "max" as const, "every" as const),
    consecutive: fc.integer({ min: 1, max: 2 }),
    expectA: fc.boolean(),
    legacyOnly: fc.boolean(),
  })
  .map(({ sensor, op, threshold, aggregate, consecutive, expectA, legacyOnly }) =>
    condition(sensor, op, threshold, {
      aggregate,
      consecutive,
      ...(expectA ? { expectNodes: ["a"] } : {}),
      ...(legacyOnly ? { where: { cohort: "legacy" } } : {}),
    }),
  );

const stageArb = (index: number): fc.Arbitrary<Stage> =>
  fc
    .record({
      drained: fc.array(conditionArb, { maxLength: 2 }),
      bake: fc.boolean(),
      confirm: fc.boolean(),
      stageMs: fc.integer({ min: 5_000, max: 60_000 }),
      drainMs: fc.integer({ min: 3_000, max: 60_000 }),
      sensorBlindMs: fc.integer({ min: 3_000, max: 30_000 }),
    })
    .map(({ drained, bake, confirm, ...timeouts }) => {
      const gates: GatesSpec = {
        ...(drained.length > 0 ? { conditions: { drained } } : {}),
        ...(bake ? { bakeMs: 2_000 } : {}),
        ...(confirm ? { confirmedBy: ["alice"] } : {}),
      };
      return { name: `stage-${index}`, action: weight((index + 1) * 25), gates, timeouts };
    });

const planArb: fc.Arbitrary<Plan> = fc
  .record({
    domain: fc.constantFrom("d1", "d2"),
    claims: fc.subarray(["t1", "t2", "t3"], { minLength: 1 }),
    stageCount: fc.integer({ min: 1, max: 3 }),
    stages: fc.tuple(stageArb(0), stageArb(1), stageArb(2)),
    failureLimit: fc.option(fc.integer({ min: 0, max: 3 })),
    onHalt: fc.constantFrom("pause" as const, "rollback" as const),
  })
  .map(({ domain, claims, stageCount, stages, failureLimit, onHalt }) => {
    const guards: Guard[] =
      failureLimit === null
        ? []
        : [{ kind: "threshold", name: "error-rate", condition: condition("gr", "<=", 0.1), failureLimit }];
    const sensors = { kind: "fake", maxAgeMs: MAX_AGE_MS, counter: false, config: {} } as const;
    return testPlan({
      domain,
      claims,
      stages: stages.slice(0, stageCount),
      guards,
      onHalt,
      sensors: { g1: sensors, g2: sensors, gr: sensors },
    });
  });

const readingKind = fc.constantFrom("ok", "ok", "ok", "ok", "failed", "stale", "empty", "missing-node", "absent");
const readingArb = fc.record({
  kind: readingKind,
  a: fc.integer({ min: 0, max: 10 }),
  b: fc.integer({ min: 0, max: 10 }),
});
const outcomeArb = fc.constantFrom<ApplyOutcome>(
  "ok",
  "ok",
  "ok",
  "ok",
  "retryable",
  "permanent",
  "drift",
  "crash-before",
  "crash-after",
);

const stepArb = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant("tick" as const),
      op: fc.nat(),
      dtMs: fc.integer({ min: 0, max: 2_500 }),
      g1: readingArb,
      g2: readingArb,
      gr: fc.record({ kind: readingKind, value: fc.double({ min: 0, max: 0.2, noNaN: true }) }),
      ack: fc.boolean(),
      outcome: outcomeArb,
      unsure: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("command" as const),
      op: fc.nat(),
      type: fc.constantFrom("halt", "resume", "rollback", "advance", "abandon", "ack"),
      withReason: fc.boolean(),
      outcome: outcomeArb,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("freeze" as const), domain: fc.constantFrom("d1", "d2", "*") }),
  },
);

type Step = typeof stepArb extends fc.Arbitrary<infer T> ? T : never;
type ReadingSpec = { kind: string; a: number; b: number };

function reading(spec: ReadingSpec, atMs: number): Reading | undefined {
  const vector = (values: Record<string, number>, observedAtMs = atMs): Reading => ({
    ok: true,
    observedAtMs,
    value: { type: "vector", values, labels: LABELS },
  });
  switch (spec.kind) {
    case "failed":
      return { ok: false, observedAtMs: atMs, code: "unreachable", message: "down" };
    case "stale":
      return vector({ a: spec.a, b: spec.b }, atMs - MAX_AGE_MS - 1);
    case "empty":
      return vector({});
    case "missing-node":
      return vector({ b: spec.b });
    case "absent":
      return undefined;
    default:
      return vector({ a: spec.a, b: spec.b });
  }
}

// ---- an independent reading of the raw data: does a condition hold? --------------------

function rawHolds(c: Condition, readings: Readings, atMs: number): boolean {
  const r = readings[c.sensor];
  if (r === undefined || !r.ok || atMs - r.observedAtMs > MAX_AGE_MS || r.value.type !== "vector") return false;
  const values = r.value.values;
  if ((c.expectNodes ?? []).some((node) => values[node] === undefined)) return false;
  const labels = r.value.labels ?? {};
  const picked = Object.keys(values)
    .filter((node) => c.where === undefined || labels[node]?.cohort === c.where.cohort)
    .map((node) => values[node] ?? Number.NaN);
  if (picked.length === 0) return false;
  if (c.aggregate === "every") return picked.every((v) => compare(v, c.op, c.threshold));
  const value = c.aggregate === "max" ? Math.max(...picked) : picked.reduce((x, y) => x + y, 0);
  return compare(value, c.op, c.threshold);
}

// ---- invariants ----------------------------------------------------------------------------

function inTransition(phase: Phase): boolean {
  const p = phase.kind === "halted" ? phase.interrupted : phase;
  return p.kind === "applying" || p.kind === "sealing";
}

function isOver(state: OperationState): boolean {
  return ["completed", "rolled_back", "failed", "abandoned"].includes(state.phase.kind);
}

interface Progress {
  readonly sealed: Set<string>;
  readonly passes: Map<string, boolean[]>;
  rollbackRuns: number;
}

function data(e: { data: unknown }): { track?: string; index?: number; forced?: boolean } {
  return e.data as { track?: string; index?: number; forced?: boolean };
}

function gatesAt(op: SimOperation, state: OperationState, cursor: Cursor): GatesSpec {
  const gates =
    cursor.track === "forward" ? op.plan.stages[cursor.index]?.gates : state.rollbackSteps?.[cursor.index]?.gates;
  if (gates === undefined) throw new Error(`no stage at ${cursor.track} ${cursor.index}`);
  return gates;
}

function conditionsOf(gates: GatesSpec): [string, Condition][] {
  return Object.entries(gates.conditions ?? {}).flatMap(([gate, list]) =>
    (list ?? []).map((c, i): [string, Condition] => [`${gate}.${i}`, c]),
  );
}

function checker(progress: Map<string, Progress>) {
  return (op: SimOperation, before: OperationState, input: Input, result: TransitionResult) => {
    const p = progress.get(op.id) ?? { sealed: new Set<string>(), passes: new Map(), rollbackRuns: 0 };
    progress.set(op.id, p);
    const bp = before.phase;
    // Record raw gate outcomes of every tick evaluated while sealing (for `consecutive`).
    if (input.type === "Tick" && bp.kind === "sealing") {
      for (const [key, c] of conditionsOf(gatesAt(op, before, bp.cursor))) {
        const id = `${bp.cursor.track}:${bp.cursor.index}:${key}:${p.rollbackRuns}`;
        const list = p.passes.get(id) ?? [];
        list.push(rawHolds(c, input.readings, input.atMs));
        p.passes.set(id, list);
      }
    }
    for (const event of result.events) {
      // A resume starts consecutive counting over.
      if (event.type === "Resumed") p.passes.clear();
      if (event.type === "RollbackStarted") {
        p.rollbackRuns++;
        for (const key of [...p.sealed]) if (key.startsWith("rollback:")) p.sealed.delete(key);
      }
      if (event.type !== "StageSealed") continue;
      const { track, index, forced } = data(event);
      p.sealed.add(`${track}:${index}`);
      if (forced === true) continue;
      // A stage never seals while a gate reading is missing, failing, empty, stale or over its threshold.
      expect(input.type).toBe("Tick");
      if (input.type !== "Tick" || bp.kind !== "sealing") throw new Error("sealed outside a sealing tick");
      const gates = gatesAt(op, before, bp.cursor);
      for (const [key, c] of conditionsOf(gates)) {
        const history = p.passes.get(`${bp.cursor.track}:${bp.cursor.index}:${key}:${p.rollbackRuns}`) ?? [];
        expect(history.slice(-Math.max(1, c.consecutive))).toEqual(Array(Math.max(1, c.consecutive)).fill(true));
      }
      expect(input.atMs - bp.appliedAtMs).toBeGreaterThanOrEqual(gates.bakeMs ?? 0);
      for (const party of gates.confirmedBy ?? []) expect(input.world.acks.map((a) => a.consumer)).toContain(party);
    }
    for (const effect of result.effects) {
      if (effect.type !== "ApplyAction") continue;
      // A halted operation applies nothing until resumed or rolled back.
      expect(bp.kind).not.toBe("halted");
      expect(result.state.phase.kind).toBe("applying");
      const { track, index } = effect.cursor;
      // Stage N+1 (or rollback step N+1) never before stage N sealed; forward never after a rollback began.
      if (index > 0) expect(p.sealed.has(`${track}:${index - 1}`)).toBe(true);
      if (track === "forward") expect(p.rollbackRuns).toBe(0);
      else expect(effect.intent.action).toEqual(result.state.rollbackSteps?.[index]?.action);
    }
  };
}

function checkWorld(sim: Simulation): void {
  for (const domain of ["d1", "d2"]) {
    const moving = sim.ops.filter((op) => op.plan.domain === domain && inTransition(op.state.phase));
    // Never more than one stage in transition per domain, and it holds the domain lease.
    expect(moving.length).toBeLessThanOrEqual(1);
    for (const op of moving) expect(sim.locks.domains.get(domain)?.operationId).toBe(op.id);
  }
  for (const op of sim.ops) {
    const acted = op.state.stageTimes.some((t) => t.startedAtMs !== undefined);
    // Never two live operations claiming one target: a live operation that acted holds all its claims.
    if (!isOver(op.state) && acted) expect(sim.locks.claimsOf(op.id).sort()).toEqual([...op.plan.claims].sort());
    if (isOver(op.state)) expect(sim.locks.claimsOf(op.id)).toEqual([]);
  }
}

// ---- the run -------------------------------------------------------------------------------

function run(plans: readonly Plan[], steps: readonly Step[]): Simulation {
  const progress = new Map<string, Progress>();
  const sim = new Simulation(engine, plans, checker(progress));
  let nowMs = 1_000;
  for (const op of sim.ops) sim.feed(op, { type: "Started", atMs: nowMs }, "ok");
  for (const step of steps) {
    if (step.kind === "freeze") {
      const key = `${step.domain}|human`;
      if (sim.freezes.has(key)) sim.freezes.delete(key);
      else
        sim.freezes.set(key, {
          domain: step.domain,
          reason: "change freeze",
          setBy: "human",
          setAtMs: nowMs,
          expiresAtMs: null,
        });
      continue;
    }
    const op = sim.ops[step.op % sim.ops.length];
    if (op === undefined) continue;
    if (op.needsRecovery) {
      sim.recover(op, nowMs, step.outcome, step.kind === "tick" && step.unsure);
    } else if (step.kind === "tick") {
      nowMs += step.dtMs;
      const readings: Readings = {};
      for (const name of ["g1", "g2"] as const) {
        const r = reading(step[name], nowMs);
        if (r !== undefined) readings[name] = r;
      }
      const gr = reading({ kind: step.gr.kind, a: 0, b: 0 }, nowMs);
      if (gr !== undefined) readings.gr = gr.ok ? { ...gr, value: { type: "scalar", value: step.gr.value } } : gr;
      const world = { freezes: sim.freezesFor(op), acks: step.ack ? acksFor(op, nowMs) : [] };
      sim.feed(op, { type: "Tick", atMs: nowMs, readings, world }, step.outcome);
    } else if (step.type === "rollback") {
      sim.rollback(op, nowMs, "alice");
    } else {
      const reason = step.withReason ? "because" : "";
      sim.feed(op, { type: "Command", atMs: nowMs, command: command(step.type, op.id, { reason }) }, step.outcome);
    }
    checkWorld(sim);
  }
  return sim;
}

describe("engine invariants under random plans and inputs", () => {
  it("hold for several operations sharing domains and targets", () => {
    fc.assert(
      fc.property(
        fc.array(planArb, { minLength: 2, maxLength: 4 }),
        fc.array(stepArb, { maxLength: 250 }),
        (plans, steps) => {
          run(plans, steps);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("reach every outcome (the generator covers completion, halts, rollbacks and abandonment)", () => {
    const outcomes = new Set<string>();
    fc.assert(
      fc.property(
        fc.array(planArb, { minLength: 2, maxLength: 3 }),
        fc.array(stepArb, { minLength: 200, maxLength: 400 }),
        (plans, steps) => {
          for (const op of run(plans, steps).ops) outcomes.add(op.state.phase.kind);
        },
      ),
      { numRuns: 60 },
    );
    expect([...outcomes]).toEqual(expect.arrayContaining(["completed", "halted", "rolled_back", "abandoned"]));
  });
});
