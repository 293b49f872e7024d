/**
 * Halting: the operation stops acting at once. The phase it interrupted is
 * kept for `resume` (which never skips a gate); the domain is frozen (except
 * when the halt is itself caused by another party's freeze, so that two
 * halted operations never keep each other frozen); a queued operation leaves
 * the domain queue, while one mid-stage keeps the domain lease because its
 * stage is still in transition. With `onHalt: rollback` the runner is asked
 * for rollback steps (see `rollback.ts`).
 */
import type { Plan } from "../plan/types.ts";
import type { Json } from "../targets/target.ts";
import { addLocks, type Draft, emit, isTerminal, patchInternal } from "./draft.ts";
import type { Cursor, HaltReason, OperationState, Phase } from "./types.ts";

/** The cursor of a phase that has one. */
export function cursorOf(phase: Phase): Cursor | undefined {
  switch (phase.kind) {
    case "waiting":
    case "applying":
    case "sealing":
      return phase.cursor;
    case "halted":
      return cursorOf(phase.interrupted);
    default:
      return undefined;
  }
}

/** True while the operation rolls back (or is halted during its rollback). */
export function isRollingBack(phase: Phase): boolean {
  return cursorOf(phase)?.track === "rollback";
}

/** Halt codes that never start an automatic rollback: a person decided, or another operation's freeze. */
const NO_AUTO_ROLLBACK: ReadonlySet<string> = new Set(["manual", "domain-frozen"]);

/**
 * Halts the draft's operation (no-op when already halted or over). `extra`
 * is added to the `Halted` event (a manual halt's actor and reason).
 */
export function halt(
  draft: Draft,
  reason: HaltReason,
  atMs: number,
  plan: Plan,
  extra: { readonly [key: string]: Json } = {},
): void {
  const phase = draft.phase;
  if (phase.kind === "halted" || isTerminal(phase)) return;
  draft.phase = { kind: "halted", reason, sinceMs: atMs, interrupted: phase };
  const cursor = cursorOf(phase);
  emit(draft, "Halted", atMs, {
    code: reason.code,
    message: reason.message,
    evidence: reason.evidence ?? null,
    interrupted: phase.kind,
    track: cursor?.track ?? null,
    index: cursor?.index ?? null,
    ...extra,
  });
  if (reason.code !== "domain-frozen") {
    draft.effects.push({ type: "SetFreeze", domain: plan.domain, reason: reason.message });
  }
  if (phase.kind === "waiting") addLocks(draft, { leaveDomainQueue: plan.domain });
  patchInternal(draft, { nextAttemptAtMs: null });
  if (plan.onHalt === "rollback" && !NO_AUTO_ROLLBACK.has(reason.code) && cursor?.track !== "rollback") {
    emit(draft, "RollbackRequested", atMs, { code: reason.code, applied: draft.applied.length });
    patchInternal(draft, { rollbackRequested: true });
  }
}

/**
 * True while this operation holds a freeze on its domain — halted (except by
 * another party's freeze, or two halted operations would keep each other
 * frozen) or rolling back. The runner renews the freeze exactly then.
 */
export function holdsFreeze(state: OperationState): boolean {
  const phase = state.phase;
  return isRollingBack(phase) || (phase.kind === "halted" && phase.reason.code !== "domain-frozen");
}
