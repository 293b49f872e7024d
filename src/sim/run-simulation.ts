/**
 * One simulated run: a traffic plan (or a built-in peer strategy) against a
 * described fleet, in virtual time, driving the real engine and detector
 * through the simulated target. Deterministic for a seed: the world's only
 * randomness is the seeded PRNG and every time is virtual.
 */
import { VirtualClock } from "../engine/clock.ts";
import { engine } from "../engine/engine.ts";
import { Runner, toJson } from "../engine/runner.ts";
import { type PlanRegistries, parsePlan } from "../plan/parse.ts";
import type { Plan } from "../plan/types.ts";
import type { Sensor } from "../sensors/sensor.ts";
import { MemoryStore } from "../store/memory/memory-store.ts";
import type { StoredEvent } from "../store/store.ts";
import type { Json, TargetDefinition } from "../targets/target.ts";
import { matchesGlob } from "../targets/traffic/server-sets.ts";
import type { TrafficConfig } from "../targets/traffic/traffic-config.ts";
import { type FleetSpec, nodeNames } from "./fleet-spec.ts";
import { type PeerOutcome, type PeerWorld, runNaive, runTimerCanary } from "./peer-strategies.ts";
import { Prng } from "./prng.ts";
import { SimFleet, STEP_MS } from "./sim-fleet.ts";
import { simPlanSensors } from "./sim-sensors.ts";
import {
  fleetFigures,
  type HaltSummary,
  type SimulationSummary,
  type StageTimes,
  type Strategy,
  secondsSince,
} from "./sim-summary.ts";
import { createSimTarget, type SimTarget } from "./sim-target.ts";

/** Virtual start of every run (fixed, so summaries never depend on the wall clock). */
export const SIM_START_MS = Date.UTC(2030, 0, 1);

/** What to simulate. */
export interface SimulationRequest {
  readonly planSource: string;
  readonly planFile: string;
  readonly registries: PlanRegistries & { readonly targets: { get(kind: string): TargetDefinition | undefined } };
  readonly fleet: FleetSpec;
  readonly seed: number;
  readonly strategy: Strategy;
  readonly release: "good" | "bad";
  /** Include the per-second series in the summary. */
  readonly series?: boolean;
  /**
   * Simulated time the world runs, ms: the operation is cut off (`timeout`) here if the fleet's
   * `limit` has not cut it off before, and the world keeps running (and counting) after the
   * operation ends until then. Default: until the operation ends.
   */
  readonly durationMs?: number;
}

/** A summary, or why the run could not start. */
export type SimulationResult =
  | { readonly ok: true; readonly value: SimulationSummary }
  | { readonly ok: false; readonly code: "plan" | "fleet"; readonly message: string };

/** The plan's target config was validated by its (traffic) kind's schema, which includes the shared traffic fields. */
function isTrafficConfig(config: Json): config is Json & TrafficConfig {
  const fields = record(config);
  return typeof fields.legacy === "string" && typeof fields.candidate === "string";
}

/** Runs one simulation to its end. Never throws for a bad plan or fleet. */
export async function runSimulation(request: SimulationRequest): Promise<SimulationResult> {
  const parsed = parsePlan(request.planSource, request.planFile, request.registries);
  if (!parsed.ok) {
    const first = parsed.errors[0];
    return { ok: false, code: "plan", message: first === undefined ? "invalid plan" : formatPlanError(first) };
  }
  const plan = parsed.plan;
  const config = plan.target.config;
  const definition = request.registries.targets.get(plan.target.kind);
  if (!isTrafficConfig(config) || definition === undefined) {
    return {
      ok: false,
      code: "plan",
      message: `simulate runs traffic plans; target kind ${plan.target.kind} is not one`,
    };
  }
  const { fleet: spec } = request;
  const legacy = nodeNames(spec.nodes.legacy);
  const candidates = nodeNames(spec.nodes.candidate);
  const misnamed =
    legacy.find((name) => !matchesGlob(config.legacy, name)) ??
    candidates.find((name) => !matchesGlob(config.candidate, name));
  if (misnamed !== undefined) {
    return {
      ok: false,
      code: "fleet",
      message: `fleet node ${misnamed} does not match the plan's legacy/candidate patterns`,
    };
  }
  const warmupMs = Math.ceil(spec.warmup / STEP_MS) * STEP_MS;
  const fleet = new SimFleet(spec, new Prng(request.seed), SIM_START_MS - warmupMs, config.fullWeight, request.release);
  while (fleet.nowMs < SIM_START_MS) fleet.step();
  fleet.startCounting();
  const target = createSimTarget(config, fleet, spec.nodes.terminationGrace);
  const deadlineMs = SIM_START_MS + Math.min(spec.limit, request.durationMs ?? spec.limit);
  const endMs = SIM_START_MS + (request.durationMs ?? 0);
  const base = { strategy: request.strategy, release: request.release, seed: request.seed, nodes: fleet.names.length };
  const ended =
    request.strategy === "airlock"
      ? await runPlan(plan, definition, target, fleet, spec, deadlineMs)
      : await runPeer(request.strategy, plan, { fleet, target, legacy, candidates, deadlineMs, spec });
  const stopping = (): boolean =>
    fleet.nowMs < deadlineMs && fleet.killAtMs.some((at) => at < Number.POSITIVE_INFINITY);
  while (fleet.nowMs < endMs || stopping()) fleet.step();
  return {
    ok: true,
    value: {
      ...base,
      outcome: ended.outcome,
      durationS: secondsSince(SIM_START_MS, ended.endedAtMs),
      simulatedS: secondsSince(SIM_START_MS, fleet.nowMs),
      ...fleetFigures(fleet, spec.database.maxConnections),
      halt: ended.halt,
      stages: ended.stages,
      notes: ended.notes,
      ...(request.series === true ? { series: fleet.samples } : {}),
    },
  };
}

function formatPlanError(error: { readonly message: string; readonly line?: number; readonly path?: string }): string {
  return `${error.line === undefined ? "" : `line ${error.line}: `}${error.message}`;
}

/** How a run ended, in summary terms. */
interface Ended {
  readonly outcome: string;
  readonly endedAtMs: number;
  readonly halt: HaltSummary | null;
  readonly stages: readonly StageTimes[];
  readonly notes: readonly string[];
}

async function runPlan(
  plan: Plan,
  targetDefinition: TargetDefinition,
  target: SimTarget,
  fleet: SimFleet,
  spec: FleetSpec,
  deadlineMs: number,
): Promise<Ended> {
  const clock = new VirtualClock(SIM_START_MS);
  const store = new MemoryStore();
  const operationId = "simulated";
  await store.createOperation({
    id: operationId,
    planName: plan.name,
    domain: plan.domain,
    planHash: "simulated",
    planSource: "",
    planFile: "",
    state: toJson(engine.initialState(operationId, plan)),
  });
  const planSensors = simPlanSensors(Object.keys(plan.sensors), spec, fleet);
  const sensors: Record<string, Sensor> = { ...planSensors.sensors };
  for (const [name, sensor] of Object.entries(target.sensors())) sensors[`target.${name}`] = sensor;
  const events: StoredEvent[] = [];
  const runner = new Runner({
    store,
    engine,
    plan,
    operationId,
    target,
    targetDefinition,
    sensors,
    clock,
    holder: "simulator",
    onEvent: (event) => events.push(event),
  });
  const stepsPerTick = Math.max(1, Math.ceil(plan.intervalMs / STEP_MS));
  let stop = await runner.start();
  while (stop === undefined && fleet.nowMs < deadlineMs) {
    for (let s = 0; s < stepsPerTick; s += 1) fleet.step();
    clock.advance(fleet.nowMs - clock.nowMs());
    stop = await runner.tick();
    if (runner.status === "halted" && plan.onHalt === "pause") break;
  }
  const notes = planSensors.unmapped.map(
    (name) => `plan sensor ${name} is not mapped in the fleet file: it fails every read`,
  );
  const last = events.at(-1);
  const outcome = fleet.nowMs >= deadlineMs && stop === undefined ? "timeout" : runner.status;
  return { outcome, endedAtMs: last?.atMs ?? fleet.nowMs, halt: haltOf(events), stages: stagesOf(events), notes };
}

function record(data: Json): { readonly [key: string]: Json } {
  return typeof data === "object" && data !== null && !Array.isArray(data)
    ? (data as { readonly [key: string]: Json })
    : {};
}

function haltOf(events: readonly StoredEvent[]): HaltSummary | null {
  const halted = events.find((event) => event.type === "Halted");
  if (halted === undefined) return null;
  const data = record(halted.data);
  return {
    atS: secondsSince(SIM_START_MS, halted.atMs),
    code: String(data.code ?? ""),
    message: String(data.message ?? ""),
    evidence: data.evidence ?? null,
  };
}

function stagesOf(events: readonly StoredEvent[]): StageTimes[] {
  const stages: { name: string; track: "forward" | "rollback"; startedS: number; endedS: number | null }[] = [];
  for (const event of events) {
    const data = record(event.data);
    const track = data.track === "rollback" ? "rollback" : "forward";
    if (event.type === "StageStarted" || event.type === "RollbackStarted") {
      stages.push({
        name: String(data.stage ?? ""),
        track,
        startedS: secondsSince(SIM_START_MS, event.atMs),
        endedS: null,
      });
    }
    if (event.type === "StageSealed") {
      const open = stages.findLast((stage) => stage.name === String(data.stage ?? "") && stage.endedS === null);
      if (open !== undefined) open.endedS = secondsSince(SIM_START_MS, event.atMs);
    }
  }
  return stages;
}

/** The forward weight steps of a plan, ending at 100 (the peers' `setWeight` steps). */
export function weightSteps(plan: Plan): number[] {
  const steps = plan.stages
    .filter((stage) => stage.action.type === "weight")
    .map((stage) => Number(stage.action.params.candidatePercent))
    .filter((percent) => Number.isFinite(percent) && percent > 0);
  return steps.at(-1) === 100 ? steps : [...steps, 100];
}

async function runPeer(
  strategy: Exclude<Strategy, "airlock">,
  plan: Plan,
  parts: Omit<PeerWorld, "weights" | "terminationGraceMs"> & { readonly spec: FleetSpec },
): Promise<Ended> {
  const world: PeerWorld = {
    ...parts,
    weights: weightSteps(plan),
    terminationGraceMs: parts.spec.nodes.terminationGrace,
  };
  const peers = parts.spec.peers;
  let outcome: PeerOutcome;
  if (strategy === "naive") outcome = await runNaive(world);
  else {
    const settings = strategy === "timer-canary-safe" ? peers?.safe : peers?.typical;
    if (settings === undefined) {
      return {
        outcome: "failed",
        endedAtMs: SIM_START_MS,
        halt: null,
        stages: [],
        notes: [`the fleet file has no peers.${strategy === "timer-canary-safe" ? "safe" : "typical"} settings`],
      };
    }
    outcome = await runTimerCanary(world, settings);
  }
  return {
    outcome: outcome.status,
    endedAtMs: outcome.endedAtMs,
    halt:
      outcome.abort === undefined
        ? null
        : {
            atS: secondsSince(SIM_START_MS, outcome.abort.atMs),
            code: "analysis",
            message: outcome.abort.message,
            evidence: null,
          },
    stages: outcome.stages.map((stage) => ({
      name: stage.name,
      track: "forward",
      startedS: secondsSince(SIM_START_MS, stage.startedAtMs),
      endedS: secondsSince(SIM_START_MS, stage.endedAtMs),
    })),
    notes: outcome.error === undefined ? [] : [outcome.error],
  };
}
