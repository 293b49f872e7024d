/**
 * Guards run on every tick for the operation's whole life, between stages
 * too. Enforcing (a forward phase): a breach or a guard blind for longer than
 * `sensorBlindMs` halts. Recording (rolling back, or already halted): a
 * breach is recorded once as an event and never stops anything.
 */
import type { DetectorApi } from "../detect/types.ts";
import type { Plan, Timeouts } from "../plan/types.ts";
import { type Draft, emit, patchInternal } from "./draft.ts";
import { formatDuration } from "./format.ts";
import type { DetectorSlot, ThresholdGuardState } from "./internal.ts";
import { planIndex } from "./plan-index.ts";
import type { PreparedReadings } from "./readings.ts";
import { evidenceJson, evidenceMessage, stepSupercriticality } from "./supercriticality-guard.ts";
import { stepThresholdGuard, thresholdGuardData } from "./threshold-guard.ts";
import type { HaltReason } from "./types.ts";

/** Whether guard breaches halt (`enforce`) or are only recorded. */
export type GuardMode = "enforce" | "rollback" | "halted";

/** What the guards concluded this tick. */
export interface GuardOutcome {
  /** Set in `enforce` mode when the operation must halt. */
  readonly halt: HaltReason | undefined;
  /**
   * Every guard passed, no guard sensor or node is blind, and no count or
   * blindness mark changed: nothing this tick needs keeping except
   * accumulating counter and detector data. A stage may start only then.
   */
  readonly steady: boolean;
}

const RECORD_EVENT: Readonly<Record<Exclude<GuardMode, "enforce">, string>> = {
  rollback: "GuardBreachedDuringRollback",
  halted: "GuardBreachedWhileHalted",
};

/** Enforcing: returns the halt. Recording: emits the breach event instead. */
function breach(
  draft: Draft,
  mode: GuardMode,
  atMs: number,
  guard: string,
  reason: HaltReason,
): HaltReason | undefined {
  if (mode === "enforce") return reason;
  emit(draft, RECORD_EVENT[mode], atMs, {
    guard,
    code: reason.code,
    message: reason.message,
    evidence: reason.evidence ?? null,
  });
  return undefined;
}

/** Halt reason when a node expected to take traffic has had none for longer than `sensorBlindMs`. */
function blindNodeHalt(guard: string, blindSince: DetectorSlot["blindSince"], atMs: number, limitMs: number) {
  for (const node in blindSince) {
    const sinceMs = blindSince[node] ?? atMs;
    if (atMs - sinceMs > limitMs) {
      return {
        code: "sensor-blind",
        message: `guard ${guard}: node ${node} expected traffic but had none for ${formatDuration(atMs - sinceMs)} (limit ${formatDuration(limitMs)})`,
        evidence: { guard, node, sinceMs, limitMs },
      } satisfies HaltReason;
    }
  }
  return undefined;
}

function markBlindNodes(previous: DetectorSlot["blindSince"], nodes: readonly string[], atMs: number) {
  if (nodes.length === 0 && Object.keys(previous).length === 0) return previous;
  const next: Record<string, number> = {};
  for (const node of nodes) next[node] = previous[node] ?? atMs;
  const same = nodes.length === Object.keys(previous).length && nodes.every((n) => previous[n] !== undefined);
  return same ? previous : next;
}

/**
 * Evaluates every guard on this tick's prepared readings, updating the
 * draft's guard state and recording events. In `enforce` mode the first
 * breach (or blindness beyond `timeouts.sensorBlindMs`) is returned as a halt.
 */
export function runGuards(
  draft: Draft,
  plan: Plan,
  prepared: PreparedReadings,
  atMs: number,
  mode: GuardMode,
  timeouts: Timeouts | undefined,
  detector: DetectorApi,
): GuardOutcome {
  let halt: HaltReason | undefined;
  let steady = true;
  let thresholds: Record<string, ThresholdGuardState> | undefined;
  let detectors: Record<string, DetectorSlot> | undefined;
  const { internal } = draft;
  for (const guard of plan.guards) {
    if (guard.kind === "threshold") {
      const previous = internal.thresholds[guard.name];
      const step = stepThresholdGuard(guard, previous, prepared.readings, atMs);
      if (step.state !== previous) {
        thresholds ??= { ...internal.thresholds };
        thresholds[guard.name] = step.state;
        steady = false;
      }
      if (step.state.last !== "pass") steady = false;
      const data = thresholdGuardData(guard, step);
      if (step.result.kind === "fail" && mode === "enforce") {
        emit(draft, "GuardFailed", atMs, { ...data.evidence, message: data.message });
      }
      if (step.breach && (mode === "enforce" || previous?.breached !== true)) {
        halt ??= breach(draft, mode, atMs, guard.name, { code: "guard", ...data });
      }
      const erroringSinceMs = step.state.erroringSinceMs;
      if (mode === "enforce" && timeouts !== undefined && erroringSinceMs !== null) {
        if (atMs - erroringSinceMs > timeouts.sensorBlindMs) {
          halt ??= {
            code: "sensor-blind",
            message: `guard ${guard.name} could not be evaluated for ${formatDuration(atMs - erroringSinceMs)} (limit ${formatDuration(timeouts.sensorBlindMs)}): ${step.result.observed}`,
            evidence: {
              guard: guard.name,
              sinceMs: erroringSinceMs,
              limitMs: timeouts.sensorBlindMs,
              observed: step.result.observed,
            },
          };
        }
      }
      continue;
    }
    const previous = internal.detectors[guard.name];
    const step = stepSupercriticality(detector, guard, previous, {
      atMs,
      deltas: prepared.readings,
      cumulative: prepared.cumulative,
      trafficMoved: draft.applied.length > 0,
    });
    let slot = step.slot;
    const blindSince = markBlindNodes(slot.blindSince, step.blindNodes, atMs);
    if (blindSince !== slot.blindSince) {
      slot = { ...slot, blindSince };
      steady = false;
    }
    if (step.blindNodes.length > 0) steady = false;
    const [first] = step.breaches;
    if (first !== undefined) {
      steady = false;
      if (mode === "enforce" || !slot.breached) {
        halt ??= breach(draft, mode, atMs, guard.name, {
          code: "supercriticality",
          message: `guard ${guard.name}: ${evidenceMessage(first)}`,
          evidence: { guard: guard.name, breaches: step.breaches.map(evidenceJson) },
        });
      }
      if (!slot.breached) slot = { ...slot, breached: true };
    }
    if (mode === "enforce" && timeouts !== undefined) {
      halt ??= blindNodeHalt(guard.name, slot.blindSince, atMs, timeouts.sensorBlindMs);
    }
    detectors ??= { ...internal.detectors };
    detectors[guard.name] = slot;
  }
  if (thresholds !== undefined || detectors !== undefined) {
    patchInternal(draft, {
      ...(thresholds === undefined ? {} : { thresholds }),
      ...(detectors === undefined ? {} : { detectors }),
    });
  }
  for (const sensor of planIndex(plan).guardSensors) {
    if (prepared.blindChanges.includes(sensor)) steady = false;
    if (draft.internal.blindSince[sensor] === undefined) continue;
    steady = false;
    const sinceMs = draft.internal.blindSince[sensor] ?? atMs;
    if (mode === "enforce" && timeouts !== undefined && atMs - sinceMs > timeouts.sensorBlindMs) {
      halt ??= {
        code: "sensor-blind",
        message: `guard sensor ${sensor} has had no fresh reading for ${formatDuration(atMs - sinceMs)} (limit ${formatDuration(timeouts.sensorBlindMs)})`,
        evidence: { sensor, sinceMs, limitMs: timeouts.sensorBlindMs },
      };
    }
  }
  return { halt, steady: steady && halt === undefined };
}
