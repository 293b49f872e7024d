/**
 * The engine's private part of {@link OperationState}: guard and gate
 * progress, counter baselines, timers. Plain JSON (`null` instead of absent
 * fields) so it survives the store unchanged; only `transition()` reads it.
 */
import type { Json } from "../targets/target.ts";

/** Progress of one threshold guard (Argo semantics: errors do not count as failures). */
export type ThresholdGuardState = {
  readonly failures: number;
  readonly consecutiveFailures: number;
  /** Outcome of the latest evaluation; `null` before the first. */
  readonly last: "pass" | "fail" | "error" | null;
  /** Since when every evaluation has been an error (the guard cannot see); `null` when the last one was not. */
  readonly erroringSinceMs: number | null;
  /** Set once the limits were exceeded (a breach is recorded once while halted or rolling back). */
  readonly breached: boolean;
};

/** State kept for one supercriticality guard. */
export type DetectorSlot = {
  /** The detector's own plain-data state; `null` until the first fresh reading gives baselines. */
  readonly detector: Json;
  /** Nodes the detector reports blind, and since when (ms). */
  readonly blindSince: { readonly [node: string]: number };
  readonly breached: boolean;
};

/** Progress of one gate condition: passes in a row and its current outcome since when. */
export type GateProgress = { readonly passes: number; readonly ok: boolean; readonly sinceMs: number };

/** The last `GateWaiting` event's signature (failing gates and reasons; their values). */
export type GateWaitingMark = { readonly reasons: string; readonly values: string; readonly atMs: number };

/** Everything `transition()` keeps between inputs. */
export type EngineInternal = {
  readonly version: 1;
  /** Intents created per cursor (`forward:2`), for idempotency keys. */
  readonly intents: { readonly [cursorKey: string]: number };
  /** A retryable apply failure waits until this time (ms) before the next attempt. */
  readonly nextAttemptAtMs: number | null;
  /** Base of the stage timeout: StageStarted, or the last resume. */
  readonly stageClockMs: number | null;
  /** Base of the drain timeout: the action being applied, or the last resume. */
  readonly drainClockMs: number | null;
  /** Gate condition progress of the current stage or step, by `gate.index`. */
  readonly gates: { readonly [conditionKey: string]: GateProgress };
  readonly gateWaiting: GateWaitingMark | null;
  /** Needed sensors without a fresh ok reading, and since when (ms). */
  readonly blindSince: { readonly [sensor: string]: number };
  /** Last cumulative value per counter sensor and node (`""` for scalars). */
  readonly counters: { readonly [sensor: string]: { readonly [node: string]: number } };
  readonly thresholds: { readonly [guard: string]: ThresholdGuardState };
  readonly detectors: { readonly [guard: string]: DetectorSlot };
  /** Set by LocksRefused; the next tick keeps guard data instead of proposing again. */
  readonly refusedAtMs: number | null;
  /** A halt asked the runner for rollback steps (`onHalt: rollback`). */
  readonly rollbackRequested: boolean;
  /** Where a one-way step stops the rollback (from the target definition). */
  readonly rollbackStopsAt: string | null;
  readonly rollbackStartedAtMs: number | null;
  readonly operationStartedAtMs: number | null;
};

/** A fresh internal state. */
export const FRESH_INTERNAL: EngineInternal = {
  version: 1,
  intents: {},
  nextAttemptAtMs: null,
  stageClockMs: null,
  drainClockMs: null,
  gates: {},
  gateWaiting: null,
  blindSince: {},
  counters: {},
  thresholds: {},
  detectors: {},
  refusedAtMs: null,
  rollbackRequested: false,
  rollbackStopsAt: null,
  rollbackStartedAtMs: null,
  operationStartedAtMs: null,
};

function isEngineInternal(value: unknown): value is EngineInternal {
  return typeof value === "object" && value !== null && "version" in value && value.version === 1;
}

/** The engine's internal state from a stored `OperationState.internal`; anything unrecognised starts fresh. */
export function readInternal(json: Json): EngineInternal {
  return isEngineInternal(json) ? json : FRESH_INTERNAL;
}
