/**
 * Rollback, and its hand-off with the runner. `transition()` cannot reach the
 * target registry, so rollback steps always arrive as data: the runner calls
 * the target definition's `rollback(state.applied, config)` and delivers the
 * steps in a `rollback` command (`data.steps`, `data.stopsAt`) — for a manual
 * rollback, and, after a halt with `onHalt: rollback` (event
 * `RollbackRequested`), as a synthetic command from actor `airlock`.
 *
 * The steps run in the given order on the `rollback` track: each takes the
 * domain lease with priority `rollback`, applies its action and seals on its
 * own gates before the next starts. Guards only record meanwhile; timeouts
 * halt (a stuck rollback needs a human).
 */
import type { Plan } from "../plan/types.ts";
import type { StoredCommand } from "../store/store.ts";
import type { Json, RollbackStep } from "../targets/target.ts";
import { addLocks, type Draft, emit, patchInternal } from "./draft.ts";
import { readInternal } from "./internal.ts";
import type { OperationState } from "./types.ts";

function isObject(value: unknown): value is { readonly [key: string]: unknown } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isRollbackStep(value: unknown): value is RollbackStep {
  if (!isObject(value) || typeof value.name !== "string" || !isObject(value.gates)) return false;
  const action = value.action;
  return isObject(action) && typeof action.type === "string" && isObject(action.params);
}

/** The steps carried by a `rollback` command, or why they are unusable. */
export function rollbackPlanOf(
  data: Json,
): { readonly steps: readonly RollbackStep[]; readonly stopsAt: string | null } | { readonly error: string } {
  if (!isObject(data) || !Array.isArray(data.steps)) {
    return { error: "rollback command carries no steps (the runner fills data.steps from the target definition)" };
  }
  const steps: unknown[] = data.steps;
  if (!steps.every(isRollbackStep)) return { error: "rollback command has a malformed step" };
  return { steps, stopsAt: typeof data.stopsAt === "string" ? data.stopsAt : null };
}

/**
 * True when a halt asked for rollback steps and none have arrived yet: a
 * runner that restarts on this state must deliver the `rollback` command
 * (with steps) again.
 */
export function rollbackRequested(state: OperationState): boolean {
  return state.phase.kind === "halted" && readInternal(state.internal).rollbackRequested;
}

/** Starts rolling back with `steps` (in order), from any live phase. */
export function startRollback(
  draft: Draft,
  command: StoredCommand,
  plan: { readonly steps: readonly RollbackStep[]; readonly stopsAt: string | null },
  atMs: number,
  domain: Plan["domain"],
): void {
  const from = draft.phase;
  if (from.kind === "waiting") addLocks(draft, { leaveDomainQueue: domain });
  draft.rollbackSteps = plan.steps;
  draft.gateChecks = [];
  patchInternal(draft, {
    rollbackRequested: false,
    rollbackStopsAt: plan.stopsAt,
    rollbackStartedAtMs: atMs,
    nextAttemptAtMs: null,
    gates: {},
    gateWaiting: null,
    stageClockMs: null,
    drainClockMs: null,
    blindSince: {},
  });
  emit(draft, "RollbackStarted", atMs, {
    actor: command.actor,
    reason: command.reason,
    from: from.kind === "halted" ? from.interrupted.kind : from.kind,
    steps: plan.steps.map((s) => s.name),
    stopsAt: plan.stopsAt,
  });
  draft.effects.push({ type: "SetFreeze", domain, reason: `rolling back: ${command.reason}` });
  if (plan.steps.length === 0) {
    finishRollback(draft, atMs, domain);
    return;
  }
  draft.phase = {
    kind: "waiting",
    cursor: { track: "rollback", index: 0 },
    reason: { code: "ready", message: "ready to roll back" },
    sinceMs: atMs,
  };
}

/** The last step sealed (or there were none): rolled back; every lock released and the freeze cleared. */
export function finishRollback(draft: Draft, atMs: number, domain: Plan["domain"]): void {
  const stopsAt = draft.internal.rollbackStopsAt;
  draft.phase = stopsAt === null ? { kind: "rolled_back", atMs } : { kind: "rolled_back", atMs, stoppedAt: stopsAt };
  emit(draft, "RolledBack", atMs, {
    steps: draft.rollbackSteps?.length ?? 0,
    durationMs: atMs - (draft.internal.rollbackStartedAtMs ?? atMs),
    stoppedAt: stopsAt,
  });
  addLocks(draft, { releaseDomain: domain, releaseClaims: true });
  draft.effects.push({ type: "ClearFreeze", domain });
}
