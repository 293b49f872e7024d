/**
 * What one run measured, and the pure arithmetic that turns raw samples
 * into it: per-second series, peaks, and the requests a bad node served
 * before it was taken out of service.
 */

/** The strategies, as the issue names them. */
export const STRATEGIES = ["naive", "timer-canary-typical", "timer-canary-safe", "airlock"] as const;

/** One strategy. */
export type Strategy = (typeof STRATEGIES)[number];

/** A release. */
export type Release = "good" | "bad";

/** A router. */
export type RouterKind = "haproxy" | "builtin";

/** One second of a run, counted from the rollout's start. */
export interface SeriesPoint {
  readonly tS: number;
  readonly requests: number;
  readonly failed: number;
  /** The most application connections seen in that second. */
  readonly dbConnections: number;
}

/** One measured run. */
export interface RunRecord {
  readonly strategy: Strategy;
  readonly release: Release;
  readonly router: RouterKind;
  readonly rep: number;
  /** completed, rolled_back, aborted, failed ... */
  readonly outcome: string;
  /** Requests the load generator counted as failed over the window. */
  readonly failedRequests: number;
  /** The same, from the rollout's start to its end only (what the simulator counts). */
  readonly failedDuringRollout: number;
  readonly requests: number;
  readonly failuresByReason: Readonly<Record<string, number>>;
  readonly p99Ms: number | null;
  readonly peakDbConnections: number;
  /** Connections PostgreSQL refused during the run. */
  readonly connectionRefused: number;
  readonly durationS: number;
  /** Bad release: requests the bad node served from the start until it was taken out of service (or the window's end). */
  readonly badNodeRequests?: number;
  /** When the strategy stopped the bad release (halt or abort), seconds from the rollout's start. */
  readonly stoppedAtS?: number;
  readonly message?: string;
  readonly loadAverage1m: number;
  readonly series: readonly SeriesPoint[];
}

/** A DB sample: application connections at a time (epoch ms). */
export interface DbSample {
  readonly atMs: number;
  readonly connections: number;
}

/** A router sample: one server's cumulative requests at a time (epoch ms). */
export interface CounterSample {
  readonly atMs: number;
  readonly requestsTotal: number;
}

/**
 * Per-second series from `startMs` over `seconds` seconds: load-generator
 * counts per second (`perSecond[i]`), and the peak of the DB samples in
 * each second (the previous peak when a second has none). Pure.
 */
export function buildSeries(
  startMs: number,
  seconds: number,
  perSecond: (second: number) => { readonly requests: number; readonly failures: number } | undefined,
  db: readonly DbSample[],
): SeriesPoint[] {
  const series: SeriesPoint[] = [];
  let last = 0;
  for (let s = 0; s < seconds; s += 1) {
    const inSecond = db.filter((d) => d.atMs >= startMs + s * 1000 && d.atMs < startMs + (s + 1) * 1000);
    if (inSecond.length > 0) last = Math.max(...inSecond.map((d) => d.connections));
    const counts = perSecond(s);
    series.push({ tS: s, requests: counts?.requests ?? 0, failed: counts?.failures ?? 0, dbConnections: last });
  }
  return series;
}

/** Requests counted between the last samples at or before `fromMs` and `toMs` (0 before the first). Pure. */
export function counterBetween(samples: readonly CounterSample[], fromMs: number, toMs: number): number {
  const at = (ms: number): number => samples.filter((s) => s.atMs <= ms).at(-1)?.requestsTotal ?? 0;
  return Math.max(0, at(toMs) - at(fromMs));
}
