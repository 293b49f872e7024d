/**
 * One tick in indexed form: the detector API turns `NodeTick`s into this, and
 * the benchmark fills it directly. Entry k describes node `index[k]`.
 */
import type { Evidence } from "./types.ts";

/** Column-wise tick; flags are 0/1. Counts may be dirty: the kernels clamp them. */
export interface TickInput {
  readonly count: number;
  readonly index: ArrayLike<number>;
  readonly requests: ArrayLike<number>;
  readonly errors: ArrayLike<number>;
  readonly changed: ArrayLike<number>;
  readonly candidate: ArrayLike<number>;
  readonly expectsTraffic: ArrayLike<number>;
}

/** What a kernel step found. */
export interface StepOutcome {
  readonly breaches: Evidence[];
  /** Node indices that are blind this tick. */
  readonly blind: number[];
  /** Cohort score / threshold, or -1 when the cohort test did not run. */
  readonly cohortScore: number;
}

/** A count as the kernels use it: finite and ≥ 0 (a negative delta is a counter reset, not evidence). */
export function cleanCount(value: number): number {
  return value > 0 && value < Number.POSITIVE_INFINITY ? value : 0;
}
