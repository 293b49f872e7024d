/**
 * Threshold guards with Argo semantics: every failed evaluation counts; the
 * guard is breached when failures exceed `failureLimit` or consecutive
 * failures exceed `consecutiveFailureLimit`. A sensor error is not a failure
 * (it counts toward sensor blindness instead) and does not break a streak.
 */
import type { ThresholdGuard } from "../plan/types.ts";
import type { Json } from "../targets/target.ts";
import { type ConditionResult, conditionLabel, evaluateCondition, expectedText, type Readings } from "./evaluate.ts";
import type { ThresholdGuardState } from "./internal.ts";

const INITIAL: ThresholdGuardState = {
  failures: 0,
  consecutiveFailures: 0,
  last: null,
  erroringSinceMs: null,
  breached: false,
};

/** One evaluation of a threshold guard. */
export interface ThresholdGuardStep {
  readonly state: ThresholdGuardState;
  readonly result: ConditionResult;
  /** The limits are exceeded (now or earlier). */
  readonly breach: boolean;
}

/** True when the counts exceed the guard's limits. */
function exceeded(guard: ThresholdGuard, state: ThresholdGuardState): boolean {
  if (state.failures > guard.failureLimit) return true;
  return guard.consecutiveFailureLimit !== undefined && state.consecutiveFailures > guard.consecutiveFailureLimit;
}

/** Evaluates the guard's condition once and counts the outcome. Shares `previous` when nothing changed. */
export function stepThresholdGuard(
  guard: ThresholdGuard,
  previous: ThresholdGuardState | undefined,
  readings: Readings,
  atMs: number,
): ThresholdGuardStep {
  const before = previous ?? INITIAL;
  const result = evaluateCondition(guard.condition, readings);
  let state: ThresholdGuardState;
  if (result.kind === "fail") {
    state = {
      ...before,
      failures: before.failures + 1,
      consecutiveFailures: before.consecutiveFailures + 1,
      last: "fail",
    };
  } else if (result.kind === "pass") {
    state =
      before.last === "pass" && before.consecutiveFailures === 0
        ? before
        : { ...before, consecutiveFailures: 0, last: "pass" };
  } else {
    state = before.last === "error" ? before : { ...before, last: "error", erroringSinceMs: atMs };
  }
  const breach = exceeded(guard, state);
  if (breach && !state.breached) state = { ...state, breached: true };
  return { state, result, breach };
}

/** Event and halt data describing a threshold guard's latest evaluation. */
export function thresholdGuardData(
  guard: ThresholdGuard,
  step: ThresholdGuardStep,
): { readonly message: string; readonly evidence: { readonly [key: string]: Json } } {
  const { condition, failureLimit, consecutiveFailureLimit } = guard;
  const { failures, consecutiveFailures } = step.state;
  const limits =
    consecutiveFailureLimit === undefined
      ? `${failures} failures, limit ${failureLimit}`
      : `${failures} failures (${consecutiveFailures} in a row), limits ${failureLimit}/${consecutiveFailureLimit}`;
  return {
    message: `guard ${guard.name}: ${conditionLabel(condition)} ${step.result.observed}, expected ${expectedText(condition)} (${limits})`,
    evidence: {
      guard: guard.name,
      observed: step.result.observed,
      expected: expectedText(condition),
      failures,
      consecutiveFailures,
      failureLimit,
      consecutiveFailureLimit: consecutiveFailureLimit ?? null,
    },
  };
}
