/**
 * Request durations (a log-normal, and optionally a long tail drawn with its
 * share) as tables of 2^16 quantiles each, with every quantile's completion
 * step count and latency-histogram bucket worked out once, so that drawing a
 * request's duration costs two random integers and no `exp`, `log` or
 * allocation. Quantiles are taken at the middle of each of the 2^16
 * equal-probability bins (the tails beyond ±4.3 sigma are cut, far beyond
 * the p99 the simulator reports).
 */
import type { FleetSpec, LogNormalSpec } from "./fleet-spec.ts";
import { LatencyHistogram } from "./latency-histogram.ts";
import type { Prng } from "./prng.ts";

const BITS = 16;
const SIZE = 1 << BITS;

/** The traffic's duration distribution. Immutable after construction. */
export class RequestDurations {
  /** Duration of each quantile, ms: the short requests' quantiles, then the long tail's. */
  readonly ms: Float64Array;
  /** Simulation steps until completion, between 1 and `maxSteps`. */
  readonly steps: Int32Array;
  /** {@link LatencyHistogram} bucket of each duration. */
  readonly bucket: Int32Array;
  readonly #longShareThreshold: number;

  /** Completions counted in `stepMs` steps, capped at `maxSteps`. */
  constructor(traffic: FleetSpec["traffic"], stepMs: number, maxSteps: number) {
    this.ms = new Float64Array(2 * SIZE);
    this.steps = new Int32Array(2 * SIZE);
    this.bucket = new Int32Array(2 * SIZE);
    this.#fill(0, traffic.duration, stepMs, maxSteps);
    this.#fill(SIZE, traffic.longTail?.duration ?? traffic.duration, stepMs, maxSteps);
    this.#longShareThreshold = shareThreshold(traffic.longTail?.share ?? 0);
  }

  /** Draws one request: an index into the tables. */
  draw(prng: Prng): number {
    const long = prng.uint32() < this.#longShareThreshold ? SIZE : 0;
    return long + (prng.uint32() >>> (32 - BITS));
  }

  #fill(from: number, spec: LogNormalSpec, stepMs: number, maxSteps: number): void {
    for (let q = 0; q < SIZE; q += 1) {
      const ms = spec.median * Math.exp(spec.sigma * normalQuantile((q + 0.5) / SIZE));
      this.ms[from + q] = ms;
      this.steps[from + q] = stepsOf(ms, stepMs, maxSteps);
      this.bucket[from + q] = LatencyHistogram.bucketOf(ms);
    }
  }
}

/** A share as a threshold for a uniform 32-bit integer: `uint32() < threshold` has that probability. Pure. */
export function shareThreshold(share: number): number {
  return share * 2 ** 32;
}

/** Whole steps a duration of `ms` takes, at least 1 and at most `maxSteps`. Pure. */
export function stepsOf(ms: number, stepMs: number, maxSteps: number): number {
  return Math.min(maxSteps, Math.max(1, Math.ceil(ms / stepMs)));
}

const A = [
  -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239,
];
const B = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
const C = [
  -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
  2.938163982698783,
];
const D = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];

/** The standard normal's quantile for 0 < p < 1 (Acklam's rational approximation, relative error below 1.2e-9). Pure. */
export function normalQuantile(p: number): number {
  const [a0, a1, a2, a3, a4, a5] = A as [number, number, number, number, number, number];
  const [b0, b1, b2, b3, b4] = B as [number, number, number, number, number];
  const [c0, c1, c2, c3, c4, c5] = C as [number, number, number, number, number, number];
  const [d0, d1, d2, d3] = D as [number, number, number, number];
  const low = 0.02425;
  if (p < low || p > 1 - low) {
    const q = Math.sqrt(-2 * Math.log(p < low ? p : 1 - p));
    const x = (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) / ((((d0 * q + d1) * q + d2) * q + d3) * q + 1);
    return p < low ? x : -x;
  }
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * q) /
    (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1)
  );
}
