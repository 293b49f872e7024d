/**
 * Gate evaluation for the current stage or rollback step: every condition
 * gate (with `consecutive` passes in a row), `bake` (minimum time since the
 * action) and `confirmed` (acks from every named party). All must hold at
 * once for the stage to seal. Failures explain themselves as GateChecks.
 */
import type { Condition, GatesSpec } from "../plan/types.ts";
import type { Ack } from "../store/store.ts";
import { conditionLabel, evaluateCondition, expectedText, type Readings } from "./evaluate.ts";
import { formatDuration } from "./format.ts";
import type { EngineInternal, GateProgress, GateWaitingMark } from "./internal.ts";
import type { GateCheck } from "./types.ts";

/** `GateWaiting` is re-emitted for changed values (same reasons) at most this often. */
export const GATE_WAITING_MIN_INTERVAL_MS = 10_000;

/** Result of evaluating a stage's gates at one tick. */
export interface GateEvaluation {
  readonly checks: readonly GateCheck[];
  /** Every gate holds: the stage may seal. */
  readonly allHold: boolean;
  /** Every condition gate holds (the drain timeout runs while one does not). */
  readonly conditionsHold: boolean;
  readonly progress: EngineInternal["gates"];
  /** Failing gates and why (error code, threshold, streak), for de-duplicating `GateWaiting`. */
  readonly reasons: string;
  /** Failing gates' observed values. */
  readonly values: string;
}

/** What a gate evaluation needs besides readings. */
export interface GateContext {
  readonly operationId: string;
  readonly stageName: string;
  readonly atMs: number;
  readonly appliedAtMs: number;
  readonly acks: readonly Ack[];
}

function progressed(previous: GateProgress | undefined, ok: boolean, passes: number, atMs: number): GateProgress {
  if (previous !== undefined && previous.ok === ok && previous.passes === passes) return previous;
  return { passes, ok, sinceMs: previous !== undefined && previous.ok === ok ? previous.sinceMs : atMs };
}

/** A condition gate with everything that does not change between ticks worked out once. */
interface CompiledCondition {
  readonly gate: string;
  readonly key: string;
  readonly condition: Condition;
  readonly label: string;
  readonly expected: string;
  readonly required: number;
}

/** Per gates spec (plans are immutable once loaded): its conditions compiled. */
const compiled = new WeakMap<GatesSpec, readonly CompiledCondition[]>();

function compile(gates: GatesSpec): readonly CompiledCondition[] {
  let list = compiled.get(gates);
  if (list === undefined) {
    list = Object.entries(gates.conditions ?? {}).flatMap(([gate, conditions]) =>
      (conditions ?? []).map((condition, i) => ({
        gate,
        key: `${gate}.${i}`,
        condition,
        label: conditionLabel(condition),
        expected: expectedText(condition),
        required: Math.max(1, condition.consecutive),
      })),
    );
    compiled.set(gates, list);
  }
  return list;
}

/** `previous` itself when `check` says the same, so unchanged checks are shared between ticks' states. */
function reuse(previous: GateCheck | undefined, check: GateCheck): GateCheck {
  return previous !== undefined &&
    previous.gate === check.gate &&
    previous.label === check.label &&
    previous.ok === check.ok &&
    previous.observed === check.observed &&
    previous.expected === check.expected &&
    previous.sinceMs === check.sinceMs
    ? previous
    : check;
}

/**
 * Evaluates every gate of `gates`; `progress` carries consecutive-pass counts
 * between ticks. `previousChecks` (the last tick's, optional) lets unchanged
 * checks be shared instead of copied. Pure.
 */
export function evaluateGates(
  gates: GatesSpec,
  readings: Readings,
  progress: EngineInternal["gates"],
  ctx: GateContext,
  previousChecks: readonly GateCheck[] = [],
): GateEvaluation {
  const checks: GateCheck[] = [];
  const next: Record<string, GateProgress> = {};
  const reasons: string[] = [];
  const values: string[] = [];
  let conditionsHold = true;
  let progressChanged = false;
  for (const { gate, key, condition, label, expected, required } of compile(gates)) {
    const result = evaluateCondition(condition, readings);
    const previous = progress[key];
    // Counted up to what is required: beyond it the streak says nothing more, and the progress stays shared.
    const passes = result.kind === "pass" ? Math.min(required, (previous?.passes ?? 0) + 1) : 0;
    const ok = passes >= required;
    const state = progressed(previous, ok, passes, ctx.atMs);
    if (state !== previous) progressChanged = true;
    next[key] = state;
    const streak = result.kind === "pass" && !ok ? ` (${passes}/${required} in a row)` : "";
    const observed = streak === "" ? result.observed : `${result.observed}${streak}`;
    const check = { gate, label, ok, observed, expected, sinceMs: state.sinceMs };
    checks.push(reuse(previousChecks[checks.length], check));
    if (!ok) {
      conditionsHold = false;
      reasons.push(`${gate}/${label}/${result.kind === "error" ? result.code : result.kind}`);
      values.push(observed);
    }
  }
  if (gates.bakeMs !== undefined && gates.bakeMs > 0) {
    const elapsedMs = ctx.atMs - ctx.appliedAtMs;
    const ok = elapsedMs >= gates.bakeMs;
    const sinceMs = ok ? ctx.appliedAtMs + gates.bakeMs : ctx.appliedAtMs;
    const check: GateCheck = {
      gate: "bake",
      label: "bake",
      ok,
      observed: formatDuration(elapsedMs),
      expected: `>= ${formatDuration(gates.bakeMs)}`,
      sinceMs,
    };
    checks.push(reuse(previousChecks[checks.length], check));
    if (!ok) reasons.push("bake");
  }
  for (const party of gates.confirmedBy ?? []) {
    const ack = ctx.acks.find(
      (a) => a.consumer === party && a.stage === ctx.stageName && a.operationId === ctx.operationId,
    );
    checks.push({
      gate: "confirmed",
      label: party,
      ok: ack !== undefined,
      observed: ack === undefined ? "no acknowledgement" : `acknowledged by ${ack.actor}`,
      expected: "acknowledged",
      sinceMs: ack?.atMs ?? ctx.appliedAtMs,
    });
    if (ack === undefined) reasons.push(`confirmed/${party}`);
  }
  return {
    checks,
    allHold: reasons.length === 0,
    conditionsHold,
    progress: progressChanged || keyCount(progress) !== keyCount(next) ? next : progress,
    reasons: reasons.join("|"),
    values: values.join("|"),
  };
}

function keyCount(record: Readonly<Record<string, unknown>>): number {
  let count = 0;
  for (const _ in record) count += 1;
  return count;
}

/** True when a `GateWaiting` event is due: the failing set or its reasons changed, or values changed ≥ 10 s later. */
export function gateWaitingDue(last: GateWaitingMark | null, evaluation: GateEvaluation, atMs: number): boolean {
  if (evaluation.allHold) return false;
  if (last === null || last.reasons !== evaluation.reasons) return true;
  return last.values !== evaluation.values && atMs - last.atMs >= GATE_WAITING_MIN_INTERVAL_MS;
}
