/**
 * The workload's drain time, derived from its definition rather than
 * measured: how long a node that stops taking new work at a random moment
 * needs until its last request and job have finished. The peers' timers
 * are set from its median (what teams configure) and its worst case.
 *
 * A node's remaining work at a random moment is the later of:
 * - its long requests: Poisson arrivals at `λ = rate/node × longShare`, each
 *   lasting `L`; the last one to end started `u` ago (exponential), so
 *   `P(T_long ≤ t) = exp(−λ (L − t))` for `t < L`;
 * - its jobs: one starts every `J` and runs `D`; the newest started `u ~
 *   U[0, J)` ago, so `P(T_job ≤ t) = clamp(1 − (D − t) / J, 0, 1)`;
 * - ordinary requests (tens of ms), neglected.
 * The two are independent, so `P(T ≤ t)` is the product. The worst case is
 * `max(L, D)`. Pure.
 */
import type { Workload } from "./workload.ts";

/** Median and worst-case drain time of one node, ms. */
export interface DrainTimes {
  readonly medianMs: number;
  readonly worstMs: number;
}

/** `P(T ≤ tMs)` for one node of `workload`. */
export function drainTimeCdf(workload: Workload, tMs: number): number {
  const perNodeRate = workload.ratePerSecond / workload.legacyNodes;
  const longPerMs = (perNodeRate * workload.longRequestShare) / 1000;
  const long = tMs >= workload.longRequestMs ? 1 : Math.exp(-longPerMs * (workload.longRequestMs - tMs));
  const { intervalMs, durationMs } = workload.jobs;
  const job = Math.min(1, Math.max(0, 1 - (durationMs - tMs) / intervalMs));
  return long * job;
}

/** Median (by bisection, rounded up to 100 ms) and worst case of the drain time. */
export function drainTimes(workload: Workload): DrainTimes {
  const worstMs = Math.max(workload.longRequestMs, workload.jobs.durationMs);
  let low = 0;
  let high = worstMs;
  for (let i = 0; i < 60; i += 1) {
    const mid = (low + high) / 2;
    if (drainTimeCdf(workload, mid) < 0.5) low = mid;
    else high = mid;
  }
  return { medianMs: Math.ceil(high / 100) * 100, worstMs };
}
