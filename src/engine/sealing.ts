/**
 * The `sealing` phase: the action has landed; every gate of the stage (or
 * rollback step) is evaluated on each tick, and the stage seals only when
 * all hold at once. Sealing releases the domain lease; the next stage waits
 * for its own turn. Timeouts halt, never seal.
 */
import type { Plan } from "../plan/types.ts";
import type { Json } from "../targets/target.ts";
import { cursorData, type Step } from "./cursor.ts";
import { addLocks, type Draft, emit, patchInternal, patchStageTimes } from "./draft.ts";
import type { Readings } from "./evaluate.ts";
import { evaluateGates, gateWaitingDue } from "./gates.ts";
import { halt } from "./halt.ts";
import { finishRollback } from "./rollback.ts";
import { exceededTimeout } from "./timeouts.ts";
import type { GateCheck, Input, Phase } from "./types.ts";

type Sealing = Extract<Phase, { kind: "sealing" }>;
type Tick = Extract<Input, { type: "Tick" }>;

const READY = { code: "ready", message: "ready to start" } as const;

/** `displaced legacy requests 143 (want <= 0)`, for events and timeout messages. */
export function checkText(check: GateCheck): string {
  return `${check.label} ${check.observed} (want ${check.expected})`;
}

function checksJson(checks: readonly GateCheck[]): Json {
  return checks.map((c) => ({ gate: c.gate, label: c.label, observed: c.observed, expected: c.expected }));
}

/** One tick in `sealing`: evaluate the gates; seal, halt on a timeout, or say what is awaited. */
export function sealingTick(
  draft: Draft,
  phase: Sealing,
  step: Step,
  input: Tick,
  readings: Readings,
  plan: Plan,
  gateSensors: readonly string[],
): void {
  const { atMs } = input;
  const evaluation = evaluateGates(
    step.gates,
    readings,
    draft.internal.gates,
    {
      operationId: draft.operationId,
      stageName: step.name,
      atMs,
      appliedAtMs: phase.appliedAtMs,
      acks: input.world.acks,
    },
    draft.gateChecks,
  );
  draft.gateChecks = evaluation.checks;
  patchInternal(draft, { gates: evaluation.progress });
  if (evaluation.allHold) {
    seal(draft, phase, step, atMs, plan);
    return;
  }
  const failing = evaluation.checks.filter((c) => !c.ok);
  const firstCondition = failing.find((c) => c.gate !== "bake" && c.gate !== "confirmed");
  const timeout = exceededTimeout(step.timeouts, draft.internal, {
    atMs,
    stageName: step.name,
    conditionsHold: evaluation.conditionsHold,
    ...(firstCondition === undefined ? {} : { failing: checkText(firstCondition) }),
    gateSensors,
  });
  if (timeout !== undefined) {
    halt(draft, timeout, atMs, plan);
    return;
  }
  if (gateWaitingDue(draft.internal.gateWaiting, evaluation, atMs)) {
    emit(draft, "GateWaiting", atMs, { ...cursorData(phase.cursor, step), failing: checksJson(failing) });
    patchInternal(draft, { gateWaiting: { reasons: evaluation.reasons, values: evaluation.values, atMs } });
  }
}

/**
 * Seals the stage of `phase` at `atMs` and moves on: the next stage waits,
 * or the operation completes (or the rollback ends). `forced` records a
 * manual `advance` (actor and reason) and the gates it overrode.
 */
export function seal(
  draft: Draft,
  phase: Sealing,
  step: Step,
  atMs: number,
  plan: Plan,
  forced?: { readonly actor: string; readonly reason: string },
): void {
  const { cursor } = phase;
  const where = cursorData(cursor, step);
  const startedAtMs =
    (cursor.track === "forward" ? draft.stageTimes[cursor.index]?.startedAtMs : undefined) ??
    draft.internal.stageClockMs ??
    phase.appliedAtMs;
  if (forced !== undefined) {
    const overridden = draft.gateChecks.filter((c) => !c.ok);
    emit(draft, "StageForced", atMs, {
      ...where,
      actor: forced.actor,
      reason: forced.reason,
      overridden: checksJson(overridden),
    });
  }
  emit(draft, "StageSealed", atMs, {
    ...where,
    durationMs: atMs - startedAtMs,
    forced: forced !== undefined,
    gates: draft.gateChecks.map((c) => ({
      gate: c.gate,
      label: c.label,
      waitedMs: Math.max(0, c.sinceMs - phase.appliedAtMs),
    })),
  });
  addLocks(draft, { releaseDomain: plan.domain });
  draft.gateChecks = [];
  patchInternal(draft, { gates: {}, gateWaiting: null, stageClockMs: null, drainClockMs: null });
  const next = { track: cursor.track, index: cursor.index + 1 };
  if (cursor.track === "forward") {
    patchStageTimes(draft, cursor.index, { sealedAtMs: atMs });
    if (next.index < plan.stages.length) {
      draft.phase = { kind: "waiting", cursor: next, reason: READY, sinceMs: atMs };
      return;
    }
    draft.phase = { kind: "completed", atMs };
    const started = draft.internal.operationStartedAtMs ?? draft.stageTimes[0]?.startedAtMs ?? atMs;
    emit(draft, "OperationCompleted", atMs, { stages: plan.stages.length, durationMs: atMs - started });
    addLocks(draft, { releaseClaims: true });
    return;
  }
  if (next.index < (draft.rollbackSteps?.length ?? 0)) {
    draft.phase = { kind: "waiting", cursor: next, reason: READY, sinceMs: atMs };
    return;
  }
  finishRollback(draft, atMs, plan.domain);
}
