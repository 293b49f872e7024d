/**
 * Test helpers for the engine: a small plan builder over the real plan
 * types, reading and input constructors, a scripted detector, and a driver
 * that feeds inputs and keeps every event and effect. Used by tests only.
 */
import type { DetectorApi, Evidence, NodeTick } from "../detect/types.ts";
import type { Condition, GatesSpec, Guard, Plan, Stage, Timeouts } from "../plan/types.ts";
import type { NodeLabels, Reading } from "../sensors/sensor.ts";
import type { Ack, Freeze, NewEvent, StoredCommand } from "../store/store.ts";
import type { ActionSpec, Json } from "../targets/target.ts";
import type { Effect, EngineApi, Input, OperationState, TransitionResult, WorldFacts } from "./types.ts";

/** Timeouts generous enough not to fire unless a test means them to. */
export const LONG_TIMEOUTS: Timeouts = { stageMs: 3_600_000, drainMs: 3_600_000, sensorBlindMs: 3_600_000 };

/** A weight action: `{ type: "weight", params: { candidatePercent } }`. */
export function weight(candidatePercent: number): ActionSpec {
  return { type: "weight", params: { candidatePercent } };
}

/** A condition with defaults (`sum`, consecutive 1). */
export function condition(
  sensor: string,
  op: Condition["op"],
  threshold: number,
  extra: Partial<Omit<Condition, "sensor" | "op" | "threshold">> = {},
): Condition {
  return { sensor, op, threshold, aggregate: "sum", consecutive: 1, ...extra };
}

/** A stage with a weight action, the given gates and long timeouts unless overridden. */
export function stage(name: string, gates: GatesSpec = {}, timeouts: Partial<Timeouts> = {}): Stage {
  return {
    name,
    action: weight(Number(name.replace(/\D/g, "")) || 0),
    gates,
    timeouts: { ...LONG_TIMEOUTS, ...timeouts },
  };
}

/** A plan over the real types: domain `prod-eu`, 1 s interval, gauges `s1`/`s2`, a counter `hits`. */
export function testPlan(overrides: Partial<Plan> = {}): Plan {
  return {
    name: "checkout-v3",
    domain: "prod-eu",
    claims: ["router:be_app"],
    sensors: {
      s1: { kind: "fake", maxAgeMs: 3_000, counter: false, config: {} },
      s2: { kind: "fake", maxAgeMs: 3_000, counter: false, config: {} },
      hits: { kind: "fake", maxAgeMs: 3_000, counter: true, config: {} },
      requests: { kind: "fake", maxAgeMs: 3_000, counter: true, config: {} },
      errors: { kind: "fake", maxAgeMs: 3_000, counter: true, config: {} },
    },
    target: { kind: "fake", config: {} },
    stages: [stage("canary-10"), stage("canary-50"), stage("full-100")],
    guards: [],
    onHalt: "pause",
    intervalMs: 1_000,
    windows: [],
    consumers: [],
    ...overrides,
  };
}

/** A supercriticality guard over `requests`/`errors` with cohort label `cohort`. */
export function supercriticalityGuard(overrides: Partial<Extract<Guard, { kind: "supercriticality" }>> = {}): Guard {
  return {
    kind: "supercriticality",
    name: "errors",
    requests: "requests",
    errors: "errors",
    cohorts: { label: "cohort", legacy: "legacy", candidate: "candidate" },
    mode: "sequential",
    ratio: 5,
    minDelta: 0.005,
    alpha: 0.01,
    referenceWindowMs: 60_000,
    minRequests: 20,
    ...overrides,
  };
}

/** A fresh scalar reading. */
export function scalar(value: number, observedAtMs: number): Reading {
  return { ok: true, observedAtMs, value: { type: "scalar", value } };
}

/** A fresh vector reading. */
export function vector(values: Record<string, number>, observedAtMs: number, labels?: NodeLabels): Reading {
  return {
    ok: true,
    observedAtMs,
    value: labels === undefined ? { type: "vector", values } : { type: "vector", values, labels },
  };
}

/** A failed reading. */
export function failed(code: string, observedAtMs: number): Reading {
  return { ok: false, observedAtMs, code, message: `sensor ${code}` };
}

/** World facts with nothing in them, plus overrides. */
export function world(overrides: Partial<WorldFacts> = {}): WorldFacts {
  return { freezes: [], acks: [], ...overrides };
}

/** A freeze set by someone else. */
export function freeze(domain: string, setBy: string, setAtMs = 0): Freeze {
  return { domain, reason: "incident", setBy, setAtMs, expiresAtMs: null };
}

/** An ack for a stage. */
export function ack(operationId: string, stageName: string, consumer: string, atMs = 0): Ack {
  return { operationId, stage: stageName, consumer, actor: consumer, atMs };
}

let commandIds = 0;

/** A stored command as the runner would feed it. */
export function command(
  type: string,
  operationId: string,
  extra: { actor?: string; reason?: string; data?: Json } = {},
): StoredCommand {
  commandIds++;
  return {
    id: commandIds,
    operationId,
    type,
    actor: extra.actor ?? "alice",
    reason: extra.reason ?? "",
    data: extra.data ?? {},
    createdAtMs: 0,
  };
}

/** A detector that never breaches unless `breach` says so; it records what it was fed. */
export function scriptedDetector(
  breach: (nodes: readonly NodeTick[]) => readonly Evidence[] = () => [],
  blind: (nodes: readonly NodeTick[]) => readonly string[] = () => [],
): DetectorApi & { readonly seen: NodeTick[][]; readonly baselines: unknown[] } {
  const seen: NodeTick[][] = [];
  const baselines: unknown[] = [];
  return {
    seen,
    baselines,
    init: (_config, nodeBaselines) => {
      baselines.push(nodeBaselines);
      return { version: 1, data: 0 };
    },
    step: (_state, _config, _atMs, nodes) => {
      seen.push([...nodes]);
      return {
        state: { version: 1, data: seen.length },
        verdict: { breaches: breach(nodes), blindNodes: blind(nodes), scores: {} },
      };
    },
    preflight: () => [],
  };
}

/**
 * Feeds inputs to an engine, accepting every lock change, and keeps the
 * whole history of events and effects. For end-state assertions.
 */
export class Driver {
  state: OperationState;
  readonly events: NewEvent[] = [];
  readonly effects: Effect[] = [];
  last: TransitionResult | undefined;

  constructor(
    readonly engine: EngineApi,
    readonly plan: Plan,
    readonly operationId = "op-1",
  ) {
    this.state = engine.initialState(operationId, plan);
  }

  /** Feeds one input and commits its result. */
  feed(input: Input): TransitionResult {
    const result = this.engine.transition(this.state, input, this.plan);
    this.state = result.state;
    this.events.push(...result.events);
    this.effects.push(...result.effects);
    this.last = result;
    return result;
  }

  /** Feeds a Tick with these readings and world facts. */
  tick(atMs: number, readings: Record<string, Reading> = {}, facts: WorldFacts = world()): TransitionResult {
    return this.feed({ type: "Tick", atMs, readings, world: facts });
  }

  /** Types of all events so far. */
  eventTypes(): string[] {
    return this.events.map((e) => e.type);
  }

  /** Data of the last event of `type`. */
  lastEvent(type: string): NewEvent | undefined {
    return this.events.filter((e) => e.type === type).at(-1);
  }
}

/**
 * Starts the operation and applies its first stage: the driver is `sealing`
 * stage 0 at `appliedAtMs`. Ticks twice with `readings` (as of each tick's
 * time) first, since guards must be seen steady before a stage starts.
 */
export function sealingFirstStage(
  engine: EngineApi,
  plan: Plan,
  readings: Record<string, Reading> = {},
  appliedAtMs = 1_000,
): Driver {
  const run = new Driver(engine, plan);
  run.feed({ type: "Started", atMs: 0 });
  for (const atMs of [appliedAtMs - 200, appliedAtMs - 100]) {
    if (run.state.phase.kind === "waiting") run.tick(atMs, readings);
  }
  if (run.state.phase.kind !== "applying") throw new Error(`stage 0 did not start: ${run.state.phase.kind}`);
  run.feed({ type: "ActionApplied", atMs: appliedAtMs });
  return run;
}
