/**
 * Test helpers: a small deterministic fleet for detector tests (no randomness
 * source but a fixed linear congruential sequence).
 */
import { detector } from "./detector.ts";
import type { DetectorConfig, DetectorState, NodeBaseline, NodeTick, Verdict } from "./types.ts";

/** The plan defaults of the supercriticality guard. */
export const DEFAULT_CONFIG: DetectorConfig = {
  mode: "sequential",
  ratio: 5,
  minDelta: 0.005,
  alpha: 0.001,
  referenceWindowMs: 60_000,
  minRequests: 20,
};

/** Deterministic uniform numbers in [0, 1). */
export function sequence(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

/** Errors among `requests` at `rate`, drawn from `next`. */
export function errorsAt(next: () => number, requests: number, rate: number): number {
  let errors = 0;
  for (let r = 0; r < requests; r++) if (next() < rate) errors++;
  return errors;
}

/** A fleet: legacy nodes l0.. (untouched, with baselines) and candidates c0.. (changed). */
export interface TestFleet {
  readonly legacy: number;
  readonly candidates: number;
  /** Requests per node per tick. */
  readonly requests: number;
  /** Error rate of a node at a tick. */
  readonly rate: (node: string, tick: number) => number;
}

/** Baselines of the legacy nodes: 36,000 requests at `rate`(node, −1). */
export function baselinesOf(fleet: TestFleet): NodeBaseline[] {
  const list: NodeBaseline[] = [];
  for (let i = 0; i < fleet.legacy; i++) {
    const node = `l${i}`;
    list.push({ node, requests: 36_000, errors: Math.round(36_000 * fleet.rate(node, -1)) });
  }
  return list;
}

/** The NodeTicks of one tick. */
export function ticksOf(fleet: TestFleet, tick: number, next: () => number): NodeTick[] {
  const ticks: NodeTick[] = [];
  const add = (node: string, candidate: boolean): void => {
    const requests = fleet.requests;
    ticks.push({
      node,
      cohort: candidate ? "candidate" : "legacy",
      changed: candidate,
      requests,
      errors: errorsAt(next, requests, fleet.rate(node, tick)),
      expectsTraffic: true,
    });
  };
  for (let i = 0; i < fleet.legacy; i++) add(`l${i}`, false);
  for (let i = 0; i < fleet.candidates; i++) add(`c${i}`, true);
  return ticks;
}

/** Runs `ticks` ticks (1 s apart) and returns the first tick with a breach (or −1) and the last state and verdict. */
export function run(
  fleet: TestFleet,
  ticks: number,
  seed = 1,
  config: DetectorConfig = DEFAULT_CONFIG,
): { firstBreachTick: number; state: DetectorState; verdict: Verdict | undefined; breachVerdict: Verdict | undefined } {
  const next = sequence(seed);
  let state = detector.init(config, baselinesOf(fleet));
  let verdict: Verdict | undefined;
  for (let tick = 0; tick < ticks; tick++) {
    const result = detector.step(state, config, (tick + 1) * 1000, ticksOf(fleet, tick, next));
    state = result.state;
    verdict = result.verdict;
    if (verdict.breaches.length > 0) return { firstBreachTick: tick, state, verdict, breachVerdict: verdict };
  }
  return { firstBreachTick: -1, state, verdict, breachVerdict: undefined };
}
