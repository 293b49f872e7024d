/**
 * Manual commands (`halt`, `resume`, `rollback`, `ack`, `abandon`,
 * `advance`), each recorded with its actor and reason. A command that does
 * not apply in the current phase is recorded as `CommandRejected`, never
 * silently dropped.
 */
import type { Plan } from "../plan/types.ts";
import type { StoredCommand } from "../store/store.ts";
import type { Json } from "../targets/target.ts";
import type { Step } from "./cursor.ts";
import { addLocks, type Draft, emit, isTerminal, patchInternal } from "./draft.ts";
import { cursorOf, halt, isRollingBack } from "./halt.ts";
import { rollbackPlanOf, startRollback } from "./rollback.ts";
import { seal } from "./sealing.ts";
import type { Cursor, Phase } from "./types.ts";

type Halted = Extract<Phase, { kind: "halted" }>;

/** Looks up the stage or rollback step at a cursor in the draft's state. */
export type StepLookup = (cursor: Cursor) => Step | undefined;

function isRecord(value: Json): value is { readonly [key: string]: Json } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function text(data: Json, key: string): string | undefined {
  const value = isRecord(data) ? data[key] : undefined;
  return typeof value === "string" && value !== "" ? value : undefined;
}

/**
 * Back to the interrupted phase; nothing is skipped: an interrupted apply is
 * re-observed (and re-applied under the same key if needed), gates are
 * evaluated afresh (consecutive passes count again from zero). Guard counts,
 * blindness marks and the stage and drain clocks restart: the operator
 * judged the halt and gave the stage more time.
 */
function resume(draft: Draft, phase: Halted, command: StoredCommand, atMs: number, plan: Plan): void {
  let back = phase.interrupted;
  const ready = { code: "ready", message: "ready to start" } as const;
  // A halt before Started (a manual halt) resumes where Started would have gone.
  if (back.kind === "pending")
    back = { kind: "waiting", cursor: { track: "forward", index: 0 }, reason: ready, sinceMs: atMs };
  if (back.kind === "waiting") back = { ...back, reason: ready, sinceMs: atMs };
  draft.phase = back;
  const midStage = back.kind === "applying" || back.kind === "sealing";
  patchInternal(draft, {
    stageClockMs: midStage ? atMs : null,
    drainClockMs: back.kind === "sealing" ? atMs : null,
    blindSince: {},
    thresholds: {},
    detectors: {},
    gates: {},
    gateWaiting: null,
    refusedAtMs: null,
    rollbackRequested: false,
  });
  const cursor = cursorOf(back);
  emit(draft, "Resumed", atMs, {
    actor: command.actor,
    reason: command.reason,
    to: back.kind,
    track: cursor?.track ?? null,
    index: cursor?.index ?? null,
  });
  if (!isRollingBack(back)) draft.effects.push({ type: "ClearFreeze", domain: plan.domain });
  if (back.kind === "applying") {
    draft.effects.push({
      type: "ObserveTarget",
      purpose: "recover-intent",
      expected: back.intent,
      cursor: back.cursor,
    });
  }
}

function abandon(draft: Draft, command: StoredCommand, atMs: number, plan: Plan): void {
  const from = draft.phase;
  draft.phase = { kind: "abandoned", atMs, reason: command.reason };
  emit(draft, "Abandoned", atMs, { actor: command.actor, reason: command.reason, from: from.kind });
  addLocks(draft, { leaveDomainQueue: plan.domain, releaseDomain: plan.domain, releaseClaims: true });
  draft.effects.push({ type: "ClearFreeze", domain: plan.domain });
}

/** Seals the stage being sealed (also from a halt that interrupted sealing) regardless of its gates. */
function advance(draft: Draft, command: StoredCommand, atMs: number, plan: Plan, stepOf: StepLookup) {
  const current = draft.phase;
  const sealing = current.kind === "halted" ? current.interrupted : current;
  if (sealing.kind !== "sealing") return `nothing to seal: the stage is ${sealing.kind}, not sealing`;
  const step = stepOf(sealing.cursor);
  if (step === undefined) return "the current stage is not in the plan";
  if (current.kind === "halted") resume(draft, current, command, atMs, plan);
  seal(draft, sealing, step, atMs, plan, { actor: command.actor, reason: command.reason });
  return undefined;
}

/** Performs the command; returns why it does not apply, if it does not. */
function perform(
  draft: Draft,
  command: StoredCommand,
  atMs: number,
  plan: Plan,
  stepOf: StepLookup,
): string | undefined {
  const phase = draft.phase;
  if (isTerminal(phase)) return `the operation is already ${phase.kind}`;
  switch (command.type) {
    case "halt": {
      if (phase.kind === "halted") return "already halted";
      const message = `halted by ${command.actor}${command.reason === "" ? "" : `: ${command.reason}`}`;
      const manual = { actor: command.actor, reason: command.reason };
      halt(draft, { code: "manual", message, evidence: manual }, atMs, plan, manual);
      return undefined;
    }
    case "resume":
      if (phase.kind !== "halted") return `not halted (${phase.kind})`;
      resume(draft, phase, command, atMs, plan);
      return undefined;
    case "rollback": {
      if (isRollingBack(phase)) {
        if (phase.kind !== "halted") return "already rolling back";
        resume(draft, phase, command, atMs, plan);
        return undefined;
      }
      const steps = rollbackPlanOf(command.data);
      if ("error" in steps) return steps.error;
      startRollback(draft, command, steps, atMs, plan.domain);
      return undefined;
    }
    case "ack": {
      const cursor = cursorOf(phase);
      const stage = text(command.data, "stage") ?? (cursor === undefined ? undefined : stepOf(cursor)?.name) ?? null;
      const consumer = text(command.data, "consumer") ?? command.actor;
      emit(draft, "Acked", atMs, { actor: command.actor, reason: command.reason, consumer, stage });
      return undefined;
    }
    case "abandon":
      if (command.reason.trim() === "") return "abandon needs a reason";
      abandon(draft, command, atMs, plan);
      return undefined;
    case "advance":
      if (command.reason.trim() === "") return "advance --force needs a reason";
      return advance(draft, command, atMs, plan, stepOf);
    default:
      return `unknown command ${command.type}`;
  }
}

/** Applies one manual command to the draft; one that does not apply is recorded as `CommandRejected`. */
export function onCommand(draft: Draft, command: StoredCommand, atMs: number, plan: Plan, stepOf: StepLookup): void {
  const why = perform(draft, command, atMs, plan, stepOf);
  if (why === undefined) return;
  emit(draft, "CommandRejected", atMs, {
    commandId: command.id,
    command: command.type,
    actor: command.actor,
    reason: command.reason,
    why,
  });
}
