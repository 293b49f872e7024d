/**
 * Contract of the pure engine: `transition(state, input, plan)` in
 * `engine/transition.ts` (no I/O, no clock, no randomness; inputs carry
 * timestamps) and the impure runner in `engine/runner.ts`, which performs the
 * effects and feeds their results back as inputs.
 */
import type { Plan } from "../plan/types.ts";
import type { Reading } from "../sensors/sensor.ts";
import type { Ack, Freeze, LockChanges, NewEvent, OperationStatus, StoredCommand } from "../store/store.ts";
import type { ActionSpec, Json, Observation, RollbackStep, TargetResult } from "../targets/target.ts";

/** Where the operation is in its plan: a forward stage, or a rollback step. */
export interface Cursor {
  readonly track: "forward" | "rollback";
  /** Index into `plan.stages` (forward) or `state.rollbackSteps` (rollback). */
  readonly index: number;
}

/** A recorded intent to apply one action; its key is reused on every retry. */
export interface Intent {
  readonly idempotencyKey: string;
  readonly action: ActionSpec;
  readonly intendedAtMs: number;
  /** Apply attempts so far (retries after retryable failures or a crash). */
  readonly attempts: number;
}

/** Why a stage (or rollback step) has not started yet. */
export type WaitReason =
  | { readonly code: "window"; readonly message: string; readonly nextOpenMs?: number }
  | { readonly code: "after"; readonly message: string }
  | { readonly code: "domain-busy"; readonly message: string; readonly blockedBy?: Json }
  | { readonly code: "claim-conflict"; readonly message: string; readonly blockedBy?: Json }
  | { readonly code: "ready"; readonly message: string };

/** Why an operation halted. `evidence` holds detector/guard details. */
export interface HaltReason {
  /** `guard`, `supercriticality`, `timeout-stage`, `timeout-drain`, `sensor-blind`, `drift`, `action-failed`, `manual`, `domain-frozen`, `lease-lost` ... */
  readonly code: string;
  /** One readable line: "halted: v2-b errors 14/28 (50%) vs fleet 1.9%, ratio 26×, score 9.1 > 7.6". */
  readonly message: string;
  readonly evidence?: Json;
}

/** The operation's phase: a discriminated union handled by exhaustive switches. */
export type Phase =
  | { readonly kind: "pending" }
  | { readonly kind: "waiting"; readonly cursor: Cursor; readonly reason: WaitReason; readonly sinceMs: number }
  | { readonly kind: "applying"; readonly cursor: Cursor; readonly intent: Intent }
  | { readonly kind: "sealing"; readonly cursor: Cursor; readonly intent: Intent; readonly appliedAtMs: number }
  | {
      readonly kind: "halted";
      readonly reason: HaltReason;
      readonly sinceMs: number;
      /** The phase to return to on `resume` (never skips a gate). */
      readonly interrupted: Phase;
    }
  | { readonly kind: "completed"; readonly atMs: number }
  | { readonly kind: "rolled_back"; readonly atMs: number; readonly stoppedAt?: string }
  | { readonly kind: "failed"; readonly atMs: number; readonly error: string }
  | { readonly kind: "abandoned"; readonly atMs: number; readonly reason: string };

/** Result of evaluating one gate condition, for explanations ("legacy sessions 143 > 50 for 12s"). */
export interface GateCheck {
  readonly gate: string;
  readonly label: string;
  readonly ok: boolean;
  /** Observed value(s) as text, or the reading's error. */
  readonly observed: string;
  /** e.g. "<= 0". */
  readonly expected: string;
  /** Since when the check has had its current outcome. */
  readonly sinceMs: number;
}

/**
 * The operation's whole state: plain JSON, persisted with every commit.
 * `internal` belongs to `transition()` (guard/detector state, counter
 * baselines, gate progress); other modules read only the named fields.
 */
export interface OperationState {
  readonly operationId: string;
  readonly phase: Phase;
  /** Actions applied so far on the forward track, oldest first (input to rollback planning). */
  readonly applied: readonly ActionSpec[];
  /** Set when a rollback starts; plain data from the target definition. */
  readonly rollbackSteps?: readonly RollbackStep[];
  /** Latest gate checks of the current stage/step. */
  readonly gateChecks: readonly GateCheck[];
  /** Per-stage timing, by stage index (forward track). */
  readonly stageTimes: readonly {
    readonly startedAtMs?: number;
    readonly appliedAtMs?: number;
    readonly sealedAtMs?: number;
  }[];
  readonly internal: Json;
}

/** Facts about the world beyond sensors, gathered by the runner each tick. */
export interface WorldFacts {
  /** Unexpired freezes for this operation's domain and `*`. */
  readonly freezes: readonly Freeze[];
  readonly acks: readonly Ack[];
  /** Status of the operation named in `plan.after`, if any: its status and the stages it has sealed. */
  readonly after?: {
    readonly found: boolean;
    readonly status?: OperationStatus;
    readonly sealedStages: readonly string[];
  };
}

/** Everything that can happen to an operation. Every input carries its time. */
export type Input =
  | { readonly type: "Started"; readonly atMs: number }
  | {
      readonly type: "Tick";
      readonly atMs: number;
      /** Raw readings by sensor name (plan sensors and `target.<name>`). */
      readonly readings: Readonly<Record<string, Reading>>;
      readonly world: WorldFacts;
    }
  | {
      readonly type: "LocksRefused";
      readonly atMs: number;
      readonly code: "domain-busy" | "claim-conflict";
      readonly message: string;
      readonly blockedBy?: Json;
    }
  | { readonly type: "ActionApplied"; readonly atMs: number; readonly observation?: Observation }
  | {
      readonly type: "ActionFailed";
      readonly atMs: number;
      readonly code: string;
      readonly message: string;
      readonly retryable: boolean;
    }
  | {
      readonly type: "TargetObserved";
      readonly atMs: number;
      readonly purpose: ObservePurpose;
      readonly result: TargetResult<Observation>;
    }
  | { readonly type: "Command"; readonly atMs: number; readonly command: StoredCommand };

/** Why the engine asks to observe the target. */
export type ObservePurpose = "recover-intent" | "drift-check";

/** Commands for the runner. Effects are imperatives. */
export type Effect =
  | { readonly type: "ApplyAction"; readonly cursor: Cursor; readonly intent: Intent }
  | {
      readonly type: "ObserveTarget";
      readonly purpose: ObservePurpose;
      readonly expected?: Intent;
      readonly cursor?: Cursor;
    }
  | { readonly type: "SetFreeze"; readonly domain: string; readonly reason: string }
  | { readonly type: "ClearFreeze"; readonly domain: string };

/**
 * Output of one transition. The runner commits `state`, `events`, `locks`
 * and `consumedCommandIds` in one store transaction (fenced by its runner
 * lease) and only then performs `effects`. If the store refuses the locks,
 * the runner discards this result and feeds `LocksRefused` to the old state.
 */
export interface TransitionResult {
  readonly state: OperationState;
  readonly events: readonly NewEvent[];
  readonly locks?: LockChanges;
  readonly effects: readonly Effect[];
  readonly status: OperationStatus;
}

/** The pure engine's functions, implemented in `engine/transition.ts` and friends. */
export interface EngineApi {
  initialState(operationId: string, plan: Plan): OperationState;
  transition(state: OperationState, input: Input, plan: Plan): TransitionResult;
  /** Sensor names the next Tick needs (guards always; gates of the current stage/step). */
  sensorsToRead(state: OperationState, plan: Plan): readonly string[];
  /** One line for humans: "stage 2/4 weight 25%: waiting — displaced legacy requests 143 > 0 for 12s". */
  explain(state: OperationState, plan: Plan, nowMs: number): string;
}
