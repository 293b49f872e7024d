/**
 * Wires a supercriticality guard to the detector: per-node request and error
 * counters (already per-tick deltas) become `NodeTick`s — cohort from the
 * reading's labels, `changed` for candidate nodes, `expectsTraffic` once a
 * forward action has moved traffic and the node's `weight` label (if any) is
 * above zero. The detector's state is kept as plain JSON in the engine state.
 */
import type { DetectorApi, DetectorConfig, DetectorState, Evidence, NodeBaseline, NodeTick } from "../detect/types.ts";
import type { SupercriticalityGuard } from "../plan/types.ts";
import type { NodeLabels, NodeValues, Reading } from "../sensors/sensor.ts";
import type { Json } from "../targets/target.ts";
import { formatNumber, formatPercent } from "./format.ts";
import type { DetectorSlot } from "./internal.ts";

/** Result of feeding one tick to the detector. */
export interface SupercriticalityStep {
  readonly slot: DetectorSlot;
  readonly breaches: readonly Evidence[];
  /** Nodes the detector reports blind this tick. */
  readonly blindNodes: readonly string[];
}

const EMPTY_SLOT: DetectorSlot = { detector: null, blindSince: {}, breached: false };
const configCache = new WeakMap<SupercriticalityGuard, DetectorConfig>();

function configOf(guard: SupercriticalityGuard): DetectorConfig {
  let config = configCache.get(guard);
  if (config === undefined) {
    const { mode, ratio, minDelta, alpha, referenceWindowMs, minRequests } = guard;
    config = { mode, ratio, minDelta, alpha, referenceWindowMs, minRequests };
    configCache.set(guard, config);
  }
  return config;
}

function isDetectorState(value: Json): value is Json & DetectorState {
  return typeof value === "object" && value !== null && "version" in value && value.version === 1 && "data" in value;
}

/** The detector's contract promises JSON-serialisable plain data; this records that promise in the type. */
function stateAsJson(state: DetectorState): Json {
  return state as unknown as Json;
}

type Vector = { readonly values: NodeValues; readonly labels: NodeLabels | undefined };

function vectorOf(reading: Reading | undefined): Vector | undefined {
  if (reading === undefined || !reading.ok || reading.value.type !== "vector") return undefined;
  return { values: reading.value.values, labels: reading.value.labels };
}

function isCandidate(guard: SupercriticalityGuard, node: string, labels: NodeLabels | undefined): boolean {
  return labels?.[node]?.[guard.cohorts.label] === guard.cohorts.candidate;
}

function baselines(guard: SupercriticalityGuard, requests: Vector, errors: Vector): NodeBaseline[] {
  const result: NodeBaseline[] = [];
  for (const node in requests.values) {
    if (isCandidate(guard, node, requests.labels ?? errors.labels)) continue;
    result.push({ node, requests: requests.values[node] ?? 0, errors: errors.values[node] ?? 0 });
  }
  return result;
}

function nodeTicks(guard: SupercriticalityGuard, requests: Vector, errors: Vector, trafficMoved: boolean): NodeTick[] {
  const labels = requests.labels ?? errors.labels;
  const ticks: NodeTick[] = [];
  const seen = new Set<string>();
  for (const values of [requests.values, errors.values]) {
    for (const node in values) {
      if (seen.has(node)) continue;
      seen.add(node);
      const changed = isCandidate(guard, node, labels);
      const weight = labels?.[node]?.weight;
      // A node present in only one vector has no usable sample this tick: zero requests, so it reads as blind.
      const both = requests.values[node] !== undefined && errors.values[node] !== undefined;
      const nodeRequests = both ? (requests.values[node] ?? 0) : 0;
      ticks.push({
        node,
        cohort: changed ? "candidate" : "legacy",
        changed,
        requests: nodeRequests,
        errors: both ? Math.min(errors.values[node] ?? 0, nodeRequests) : 0,
        expectsTraffic: changed && trafficMoved && (weight === undefined || Number(weight) > 0),
      });
    }
  }
  return ticks;
}

/**
 * Feeds one tick to the detector. The first fresh reading of both counters
 * initialises it (legacy nodes' cumulative totals are their baselines); later
 * ticks step it with the deltas. Failed readings skip the step (blindness is
 * tracked per sensor elsewhere).
 */
export function stepSupercriticality(
  detector: DetectorApi,
  guard: SupercriticalityGuard,
  previous: DetectorSlot | undefined,
  tick: {
    readonly atMs: number;
    readonly deltas: Readonly<Record<string, Reading>>;
    readonly cumulative: Readonly<Record<string, Reading>>;
    readonly trafficMoved: boolean;
  },
): SupercriticalityStep {
  let slot = previous ?? EMPTY_SLOT;
  const config = configOf(guard);
  let state: DetectorState | undefined = isDetectorState(slot.detector) ? slot.detector : undefined;
  if (state === undefined) {
    const requests = vectorOf(tick.cumulative[guard.requests]);
    const errors = vectorOf(tick.cumulative[guard.errors]);
    if (requests === undefined || errors === undefined) return { slot, breaches: [], blindNodes: [] };
    state = detector.init(config, baselines(guard, requests, errors));
    slot = { ...slot, detector: stateAsJson(state) };
  }
  const requests = vectorOf(tick.deltas[guard.requests]);
  const errors = vectorOf(tick.deltas[guard.errors]);
  if (requests === undefined || errors === undefined) return { slot, breaches: [], blindNodes: [] };
  const stepped = detector.step(state, config, tick.atMs, nodeTicks(guard, requests, errors, tick.trafficMoved));
  return {
    slot: { ...slot, detector: stateAsJson(stepped.state) },
    breaches: stepped.verdict.breaches,
    blindNodes: stepped.verdict.blindNodes,
  };
}

/** Evidence as event data. */
export function evidenceJson(evidence: Evidence): { readonly [key: string]: Json } {
  const { test, subject, requests, errors, rate, referenceRate, observedRatio, score, threshold } = evidence;
  return { test, subject, requests, errors, rate, referenceRate, observedRatio, score, threshold };
}

/** One line: `v2-b errors 14/28 (50%) vs fleet 1.9%, ratio 26×, score 9.1 > 7.6`. */
export function evidenceMessage(evidence: Evidence): string {
  const reference = evidence.test === "untouched-node" ? "its baseline" : "fleet";
  return (
    `${evidence.subject} errors ${evidence.errors}/${evidence.requests} (${formatPercent(evidence.rate)}) ` +
    `vs ${reference} ${formatPercent(evidence.referenceRate)}, ratio ${formatNumber(evidence.observedRatio)}×, ` +
    `score ${formatNumber(evidence.score)} > ${formatNumber(evidence.threshold)}`
  );
}
