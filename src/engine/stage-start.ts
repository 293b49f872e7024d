/**
 * Proposing the start of a stage (or rollback step): a new intent with a
 * deterministic idempotency key, the domain lease and the target claims to
 * take in the same commit, and the apply. If the store refuses the locks,
 * the runner discards this proposal and feeds `LocksRefused` to the old state.
 */
import type { Plan } from "../plan/types.ts";
import { cursorData, cursorKey, type Step } from "./cursor.ts";
import { addLocks, type Draft, emit, patchInternal, patchStageTimes } from "./draft.ts";
import type { Cursor, Intent } from "./types.ts";

/** The idempotency key of the n-th intent at a cursor: `${operationId}:${track}:${index}:${n}`. */
export function idempotencyKey(operationId: string, cursor: Cursor, n: number): string {
  return `${operationId}:${cursor.track}:${cursor.index}:${n}`;
}

/** Moves the draft to `applying` with a new intent, proposing locks and the apply. */
export function proposeStart(draft: Draft, cursor: Cursor, step: Step, atMs: number, plan: Plan): void {
  const key = cursorKey(cursor);
  const n = draft.internal.intents[key] ?? 0;
  const intent: Intent = {
    idempotencyKey: idempotencyKey(draft.operationId, cursor, n),
    action: step.action,
    intendedAtMs: atMs,
    attempts: 1,
  };
  const priority = cursor.track === "forward" ? "normal" : "rollback";
  draft.phase = { kind: "applying", cursor, intent };
  draft.gateChecks = [];
  patchInternal(draft, {
    intents: { ...draft.internal.intents, [key]: n + 1 },
    stageClockMs: atMs,
    drainClockMs: null,
    gates: {},
    gateWaiting: null,
    nextAttemptAtMs: null,
    refusedAtMs: null,
  });
  if (cursor.track === "forward") patchStageTimes(draft, cursor.index, { startedAtMs: atMs });
  const where = cursorData(cursor, step);
  emit(draft, "StageStarted", atMs, { ...where, priority });
  emit(draft, "ActionIntended", atMs, {
    ...where,
    idempotencyKey: intent.idempotencyKey,
    action: { type: step.action.type, params: step.action.params },
    attempt: intent.attempts,
  });
  addLocks(draft, {
    acquireDomain: { domain: plan.domain, stage: step.name, priority },
    ...(plan.claims.length === 0 ? {} : { acquireClaims: plan.claims }),
  });
  draft.effects.push({ type: "ApplyAction", cursor, intent });
}
