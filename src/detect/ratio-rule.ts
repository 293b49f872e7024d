/**
 * Mode "ratio": the seed's literal rule, kept for users who want it. Each tick,
 * a node whose error rate over the reference window exceeds `ratio` × the
 * fleet's (all nodes pooled over the same window) halts, once the node has
 * `minRequests` requests in the window. No statistics: on small samples it
 * false-alarms (a healthy 2% node shows ≥ 50% errors on 2 requests 4% of the
 * time), which is why "sequential" is the default. Mutates the data it is given.
 */
import {
  cloneRegistry,
  createRegistry,
  type NodeRegistry,
  addNodes as registerNodes,
  trackSilence,
} from "./node-registry.ts";
import { cleanCount, type StepOutcome, type TickInput } from "./tick-input.ts";
import type { DetectorConfig, Evidence } from "./types.ts";

/** Ratio-mode data, JSON-plain. */
export interface RatioData {
  readonly mode: "ratio";
  readonly registry: NodeRegistry;
  /** Per-node request and error sums over the window. */
  readonly windowRequests: number[];
  readonly windowErrors: number[];
  /** Ticks in the window, oldest first; each holds [index, requests, errors, ...] of nodes with traffic. */
  readonly ticksAtMs: number[];
  readonly ticks: number[][];
}

/** Empty ratio-mode data. */
export function createRatioData(): RatioData {
  return { mode: "ratio", registry: createRegistry(), windowRequests: [], windowErrors: [], ticksAtMs: [], ticks: [] };
}

/** Copy for one step to mutate (window entries are never mutated, only dropped). */
export function cloneRatioData(data: RatioData): RatioData {
  return {
    mode: "ratio",
    registry: cloneRegistry(data.registry),
    windowRequests: data.windowRequests.slice(),
    windowErrors: data.windowErrors.slice(),
    ticksAtMs: data.ticksAtMs.slice(),
    ticks: data.ticks.slice(),
  };
}

/** Appends nodes (in place). */
export function addRatioNodes(data: RatioData, names: readonly string[]): void {
  registerNodes(data.registry, names);
  for (let k = 0; k < names.length; k++) {
    data.windowRequests.push(0);
    data.windowErrors.push(0);
  }
}

function slide(data: RatioData, atMs: number, windowMs: number, input: TickInput): void {
  const entry: number[] = [];
  for (let k = 0; k < input.count; k++) {
    const n = cleanCount(input.requests[k] ?? 0);
    if (n === 0) continue;
    const i = input.index[k] ?? 0;
    const e = Math.min(n, cleanCount(input.errors[k] ?? 0));
    entry.push(i, n, e);
    data.windowRequests[i] = (data.windowRequests[i] ?? 0) + n;
    data.windowErrors[i] = (data.windowErrors[i] ?? 0) + e;
  }
  data.ticksAtMs.push(atMs);
  data.ticks.push(entry);
  while (data.ticksAtMs.length > 1 && (data.ticksAtMs[0] ?? atMs) <= atMs - windowMs) {
    const old = data.ticks.shift() ?? [];
    data.ticksAtMs.shift();
    for (let j = 0; j < old.length; j += 3) {
      const i = old[j] ?? 0;
      data.windowRequests[i] = Math.max(0, (data.windowRequests[i] ?? 0) - (old[j + 1] ?? 0));
      data.windowErrors[i] = Math.max(0, (data.windowErrors[i] ?? 0) - (old[j + 2] ?? 0));
    }
  }
}

/** Feeds one tick (in place). `scores`, when given, receives (rate/fleet)/ratio per input entry. */
export function advanceRatio(
  data: RatioData,
  config: DetectorConfig,
  atMs: number,
  input: TickInput,
  scores: Float64Array | undefined,
): StepOutcome {
  slide(data, atMs, config.referenceWindowMs, input);
  let fleetRequests = 0;
  let fleetErrors = 0;
  let expectingRequests = 0;
  let expectingNodes = 0;
  for (let i = 0; i < data.windowRequests.length; i++) {
    fleetRequests += data.windowRequests[i] ?? 0;
    fleetErrors += data.windowErrors[i] ?? 0;
  }
  for (let k = 0; k < input.count; k++) {
    if (input.expectsTraffic[k] !== 1) continue;
    expectingRequests += cleanCount(input.requests[k] ?? 0);
    expectingNodes += 1;
  }
  const fleetRate = fleetRequests > 0 ? fleetErrors / fleetRequests : 0;
  const fleetMean = expectingNodes > 0 ? expectingRequests / expectingNodes : 0;
  const breaches: Evidence[] = [];
  const blind: number[] = [];
  const minRequests = Math.max(1, config.minRequests);
  for (let k = 0; k < input.count; k++) {
    const i = input.index[k] ?? 0;
    const n = cleanCount(input.requests[k] ?? 0);
    if (trackSilence(data.registry, i, n, input.expectsTraffic[k] === 1, fleetMean)) blind.push(i);
    const requests = data.windowRequests[i] ?? 0;
    const errors = data.windowErrors[i] ?? 0;
    if (requests < minRequests) {
      if (scores !== undefined) scores[k] = 0;
      continue;
    }
    const rate = errors / requests;
    const observedRatio = fleetRate > 0 ? rate / fleetRate : 0;
    if (scores !== undefined) scores[k] = observedRatio / config.ratio;
    if (rate > config.ratio * fleetRate) {
      breaches.push({
        test: "ratio",
        subject: data.registry.nodes[i] ?? "",
        requests,
        errors,
        rate,
        referenceRate: fleetRate,
        observedRatio,
        score: observedRatio,
        threshold: config.ratio,
      });
    }
  }
  return { breaches, blind, cohortScore: -1 };
}
