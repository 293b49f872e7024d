/**
 * Medians per strategy × release × router, the goals checked
 * against them, and the printed table. Pure.
 */
import { type Release, type RouterKind, type RunRecord, STRATEGIES, type Strategy } from "./run-record.ts";

/** Medians of one strategy × release × router. */
export interface GroupMedians {
  readonly strategy: Strategy;
  readonly release: Release;
  readonly router: RouterKind;
  readonly runs: number;
  readonly outcomes: readonly string[];
  readonly failedRequests: number;
  readonly failedDuringRollout: number;
  readonly p99Ms: number | null;
  readonly peakDbConnections: number;
  readonly connectionRefused: number;
  readonly durationS: number;
  readonly badNodeRequests: number | null;
}

/** One goal of the issue and whether the medians meet it. */
export interface GoalCheck {
  readonly router: RouterKind;
  readonly goal: string;
  readonly met: boolean;
  /** Airlock's value against the bound, e.g. "12 <= 40.3". */
  readonly detail: string;
}

/** The median (mean of the two middle values for an even count); `null` for none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid] ?? 0;
  return sorted.length % 2 === 1 ? upper : ((sorted[mid - 1] ?? 0) + upper) / 2;
}

/** Medians of every group that has runs, in strategy order. */
export function groupMedians(runs: readonly RunRecord[]): GroupMedians[] {
  const groups: GroupMedians[] = [];
  for (const router of ["haproxy", "builtin"] as const)
    for (const release of ["good", "bad"] as const)
      for (const strategy of STRATEGIES) {
        const of = runs.filter((r) => r.strategy === strategy && r.release === release && r.router === router);
        if (of.length === 0) continue;
        const m = (pick: (r: RunRecord) => number | null | undefined): number | null =>
          median(of.map(pick).filter((v): v is number => typeof v === "number"));
        groups.push({
          strategy,
          release,
          router,
          runs: of.length,
          outcomes: of.map((r) => r.outcome),
          failedRequests: m((r) => r.failedRequests) ?? 0,
          failedDuringRollout: m((r) => r.failedDuringRollout) ?? 0,
          p99Ms: m((r) => r.p99Ms),
          peakDbConnections: m((r) => r.peakDbConnections) ?? 0,
          connectionRefused: m((r) => r.connectionRefused) ?? 0,
          durationS: m((r) => r.durationS) ?? 0,
          badNodeRequests: m((r) => r.badNodeRequests),
        });
      }
  return groups;
}

/**
 * The goals per router: bad release, Airlock's failed requests ≤ 10%
 * of naive's and ≤ 25% of each timer canary's; good release, ≤ every
 * peer's; Airlock's good duration ≤ timer-canary-safe's and ≤ 1.5 ×
 * timer-canary-typical's. Goals whose groups did not run are left out.
 */
export function checkGoals(groups: readonly GroupMedians[]): GoalCheck[] {
  const checks: GoalCheck[] = [];
  const find = (router: RouterKind, strategy: Strategy, release: Release) =>
    groups.find((g) => g.router === router && g.strategy === strategy && g.release === release);
  for (const router of ["haproxy", "builtin"] as const) {
    const bound = (
      release: Release,
      peer: Strategy,
      factor: number,
      field: "failedRequests" | "durationS",
      goal: string,
    ): void => {
      const airlock = find(router, "airlock", release);
      const other = find(router, peer, release);
      if (airlock === undefined || other === undefined) return;
      const limit = factor * other[field];
      checks.push({
        router,
        goal,
        met: airlock[field] <= limit,
        detail: `${airlock[field]} ${airlock[field] <= limit ? "<=" : ">"} ${round(limit)}`,
      });
    };
    bound("bad", "naive", 0.1, "failedRequests", "bad: failed <= 10% of naive");
    bound("bad", "timer-canary-typical", 0.25, "failedRequests", "bad: failed <= 25% of timer-canary-typical");
    bound("bad", "timer-canary-safe", 0.25, "failedRequests", "bad: failed <= 25% of timer-canary-safe");
    for (const peer of ["naive", "timer-canary-typical", "timer-canary-safe"] as const)
      bound("good", peer, 1, "failedRequests", `good: failed <= ${peer}`);
    bound("good", "timer-canary-safe", 1, "durationS", "good: duration <= timer-canary-safe");
    bound("good", "timer-canary-typical", 1.5, "durationS", "good: duration <= 1.5 x timer-canary-typical");
  }
  return checks;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

/** The table printed at the end: one line per group, then one per goal. */
export function renderTable(groups: readonly GroupMedians[], goals: readonly GoalCheck[]): string[] {
  const header = [
    "router",
    "release",
    "strategy",
    "runs",
    "outcomes",
    "failed",
    "failed in rollout",
    "p99 ms",
    "peak DB conns",
    "conn refused",
    "duration s",
    "bad-node reqs",
  ];
  const rows = groups.map((g) => [
    g.router,
    g.release,
    g.strategy,
    String(g.runs),
    [...new Set(g.outcomes)].join("/"),
    String(g.failedRequests),
    String(g.failedDuringRollout),
    g.p99Ms === null ? "-" : String(Math.round(g.p99Ms)),
    String(g.peakDbConnections),
    String(g.connectionRefused),
    String(g.durationS),
    g.badNodeRequests === null ? "-" : String(g.badNodeRequests),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ");
  return [
    line(header),
    ...rows.map(line),
    "",
    ...goals.map((g) => `[${g.met ? "met" : "MISSED"}] ${g.router}: ${g.goal} (airlock ${g.detail})`),
  ];
}
