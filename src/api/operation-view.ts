/**
 * The API's view of an operation: what the list, the detail page and the
 * dashboard show. Built from the stored record, the freshest state (the
 * local runner's, between checkpoints) and the pinned plan. Pure; never
 * includes the plan's source or internal engine state.
 */
import { cursorOf } from "../engine/halt.ts";
import type { Cursor, GateCheck, HaltReason, OperationState, Phase } from "../engine/types.ts";
import type { Plan } from "../plan/types.ts";
import type { OperationRecord, OperationStatus } from "../store/store.ts";
import type { ActionSpec } from "../targets/target.ts";

/** How a stage's airlock door looks: not reached, open (action in transition), sealing (gates), sealed, halted. */
export type Door = "pending" | "queued" | "open" | "sealing" | "sealed" | "halted";

/** One stage (or rollback step) on the timeline. */
export interface StageView {
  readonly index: number;
  readonly name: string;
  readonly action: ActionSpec;
  readonly door: Door;
  readonly startedAtMs?: number;
  readonly appliedAtMs?: number;
  readonly sealedAtMs?: number;
  /** What seals it: condition labels per gate, bake, acknowledgers. */
  readonly gates: readonly { readonly gate: string; readonly label: string; readonly sensor?: string }[];
}

/** A row of the operations list. */
export interface OperationSummary {
  readonly id: string;
  readonly plan: string;
  readonly domain: string;
  readonly status: OperationStatus;
  readonly phase: Phase["kind"];
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
  /** Current position, when the operation has one. */
  readonly cursor?: Cursor & { readonly name?: string; readonly total: number };
  /** One line: `stage 2/3 half: waiting — displaced legacy jobs 3 > 0 for 2s`; empty when the plan no longer loads. */
  readonly explanation: string;
}

/** The detail view of one operation. */
export interface OperationDetail extends OperationSummary {
  readonly planHash: string;
  readonly onHalt: Plan["onHalt"] | null;
  readonly intervalMs: number | null;
  readonly consumers: readonly string[];
  /** The full phase (a halt's reason and evidence, a wait's reason, an intent). */
  readonly phaseDetail: Phase;
  readonly gateChecks: readonly GateCheck[];
  readonly stages: readonly StageView[];
  readonly rollback?: { readonly steps: readonly StageView[] };
  readonly halt?: HaltReason & { readonly sinceMs: number };
  /** Whether this server's controller runs the operation now (live telemetry exists only then). */
  readonly runHere: boolean;
}

/** Builds the list row. `plan` is undefined when the pinned plan no longer loads. */
export function summarize(
  record: OperationRecord,
  state: OperationState,
  plan: Plan | undefined,
  explanation: string,
): OperationSummary {
  const phase = state.phase;
  const cursor = cursorOf(phase.kind === "halted" ? phase.interrupted : phase);
  const base = {
    id: record.id,
    plan: record.planName,
    domain: record.domain,
    status: record.status,
    phase: phase.kind,
    createdAtMs: record.createdAtMs,
    updatedAtMs: record.updatedAtMs,
    explanation,
  };
  if (cursor === undefined) return base;
  const steps = cursor.track === "forward" ? (plan?.stages ?? []) : (state.rollbackSteps ?? []);
  const name = steps[cursor.index]?.name;
  return {
    ...base,
    cursor: { ...cursor, total: steps.length, ...(name === undefined ? {} : { name }) },
  };
}

/** Builds the detail view. */
export function detail(
  record: OperationRecord,
  state: OperationState,
  plan: Plan | undefined,
  explanation: string,
  runHere: boolean,
): OperationDetail {
  const phase = state.phase;
  const active = phase.kind === "halted" ? phase.interrupted : phase;
  const cursor = cursorOf(active);
  const doorAt = (track: Cursor["track"], index: number, sealedAtMs: number | undefined): Door => {
    if (sealedAtMs !== undefined) return "sealed";
    if (phase.kind === "completed" && track === "forward") return "sealed";
    if (phase.kind === "rolled_back" && track === "rollback") return "sealed";
    if (cursor === undefined || cursor.track !== track || index > cursor.index) return "pending";
    if (index < cursor.index) return "sealed";
    return phase.kind === "halted" ? "halted" : doorOfPhase(active);
  };
  const stages = (plan?.stages ?? []).map((stage, index): StageView => {
    const times = state.stageTimes[index] ?? {};
    return {
      index,
      name: stage.name,
      action: stage.action,
      door: doorAt("forward", index, times.sealedAtMs),
      ...times,
      gates: gatesOf(stage.gates),
    };
  });
  const rollbackSteps = state.rollbackSteps?.map(
    (step, index): StageView => ({
      index,
      name: step.name,
      action: step.action,
      door: doorAt("rollback", index, undefined),
      gates: gatesOf(step.gates),
    }),
  );
  return {
    ...summarize(record, state, plan, explanation),
    planHash: record.planHash,
    onHalt: plan?.onHalt ?? null,
    intervalMs: plan?.intervalMs ?? null,
    consumers: plan === undefined ? [] : consumersOf(plan),
    phaseDetail: phase,
    gateChecks: state.gateChecks,
    stages,
    ...(rollbackSteps === undefined ? {} : { rollback: { steps: rollbackSteps } }),
    ...(phase.kind === "halted" ? { halt: { ...phase.reason, sinceMs: phase.sinceMs } } : {}),
    runHere,
  };
}

/** Everyone who may acknowledge: the plan's consumers and every stage's `confirmedBy`. */
export function consumersOf(plan: Plan): string[] {
  const names = new Set(plan.consumers);
  for (const stage of plan.stages) for (const name of stage.gates.confirmedBy ?? []) names.add(name);
  return [...names];
}

/** The forward stage an ack without `stage` refers to: the current (or interrupted) one. */
export function currentStageName(state: OperationState, plan: Plan): string | undefined {
  const phase = state.phase;
  const cursor = cursorOf(phase.kind === "halted" ? phase.interrupted : phase);
  return cursor?.track === "forward" ? plan.stages[cursor.index]?.name : undefined;
}

function doorOfPhase(phase: Phase): Door {
  switch (phase.kind) {
    case "waiting":
      return "queued";
    case "applying":
      return "open";
    case "sealing":
      return "sealing";
    default:
      return "pending";
  }
}

function gatesOf(gates: Plan["stages"][number]["gates"]): StageView["gates"] {
  const result: { gate: string; label: string; sensor?: string }[] = [];
  for (const [gate, conditions] of Object.entries(gates.conditions ?? {})) {
    for (const condition of conditions ?? []) {
      result.push({
        gate,
        label: condition.label ?? `${condition.sensor} ${condition.op} ${condition.threshold}`,
        sensor: condition.sensor,
      });
    }
  }
  if (gates.bakeMs !== undefined) result.push({ gate: "bake", label: `bake ${gates.bakeMs} ms` });
  for (const name of gates.confirmedBy ?? []) result.push({ gate: "confirmed", label: name });
  return result;
}
