/**
 * The `waiting` phase: a stage (or rollback step) that has not started. A
 * forward stage starts only when no other party's freeze covers the domain,
 * a change window is open, the `after` operation has got far enough, and the
 * guards are steady; the store then decides the locks. Wait reasons are
 * recorded as events only when they change.
 */
import type { Plan } from "../plan/types.ts";
import { isInsideWindow, nextWindowOpenMs } from "../plan/windows.ts";
import type { Json } from "../targets/target.ts";
import { cursorData, type Step } from "./cursor.ts";
import { type Draft, emit, patchInternal } from "./draft.ts";
import { halt } from "./halt.ts";
import { proposeStart } from "./stage-start.ts";
import type { Input, Phase, WaitReason, WorldFacts } from "./types.ts";

type Waiting = Extract<Phase, { kind: "waiting" }>;
type Tick = Extract<Input, { type: "Tick" }>;
type LocksRefused = Extract<Input, { type: "LocksRefused" }>;

const READY: WaitReason = { code: "ready", message: "ready to start" };

/** Replaces the wait reason; records `eventType` only when code or message changed. */
function setReason(draft: Draft, phase: Waiting, step: Step, reason: WaitReason, atMs: number, eventType?: string) {
  if (phase.reason.code === reason.code && phase.reason.message === reason.message) return;
  draft.phase = { ...phase, reason };
  if (eventType === undefined) return;
  const blockedBy = "blockedBy" in reason && reason.blockedBy !== undefined ? { blockedBy: reason.blockedBy } : {};
  emit(draft, eventType, atMs, {
    ...cursorData(phase.cursor, step),
    code: reason.code,
    message: reason.message,
    ...blockedBy,
  });
}

function windowReason(plan: Plan, atMs: number): WaitReason | undefined {
  if (plan.windows.length === 0 || isInsideWindow(plan.windows, atMs)) return undefined;
  const nextOpenMs = nextWindowOpenMs(plan.windows, atMs);
  if (nextOpenMs === undefined) return { code: "window", message: "outside the change windows; none ever opens" };
  return {
    code: "window",
    message: `outside the change windows; next opens ${new Date(nextOpenMs).toISOString()}`,
    nextOpenMs,
  };
}

function afterReason(plan: Plan, world: WorldFacts): WaitReason | undefined {
  const after = plan.after;
  if (after === undefined) return undefined;
  const facts = world.after;
  if (facts?.status === "completed") return undefined;
  if (after.stage !== undefined && facts?.sealedStages.includes(after.stage)) return undefined;
  const goal = after.stage === undefined ? "complete" : `seal stage ${after.stage}`;
  const seen = facts === undefined || !facts.found ? "not found" : (facts.status ?? "unknown");
  return { code: "after", message: `waiting for operation ${after.operation} to ${goal} (${seen})` };
}

/**
 * One tick in `waiting`. `guardsSteady` comes from this tick's guard run: a
 * forward stage is proposed only on a tick whose guard data needs no keeping
 * (every guard passing, nothing blind, no count changed) and not right after
 * a refusal, because a refused proposal is discarded with everything in it.
 */
export function waitingTick(draft: Draft, phase: Waiting, step: Step, input: Tick, plan: Plan, guardsSteady: boolean) {
  const { atMs, world } = input;
  if (phase.cursor.track === "rollback") {
    proposeStart(draft, phase.cursor, step, atMs, plan);
    return;
  }
  const frozen = world.freezes.find(
    (f) => (f.domain === plan.domain || f.domain === "*") && f.setBy !== draft.operationId,
  );
  if (frozen !== undefined) {
    const evidence: Json = { domain: frozen.domain, setBy: frozen.setBy, reason: frozen.reason };
    const message = `domain ${frozen.domain} frozen by ${frozen.setBy}: ${frozen.reason}`;
    halt(draft, { code: "domain-frozen", message, evidence }, atMs, plan);
    return;
  }
  const blocked = windowReason(plan, atMs) ?? afterReason(plan, world);
  if (blocked !== undefined) {
    setReason(draft, phase, step, blocked, atMs, "StageWaiting");
    return;
  }
  if (!guardsSteady || draft.internal.refusedAtMs !== null) {
    if (draft.internal.refusedAtMs !== null) patchInternal(draft, { refusedAtMs: null });
    if (phase.reason.code === "window" || phase.reason.code === "after") setReason(draft, phase, step, READY, atMs);
    return;
  }
  proposeStart(draft, phase.cursor, step, atMs, plan);
}

/** The store refused the proposed locks: stay waiting, queued, saying why (an event only when that changed). */
export function locksRefused(draft: Draft, phase: Waiting, step: Step, input: LocksRefused): void {
  const message = input.message.startsWith("queued") ? input.message : `queued: ${input.message}`;
  const reason: WaitReason =
    input.blockedBy === undefined
      ? { code: input.code, message }
      : { code: input.code, message, blockedBy: input.blockedBy };
  setReason(draft, phase, step, reason, input.atMs, "StageQueued");
  patchInternal(draft, { refusedAtMs: input.atMs });
}
