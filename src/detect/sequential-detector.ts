/**
 * The sequential kernel (mode "sequential"): per-node e-detectors against the
 * reference for changed nodes, against max(own baseline, reference) for
 * untouched ones, and a cohort test of the candidates pooled against the
 * legacy nodes. Mutates the data it is given (the API hands it a copy).
 */
import {
  baselineLogInvDelta,
  initialLogInvShares,
  lateLogInvShare,
  MAX_NULL_RATE,
  nullRate,
  referenceLogInvDelta,
  testsLogInvAlpha,
} from "./alpha-budget.ts";
import { klUpperBound } from "./bernoulli-bounds.ts";
import { advanceCohort, poolTotals } from "./cohort-test.ts";
import {
  addSubject,
  factorCount,
  fillLogFactors,
  type SubjectBank,
  type SubjectScore,
  subjectScore,
  subjectScoreUpperBound,
  updateSubject,
} from "./mixture-sprt.ts";
import { addNodes as registerNodes, trackSilence } from "./node-registry.ts";
import { divergentBaselines } from "./preflight.ts";
import { advanceReference, currentLowerBound, windowDecay } from "./reference.ts";
import { NODE_GRID, NODE_SHAPE, START_WEIGHT_CHANGED, START_WEIGHT_UNTOUCHED } from "./sequential-grids.ts";
import type { SequentialData } from "./sequential-state.ts";
import { cleanCount, type StepOutcome, type TickInput } from "./tick-input.ts";
import type { DetectorConfig, Evidence, NodeBaseline } from "./types.ts";

/** Registers baselines (untouched nodes' own pre-operation totals) in fresh data. */
export function registerBaselines(
  data: SequentialData,
  config: DetectorConfig,
  baselines: readonly NodeBaseline[],
): void {
  const logInvDelta = baselineLogInvDelta(config.alpha, baselines.length);
  const divergent = new Set(divergentBaselines(config, baselines).map((found) => found.subject));
  const names: string[] = [];
  const ownUppers: number[] = [];
  for (const baseline of baselines) {
    const requests = cleanCount(baseline.requests);
    const errors = Math.min(requests, cleanCount(baseline.errors));
    names.push(baseline.node);
    const own = requests > 0 && divergent.has(baseline.node);
    ownUppers.push(own ? klUpperBound(errors, requests, logInvDelta) : -1);
  }
  addSequentialNodes(data, names, false, ownUppers);
}

/**
 * Appends nodes (in place) with their test shares; `changed` picks the start
 * weight; `ownUppers` are their baselines' upper bounds (−1 or absent: none).
 * Data whose `ownUpper` array is replaced, so per-node caches keyed on it reset.
 */
export function addSequentialNodes(
  data: SequentialData,
  names: readonly string[],
  changed: boolean,
  ownUppers: readonly number[] = [],
): void {
  const weight = changed ? START_WEIGHT_CHANGED : START_WEIGHT_UNTOUCHED;
  data.ownUpper = data.ownUpper.concat(names.map((_, k) => ownUppers[k] ?? -1));
  for (let k = 0; k < names.length; k++) {
    addSubject(data.bank, NODE_SHAPE, weight);
    data.nodeLongRequests.push(0);
    data.nodeLongErrors.push(0);
    data.nodeShortRequests.push(0);
    data.nodeShortErrors.push(0);
    if (data.steps === 0) data.logInvShare.push(0);
    else {
      data.lateNodes += 1;
      data.logInvShare.push(lateLogInvShare(data.lateNodes));
    }
  }
  registerNodes(data.registry, names);
}

const fleetFactors = new Float64Array(factorCount(NODE_GRID));

/** Per-node log factors for nodes whose p1 is their own (baseline or leave-one-out), keyed by the ownUpper array. */
interface NodeFactorCache {
  readonly p1: Float64Array;
  readonly views: Float64Array[];
}
const nodeFactorCaches = new WeakMap<readonly number[], NodeFactorCache>();

const FACTOR_WIDTH = factorCount(NODE_GRID);

function factorCacheOf(data: SequentialData): NodeFactorCache {
  let cache = nodeFactorCaches.get(data.ownUpper);
  if (cache === undefined) {
    const views: Float64Array[] = [];
    const factors = new Float64Array(data.ownUpper.length * FACTOR_WIDTH);
    for (let i = 0; i < data.ownUpper.length; i++)
      views.push(factors.subarray(i * FACTOR_WIDTH, (i + 1) * FACTOR_WIDTH));
    cache = { p1: new Float64Array(data.ownUpper.length), views };
    nodeFactorCaches.set(data.ownUpper, cache);
  }
  return cache;
}

function nodeFactors(cache: NodeFactorCache, i: number, p1: number): Float64Array {
  const view = cache.views[i] as Float64Array;
  if (cache.p1[i] !== p1) {
    fillLogFactors(NODE_GRID, p1, view);
    cache.p1[i] = p1;
  }
  return view;
}

/** Decays every node's share of the weighted windows (absent nodes too: the pool decays as a whole). */
function decayNodeWindows(data: SequentialData, long: number, short: number): void {
  for (let i = 0; i < data.nodeLongRequests.length; i++) {
    data.nodeLongRequests[i] = (data.nodeLongRequests[i] ?? 0) * long;
    data.nodeLongErrors[i] = (data.nodeLongErrors[i] ?? 0) * long;
    data.nodeShortRequests[i] = (data.nodeShortRequests[i] ?? 0) * short;
    data.nodeShortErrors[i] = (data.nodeShortErrors[i] ?? 0) * short;
  }
}

/** p_ref for node i inside the pool: the long-run bound, or the current rate of the pool without node i. */
function leaveOneOutReference(
  data: SequentialData,
  i: number,
  n: number,
  e: number,
  poolN: number,
  poolE: number,
  longRun: number,
): number {
  const ref = data.reference;
  const current = currentLowerBound(
    ref.longErrors - (data.nodeLongErrors[i] ?? 0),
    ref.longRequests - (data.nodeLongRequests[i] ?? 0),
    ref.shortErrors - (data.nodeShortErrors[i] ?? 0),
    ref.shortRequests - (data.nodeShortRequests[i] ?? 0),
    poolE - e,
    poolN - n,
  );
  return Math.max(longRun, current);
}

/** Splits the tests' alpha among the nodes known at the first tick (changed ones as this tick says) and the cohort. */
function assignInitialShares(data: SequentialData, input: TickInput): void {
  const changed = new Uint8Array(data.logInvShare.length);
  let changedNodes = 0;
  for (let k = 0; k < input.count; k++) {
    const i = input.index[k] ?? 0;
    if (input.changed[k] === 1 && changed[i] === 0) {
      changed[i] = 1;
      changedNodes += 1;
    }
  }
  const shares = initialLogInvShares(changedNodes, data.logInvShare.length - changedNodes);
  for (let i = 0; i < data.logInvShare.length; i++)
    data.logInvShare[i] = changed[i] === 1 ? shares.changed : shares.other;
  data.cohortLogInvShare = shares.other;
}

/** Feeds one tick (in place). `scores`, when given, receives score/threshold per input entry (0: no test). */
export function advanceSequential(
  data: SequentialData,
  config: DetectorConfig,
  atMs: number,
  input: TickInput,
  scores: Float64Array | undefined,
): StepOutcome {
  if (data.steps === 0) assignInitialShares(data, input);
  data.steps += 1;
  const totals = poolTotals(input);
  const poolN = totals.legacyPresent ? totals.legacyRequests : totals.allRequests;
  const poolE = totals.legacyPresent ? totals.legacyErrors : totals.allErrors;
  const decay = windowDecay(data.reference.lastAtMs, atMs, config.referenceWindowMs);
  decayNodeWindows(data, decay.long, decay.short);
  const bounds = advanceReference(data.reference, atMs, decay, poolN, poolE, referenceLogInvDelta(config.alpha));
  const longRun = bounds.upper;
  const ref = data.reference;
  const poolCurrent = currentLowerBound(
    ref.longErrors,
    ref.longRequests,
    ref.shortErrors,
    ref.shortRequests,
    poolE,
    poolN,
  );
  const sharedRef = Math.max(longRun, poolCurrent);
  // Only when the pool's current rate is above the long-run bound can leaving a node out change its p_ref.
  const leaveOneOut = poolCurrent > longRun;
  const fleetP1 = nullRate(sharedRef, config.ratio, config.minDelta);
  if (fleetP1 < MAX_NULL_RATE) fillLogFactors(NODE_GRID, fleetP1, fleetFactors);
  const testsLog = testsLogInvAlpha(config.alpha);
  const fleetMean = totals.expectingNodes > 0 ? totals.expectingRequests / totals.expectingNodes : 0;
  const breaches: Evidence[] = [];
  const blind: number[] = [];
  const registry = data.registry;
  const shape = NODE_SHAPE;
  const bank = data.bank;
  const cache = factorCacheOf(data);
  for (let k = 0; k < input.count; k++) {
    const i = input.index[k] ?? 0;
    const n = cleanCount(input.requests[k] ?? 0);
    const e = Math.min(n, cleanCount(input.errors[k] ?? 0));
    const changed = input.changed[k] === 1;
    const candidate = input.candidate[k] === 1;
    data.nodeLongRequests[i] = (data.nodeLongRequests[i] ?? 0) + n;
    data.nodeLongErrors[i] = (data.nodeLongErrors[i] ?? 0) + e;
    data.nodeShortRequests[i] = (data.nodeShortRequests[i] ?? 0) + n;
    data.nodeShortErrors[i] = (data.nodeShortErrors[i] ?? 0) + e;
    if (trackSilence(registry, i, n, input.expectsTraffic[k] === 1, fleetMean)) blind.push(i);
    const inPool = !totals.legacyPresent || !candidate;
    const pRef = inPool && leaveOneOut ? leaveOneOutReference(data, i, n, e, poolN, poolE, longRun) : sharedRef;
    const own = changed ? -1 : (data.ownUpper[i] ?? -1);
    const ownP1 = own >= 0 ? nullRate(own, config.ratio, config.minDelta) : 0;
    const refP1 = pRef === sharedRef ? fleetP1 : nullRate(pRef, config.ratio, config.minDelta);
    const p1 = Math.max(refP1, ownP1);
    if (p1 >= MAX_NULL_RATE) {
      if (scores !== undefined) scores[k] = 0;
      continue;
    }
    if (n > 0) updateSubject(bank, i, n, e, p1 === fleetP1 ? fleetFactors : nodeFactors(cache, i, p1), shape);
    const threshold = (data.logInvShare[i] ?? 0) + testsLog;
    const upper = subjectScoreUpperBound(bank, i, shape);
    if (upper < threshold && (scores === undefined || upper <= 0)) continue;
    const result = subjectScore(bank, i, shape);
    if (scores !== undefined) scores[k] = Math.max(0, result.score) / threshold;
    if (result.score >= threshold) {
      const subject = registry.nodes[i] ?? "";
      const referenceRate = ownP1 > refP1 ? own : pRef;
      breaches.push(
        evidence(changed ? "changed-node" : "untouched-node", subject, bank, i, result, referenceRate, threshold),
      );
    }
  }
  const cohortScore = advanceCohort(data, config, input, totals, fleetP1, bounds.lower, testsLog, breaches);
  return { breaches, blind, cohortScore };
}

function evidence(
  test: Evidence["test"],
  subject: string,
  bank: SubjectBank,
  i: number,
  result: SubjectScore,
  referenceRate: number,
  threshold: number,
): Evidence {
  const fromRestart = result.restartIndex >= 0;
  const requests = (fromRestart ? bank.restartRequests[result.restartIndex] : bank.requests[i]) ?? 0;
  const errors = (fromRestart ? bank.restartErrors[result.restartIndex] : bank.errors[i]) ?? 0;
  const rate = requests > 0 ? errors / requests : 0;
  return {
    test,
    subject,
    requests,
    errors,
    rate,
    referenceRate,
    observedRatio: referenceRate > 0 ? rate / referenceRate : 0,
    score: result.score,
    threshold,
  };
}
