/**
 * The `applying` phase: the intent is committed and the runner applies it.
 * Success moves to `sealing`; a retryable failure waits with exponential
 * backoff and retries under the same idempotency key; a permanent failure
 * halts. After a restart the runner observes the target: an intent the
 * target shows as landed counts as applied, otherwise it is applied again
 * under the same key (harmless: targets are idempotent).
 */
import type { Plan } from "../plan/types.ts";
import type { Observation } from "../targets/target.ts";
import { cursorData, type Step } from "./cursor.ts";
import { type Draft, emit, patchInternal, patchStageTimes } from "./draft.ts";
import { formatDuration } from "./format.ts";
import { halt } from "./halt.ts";
import type { Input, Phase } from "./types.ts";

type Applying = Extract<Phase, { kind: "applying" }>;

/** Longest wait between retries of a failed apply. */
export const MAX_RETRY_BACKOFF_MS = 60_000;

/** Backoff after the n-th failed attempt: the plan's interval, doubling, at most a minute. */
export function retryBackoffMs(plan: Plan, failedAttempts: number): number {
  return Math.min(plan.intervalMs * 2 ** Math.max(0, failedAttempts - 1), MAX_RETRY_BACKOFF_MS);
}

function observationData(observation: Observation | undefined) {
  if (observation === undefined) return {};
  return {
    observation: { observedAtMs: observation.observedAtMs, state: observation.state, matches: observation.matches },
  };
}

/**
 * The action of `phase` landed at `atMs`: record it and move to `sealing`.
 * Forward actions join `applied` (the input to rollback planning). Drift on
 * the forward track halts; during a rollback it is only recorded.
 */
export function actionLanded(
  draft: Draft,
  phase: Applying,
  step: Step,
  atMs: number,
  plan: Plan,
  observation: Observation | undefined,
  recovered: boolean,
): void {
  const { cursor, intent } = phase;
  const sealing: Phase = { kind: "sealing", cursor, intent, appliedAtMs: atMs };
  emit(draft, "ActionApplied", atMs, {
    ...cursorData(cursor, step),
    idempotencyKey: intent.idempotencyKey,
    attempt: intent.attempts,
    recovered,
    ...observationData(observation),
  });
  if (cursor.track === "forward") {
    draft.applied = [...draft.applied, intent.action];
    patchStageTimes(draft, cursor.index, { appliedAtMs: atMs });
  }
  patchInternal(draft, { drainClockMs: atMs, nextAttemptAtMs: null });
  const drift = observation?.drift;
  if (draft.phase.kind === "halted") {
    // The result of an apply that was in flight when the operation halted: resume continues from sealing.
    draft.phase = { ...draft.phase, interrupted: sealing };
    return;
  }
  draft.phase = sealing;
  if (drift === undefined) return;
  if (cursor.track === "rollback") {
    emit(draft, "DriftObserved", atMs, { ...cursorData(cursor, step), drift });
    return;
  }
  halt(draft, { code: "drift", message: `target drifted: ${drift}`, evidence: { drift } }, atMs, plan);
}

/** The apply failed: retry later under the same key, or halt when the failure is permanent. */
export function actionFailed(
  draft: Draft,
  phase: Applying,
  step: Step,
  input: Extract<Input, { type: "ActionFailed" }>,
  plan: Plan,
): void {
  const { cursor, intent } = phase;
  const where = cursorData(cursor, step);
  if (!input.retryable) {
    const message = `action ${intent.action.type} of ${step.name} failed: ${input.code}: ${input.message}`;
    const evidence = { ...where, code: input.code, message: input.message, attempt: intent.attempts };
    halt(draft, { code: "action-failed", message, evidence }, input.atMs, plan);
    return;
  }
  const retryAtMs = input.atMs + retryBackoffMs(plan, intent.attempts);
  draft.phase = { ...phase, intent: { ...intent, attempts: intent.attempts + 1 } };
  patchInternal(draft, { nextAttemptAtMs: retryAtMs });
  emit(draft, "ActionRetried", input.atMs, {
    ...where,
    idempotencyKey: intent.idempotencyKey,
    failedAttempt: intent.attempts,
    code: input.code,
    message: input.message,
    retryAtMs,
    retryInMs: retryAtMs - input.atMs,
  });
}

/** A tick in `applying`: re-issue the apply once a retry's backoff has passed. */
export function applyingTick(draft: Draft, phase: Applying, atMs: number): void {
  const dueMs = draft.internal.nextAttemptAtMs;
  if (dueMs === null || atMs < dueMs) return;
  patchInternal(draft, { nextAttemptAtMs: null });
  draft.effects.push({ type: "ApplyAction", cursor: phase.cursor, intent: phase.intent });
}

/**
 * The runner observed the target to recover an intent (after a restart or a
 * resume): `matches === true` counts as applied; `false`, `"unknown"` or a
 * failed observation re-applies the same intent.
 */
export function recoverIntent(
  draft: Draft,
  phase: Applying,
  step: Step,
  input: Extract<Input, { type: "TargetObserved" }>,
  plan: Plan,
): void {
  const { result, atMs } = input;
  if (result.ok && result.value.matches === true) {
    actionLanded(draft, phase, step, atMs, plan, result.value, true);
    return;
  }
  const intent = { ...phase.intent, attempts: phase.intent.attempts + 1 };
  draft.phase = { ...phase, intent };
  patchInternal(draft, { nextAttemptAtMs: null });
  emit(draft, "ActionReapplied", atMs, {
    ...cursorData(phase.cursor, step),
    idempotencyKey: intent.idempotencyKey,
    attempt: intent.attempts,
    observed: result.ok ? String(result.value.matches) : `observe failed: ${result.code}: ${result.message}`,
  });
  draft.effects.push({ type: "ApplyAction", cursor: phase.cursor, intent });
}

/** Text for a retry that is waiting: `retry in 4s`. */
export function retryText(nextAttemptAtMs: number | null, nowMs: number): string {
  return nextAttemptAtMs === null ? "" : `, retry in ${formatDuration(Math.max(0, nextAttemptAtMs - nowMs))}`;
}
