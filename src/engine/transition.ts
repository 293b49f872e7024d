/**
 * The pure transition: `(state, input, plan) → { state, events, locks,
 * effects, status }`. No I/O, no clock, no randomness: time comes only from
 * inputs. Every phase and input kind is handled by an exhaustive switch; the
 * rules themselves live in the modules named after them.
 */
import type { DetectorApi } from "../detect/types.ts";
import type { Plan, Timeouts } from "../plan/types.ts";
import { actionFailed, actionLanded, applyingTick, recoverIntent } from "./apply.ts";
import { onCommand } from "./commands.ts";
import { rollbackTimeouts, type Step, stepAt } from "./cursor.ts";
import { addLocks, type Draft, draftOf, emit, finish, isTerminal, patchInternal } from "./draft.ts";
import { type GuardMode, runGuards } from "./guards.ts";
import { cursorOf, halt, isRollingBack } from "./halt.ts";
import { gateSensors, planIndex } from "./plan-index.ts";
import { prepareReadings } from "./readings.ts";
import { sealingTick } from "./sealing.ts";
import { sensorsToRead } from "./sensors-to-read.ts";
import { exceededTimeout } from "./timeouts.ts";
import type { Cursor, Input, OperationState, Phase, TransitionResult } from "./types.ts";
import { locksRefused, waitingTick } from "./waiting.ts";

type Tick = Extract<Input, { type: "Tick" }>;

function started(draft: Draft, atMs: number, plan: Plan): void {
  if (draft.phase.kind !== "pending") return;
  patchInternal(draft, { operationStartedAtMs: atMs });
  emit(draft, "OperationStarted", atMs, { plan: plan.name, domain: plan.domain, stages: plan.stages.length });
  draft.phase = {
    kind: "waiting",
    cursor: { track: "forward", index: 0 },
    reason: { code: "ready", message: "ready to start" },
    sinceMs: atMs,
  };
}

/** The cursor points outside the plan (an edited plan or a bug): the operation fails, releasing its locks. */
function failed(draft: Draft, cursor: Cursor, atMs: number, plan: Plan): void {
  const error = `${cursor.track} step ${cursor.index} is not in the plan`;
  draft.phase = { kind: "failed", atMs, error };
  emit(draft, "OperationFailed", atMs, { error });
  addLocks(draft, { leaveDomainQueue: plan.domain, releaseDomain: plan.domain, releaseClaims: true });
  draft.effects.push({ type: "ClearFreeze", domain: plan.domain });
}

function timeoutsOf(draft: Draft, phase: Phase, plan: Plan): Timeouts | undefined {
  const cursor = cursorOf(phase);
  if (cursor === undefined) return plan.stages[0]?.timeouts;
  if (cursor.track === "rollback") return rollbackTimeouts(plan, draft.applied.length);
  return plan.stages[cursor.index]?.timeouts;
}

function guardMode(phase: Phase): GuardMode {
  if (phase.kind === "halted") return "halted";
  return isRollingBack(phase) ? "rollback" : "enforce";
}

function tick(draft: Draft, input: Tick, plan: Plan, detector: DetectorApi, stepOf: (c: Cursor) => Step | undefined) {
  const phase = draft.phase;
  if (isTerminal(phase)) return;
  const { atMs } = input;
  const names = sensorsToRead(draft, plan);
  const prepared = prepareReadings(plan, names, input.readings, atMs, draft.internal);
  if (prepared.counters !== draft.internal.counters || prepared.blindSince !== draft.internal.blindSince) {
    patchInternal(draft, { counters: prepared.counters, blindSince: prepared.blindSince });
  }
  const guards = runGuards(draft, plan, prepared, atMs, guardMode(phase), timeoutsOf(draft, phase, plan), detector);
  if (guards.halt !== undefined) {
    halt(draft, guards.halt, atMs, plan);
    return;
  }
  if (phase.kind === "pending" || phase.kind === "halted") return;
  const step = stepOf(phase.cursor);
  if (step === undefined) {
    failed(draft, phase.cursor, atMs, plan);
    return;
  }
  switch (phase.kind) {
    case "waiting":
      waitingTick(draft, phase, step, input, plan, guards.steady);
      return;
    case "applying": {
      const timeout = exceededTimeout(step.timeouts, draft.internal, { atMs, stageName: step.name });
      if (timeout !== undefined) halt(draft, timeout, atMs, plan);
      else applyingTick(draft, phase, atMs);
      return;
    }
    case "sealing": {
      const sensors =
        phase.cursor.track === "forward"
          ? (planIndex(plan).stageGateSensors[phase.cursor.index] ?? [])
          : gateSensors(step.gates);
      sealingTick(draft, phase, step, input, prepared.readings, plan, sensors);
      return;
    }
    default: {
      const unreachable: never = phase;
      return unreachable;
    }
  }
}

/** Builds the transition function around a supercriticality detector. */
export function createTransition(detector: DetectorApi) {
  return function transition(state: OperationState, input: Input, plan: Plan): TransitionResult {
    const draft = draftOf(state);
    const stepOf = (cursor: Cursor) => stepAt(cursor, draft, plan);
    const phase = draft.phase;
    switch (input.type) {
      case "Started":
        started(draft, input.atMs, plan);
        break;
      case "Tick":
        tick(draft, input, plan, detector, stepOf);
        break;
      case "LocksRefused": {
        const step = phase.kind === "waiting" ? stepOf(phase.cursor) : undefined;
        if (phase.kind === "waiting" && step !== undefined) locksRefused(draft, phase, step, input);
        break;
      }
      case "ActionApplied": {
        const applying = phase.kind === "halted" ? phase.interrupted : phase;
        const step = applying.kind === "applying" ? stepOf(applying.cursor) : undefined;
        if (applying.kind === "applying" && step !== undefined) {
          actionLanded(draft, applying, step, input.atMs, plan, input.observation, false);
        }
        break;
      }
      case "ActionFailed": {
        const step = phase.kind === "applying" ? stepOf(phase.cursor) : undefined;
        if (phase.kind === "applying" && step !== undefined) actionFailed(draft, phase, step, input, plan);
        break;
      }
      case "TargetObserved": {
        const step = phase.kind === "applying" || phase.kind === "sealing" ? stepOf(phase.cursor) : undefined;
        if (step === undefined) break;
        if (input.purpose === "recover-intent" && phase.kind === "applying") {
          recoverIntent(draft, phase, step, input, plan);
        } else if (input.purpose === "drift-check" && phase.kind === "sealing" && phase.cursor.track === "forward") {
          const result = input.result;
          if (result.ok && (result.value.drift !== undefined || result.value.matches === false)) {
            const drift = result.value.drift ?? "the target no longer shows the applied action";
            halt(draft, { code: "drift", message: `target drifted: ${drift}`, evidence: { drift } }, input.atMs, plan);
          }
        }
        break;
      }
      case "Command":
        onCommand(draft, input.command, input.atMs, plan, stepOf);
        break;
      default: {
        const unreachable: never = input;
        return unreachable;
      }
    }
    return finish(draft);
  };
}
