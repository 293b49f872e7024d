/**
 * A transition's working copy: the next state's fields plus the events,
 * effects and lock changes collected so far. Local to one `transition()`
 * call (never shared), so mutating it keeps the engine pure; unchanged parts
 * of the state are shared with the input state, not copied.
 */
import type { NewEvent, OperationStatus } from "../store/store.ts";
import type { Json } from "../targets/target.ts";
import { type EngineInternal, readInternal } from "./internal.ts";
import type { Effect, OperationState, Phase, TransitionResult } from "./types.ts";

/** The mutable working copy of one transition. */
export interface Draft {
  readonly operationId: string;
  phase: Phase;
  applied: OperationState["applied"];
  rollbackSteps: OperationState["rollbackSteps"];
  gateChecks: OperationState["gateChecks"];
  stageTimes: OperationState["stageTimes"];
  internal: EngineInternal;
  readonly events: NewEvent[];
  readonly effects: Effect[];
  locks: NonNullable<TransitionResult["locks"]> | undefined;
}

/** Starts a draft from the current state. */
export function draftOf(state: OperationState): Draft {
  return {
    operationId: state.operationId,
    phase: state.phase,
    applied: state.applied,
    rollbackSteps: state.rollbackSteps,
    gateChecks: state.gateChecks,
    stageTimes: state.stageTimes,
    internal: readInternal(state.internal),
    events: [],
    effects: [],
    locks: undefined,
  };
}

/** Appends an event (past tense type, engine time). */
export function emit(draft: Draft, type: string, atMs: number, data: { readonly [key: string]: Json }): void {
  draft.events.push({ type, atMs, data });
}

/** Merges lock changes into the draft's (later calls add fields, they never remove them). */
export function addLocks(draft: Draft, locks: NonNullable<TransitionResult["locks"]>): void {
  draft.locks = draft.locks === undefined ? locks : { ...draft.locks, ...locks };
}

/** Replaces some internal fields. */
export function patchInternal(draft: Draft, patch: Partial<EngineInternal>): void {
  const current = draft.internal as Readonly<Record<string, unknown>>;
  for (const key in patch) {
    if ((patch as Readonly<Record<string, unknown>>)[key] !== current[key]) {
      draft.internal = { ...draft.internal, ...patch };
      return;
    }
  }
}

/** Sets the timing record of one forward stage. */
export function patchStageTimes(
  draft: Draft,
  index: number,
  patch: { startedAtMs?: number; appliedAtMs?: number; sealedAtMs?: number },
): void {
  const times = draft.stageTimes.slice();
  while (times.length <= index) times.push({});
  times[index] = { ...times[index], ...patch };
  draft.stageTimes = times;
}

/** The status column for a phase. */
export function statusOf(phase: Phase): OperationStatus {
  switch (phase.kind) {
    case "pending":
      return "pending";
    case "waiting":
    case "applying":
    case "sealing":
      return "running";
    case "halted":
      return "halted";
    case "completed":
    case "rolled_back":
    case "failed":
    case "abandoned":
      return phase.kind;
    default: {
      const unreachable: never = phase;
      return unreachable;
    }
  }
}

/** A phase after which the operation never acts again. */
export type TerminalPhase = Extract<Phase, { kind: "completed" | "rolled_back" | "failed" | "abandoned" }>;

/** True once the operation never acts again. */
export function isTerminal(phase: Phase): phase is TerminalPhase {
  const status = statusOf(phase);
  return status !== "pending" && status !== "running" && status !== "halted";
}

/** The transition's result; the state shares every unchanged part with the input state. */
export function finish(draft: Draft): TransitionResult {
  const state: OperationState = {
    operationId: draft.operationId,
    phase: draft.phase,
    applied: draft.applied,
    ...(draft.rollbackSteps === undefined ? {} : { rollbackSteps: draft.rollbackSteps }),
    gateChecks: draft.gateChecks,
    stageTimes: draft.stageTimes,
    internal: draft.internal,
  };
  return {
    state,
    events: draft.events,
    ...(draft.locks === undefined ? {} : { locks: draft.locks }),
    effects: draft.effects,
    status: statusOf(draft.phase),
  };
}
