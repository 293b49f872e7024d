/**
 * The reference rate p_ref that node and cohort tests compare with: the pooled
 * error rate of the reference nodes (legacy ones when present, else all).
 *
 * p_ref = max(longRunUpper, currentLower):
 * - longRunUpper is a time-uniform upper confidence bound on the pooled rate of
 *   the reference nodes' pre-operation totals plus everything they served since
 *   the first tick (a union over ticks, δ_k = δ/(k(k+1))). The guarantee is
 *   stated against this rate; its failure probability δ is a share of alpha.
 * - currentLower tracks the fleet's *current* rate: the largest of lower bounds
 *   on the rate over exponentially weighted windows (time constants
 *   referenceWindow and 1/12 of it) and over the tick itself. It can only raise
 *   p_ref — fewer alarms, never more — so a fleet-wide blip raises the bar for
 *   every node at once. A node inside the pool is compared with the pool
 *   *without* itself, so a bad legacy node cannot hide behind its own errors.
 * Pure functions over plain data.
 */
import { klLowerBound, klUpperBound } from "./bernoulli-bounds.ts";

/** Reference counters, JSON-plain. */
export interface ReferenceState {
  /** Pooled pre-operation totals (the baselines). */
  readonly priorRequests: number;
  readonly priorErrors: number;
  cumulativeRequests: number;
  cumulativeErrors: number;
  /** Exponentially weighted pool counts, time constants referenceWindow and 1/12 of it. */
  longRequests: number;
  longErrors: number;
  shortRequests: number;
  shortErrors: number;
  /** Time of the last tick (−1: none yet). */
  lastAtMs: number;
  /** Ticks seen (indexes the union over time). */
  steps: number;
}

/** z² of the current-rate lower bounds (≈ 2.8σ): they only ever raise p_ref. */
const CURRENT_LOWER_LOG_INV_DELTA = 4;
/** The short window's time constant is this fraction of the reference window. */
const SHORT_WINDOW_FRACTION = 1 / 12;

/** Fresh reference state from pooled baselines. */
export function createReference(priorRequests: number, priorErrors: number): ReferenceState {
  return {
    priorRequests,
    priorErrors,
    cumulativeRequests: 0,
    cumulativeErrors: 0,
    longRequests: 0,
    longErrors: 0,
    shortRequests: 0,
    shortErrors: 0,
    lastAtMs: -1,
    steps: 0,
  };
}

/** Per-tick decay factors of the two windows. */
export interface WindowDecay {
  readonly long: number;
  readonly short: number;
}

/** Decay factors for a tick at `atMs` after one at `lastAtMs` (−1: no history, everything decays away). */
export function windowDecay(lastAtMs: number, atMs: number, windowMs: number): WindowDecay {
  if (lastAtMs < 0 || windowMs <= 0) return { long: 0, short: 0 };
  const elapsed = Math.max(0, atMs - lastAtMs);
  return { long: Math.exp(-elapsed / windowMs), short: Math.exp(-elapsed / (windowMs * SHORT_WINDOW_FRACTION)) };
}

/** Two-sided time-uniform bounds on the long-run pooled reference rate. */
export interface LongRunBounds {
  readonly lower: number;
  readonly upper: number;
}

/**
 * Adds one tick's pooled reference counts (in place) and returns the long-run
 * bounds. `logInvDelta` is ln(1/δ) of their share of alpha (split between the two sides).
 */
export function advanceReference(
  state: ReferenceState,
  atMs: number,
  decay: WindowDecay,
  requests: number,
  errors: number,
  logInvDelta: number,
): LongRunBounds {
  state.steps += 1;
  state.lastAtMs = atMs;
  state.cumulativeRequests += requests;
  state.cumulativeErrors += errors;
  state.longRequests = state.longRequests * decay.long + requests;
  state.longErrors = state.longErrors * decay.long + errors;
  state.shortRequests = state.shortRequests * decay.short + requests;
  state.shortErrors = state.shortErrors * decay.short + errors;
  const k = state.steps;
  const logInv = logInvDelta + Math.LN2 + Math.log(k) + Math.log(k + 1);
  const pooledErrors = state.priorErrors + state.cumulativeErrors;
  const pooledRequests = state.priorRequests + state.cumulativeRequests;
  return {
    lower: klLowerBound(pooledErrors, pooledRequests, logInv),
    upper: klUpperBound(pooledErrors, pooledRequests, logInv),
  };
}

/** Lower bound p̂ − √(2p̂·L/n) (Poisson-like, L = 4) of a rate from weighted counts; 0 without data. */
export function rateLowerBound(errors: number, requests: number): number {
  if (requests <= 0 || errors <= 0) return 0;
  const rate = errors / requests;
  return Math.max(0, rate - Math.sqrt((2 * rate * CURRENT_LOWER_LOG_INV_DELTA) / requests));
}

/** currentLower from the three windows' counts (already excluding the subject where it is in the pool). */
export function currentLowerBound(
  longErrors: number,
  longRequests: number,
  shortErrors: number,
  shortRequests: number,
  tickErrors: number,
  tickRequests: number,
): number {
  return Math.max(
    rateLowerBound(longErrors, longRequests),
    rateLowerBound(shortErrors, shortRequests),
    rateLowerBound(tickErrors, tickRequests),
  );
}
