/**
 * The cohort test of the sequential mode, and the per-tick pool totals it and
 * the node tests share. Mutates the data it is given.
 */
import { MAX_NULL_RATE } from "./alpha-budget.ts";
import { factorCount, fillLogFactors, subjectScore, updateSubject } from "./mixture-sprt.ts";
import { COHORT_GRID, COHORT_SHAPE } from "./sequential-grids.ts";
import type { SequentialData } from "./sequential-state.ts";
import { cleanCount, type TickInput } from "./tick-input.ts";
import type { DetectorConfig, Evidence } from "./types.ts";

/**
 * Candidates at which the cohort's tolerated log-ratio is still the node's; it
 * shrinks as √(COHORT_POOLING / n) beyond, like the spread of a pooled rate
 * among nodes whose rates differ by ~50% of their mean (3.5σ at every n).
 */
const COHORT_POOLING = 2.75;

/** One tick's pooled counts. */
export interface PoolTotals {
  legacyRequests: number;
  legacyErrors: number;
  legacyPresent: boolean;
  allRequests: number;
  allErrors: number;
  candidateRequests: number;
  candidateErrors: number;
  candidatesWithTraffic: number;
  expectingRequests: number;
  expectingNodes: number;
}

/** Pooled counts of one tick: legacy, all, candidates, and nodes expecting traffic. */
export function poolTotals(input: TickInput): PoolTotals {
  const totals: PoolTotals = {
    legacyRequests: 0,
    legacyErrors: 0,
    legacyPresent: false,
    allRequests: 0,
    allErrors: 0,
    candidateRequests: 0,
    candidateErrors: 0,
    candidatesWithTraffic: 0,
    expectingRequests: 0,
    expectingNodes: 0,
  };
  for (let k = 0; k < input.count; k++) {
    const n = cleanCount(input.requests[k] ?? 0);
    const e = Math.min(n, cleanCount(input.errors[k] ?? 0));
    totals.allRequests += n;
    totals.allErrors += e;
    if (input.candidate[k] === 1) {
      totals.candidateRequests += n;
      totals.candidateErrors += e;
      if (n > 0) totals.candidatesWithTraffic += 1;
    } else {
      totals.legacyPresent = true;
      totals.legacyRequests += n;
      totals.legacyErrors += e;
    }
    if (input.expectsTraffic[k] === 1) {
      totals.expectingRequests += n;
      totals.expectingNodes += 1;
    }
  }
  return totals;
}

const cohortFactors = new Float64Array(factorCount(COHORT_GRID));

/**
 * Candidate errors with each node's count capped at ⌈n × p1⌉ + 1, p1 the node
 * tests' null rate: a node above that bar is the node test's business, and
 * without the cap one node's burst at op start moves the whole cohort. Capping
 * only lowers the candidates' share, so the test stays conservative.
 */
function cappedCandidateErrors(input: TickInput, nodeNullRate: number): number {
  let errors = 0;
  for (let k = 0; k < input.count; k++) {
    if (input.candidate[k] !== 1) continue;
    const n = cleanCount(input.requests[k] ?? 0);
    const e = Math.min(n, cleanCount(input.errors[k] ?? 0));
    errors += Math.min(e, Math.ceil(n * nodeNullRate) + 1);
  }
  return errors;
}

/**
 * Cohort test. Conditional on a tick's errors, the candidates' share of them is
 * Binomial(errors, θ) with θ = λc·nc / (λc·nc + λl·nl) (errors rare enough to
 * be Poisson), so H0 "candidate rate ≤ f × legacy rate" is θ ≤ f·nc / (f·nc + nl)
 * whatever the fleet's current rate: a fleet-wide blip moves both sides and
 * cancels, and the reference's uncertainty is accounted for exactly. The
 * factor is f = max(cohort ratio, 1 + minDelta / lower bound of the reference),
 * the additive floor turned into a ratio conservatively. `nodeNullRate` caps
 * each candidate's errors (see `cappedCandidateErrors`).
 */
export function advanceCohort(
  data: SequentialData,
  config: DetectorConfig,
  input: TickInput,
  totals: PoolTotals,
  nodeNullRate: number,
  referenceLower: number,
  testsLog: number,
  breaches: Evidence[],
): number {
  const candidates = totals.candidatesWithTraffic;
  const candidateRequests = totals.candidateRequests;
  const candidateErrors = cappedCandidateErrors(input, nodeNullRate);
  if (!totals.legacyPresent || candidates <= 0 || totals.legacyRequests === 0 || referenceLower <= 0) return -1;
  const counts = data.cohortCounts;
  counts[0] = (counts[0] ?? 0) + candidateRequests;
  counts[1] = (counts[1] ?? 0) + candidateErrors;
  counts[2] = (counts[2] ?? 0) + totals.legacyRequests;
  counts[3] = (counts[3] ?? 0) + totals.legacyErrors;
  // Node-to-node heterogeneity averages out in a pool: the log of the tolerated ratio shrinks as √(3/candidates).
  const cohortRatio = config.ratio ** Math.min(1, Math.sqrt(COHORT_POOLING / candidates));
  const factor = Math.max(cohortRatio, 1 + config.minDelta / referenceLower);
  const theta = (factor * candidateRequests) / (factor * candidateRequests + totals.legacyRequests);
  const errors = candidateErrors + totals.legacyErrors;
  if (theta >= MAX_NULL_RATE) return -1;
  if (errors > 0) {
    fillLogFactors(COHORT_GRID, theta, cohortFactors);
    updateSubject(data.cohort, 0, errors, candidateErrors, cohortFactors, COHORT_SHAPE);
  }
  const threshold = data.cohortLogInvShare + testsLog;
  const result = subjectScore(data.cohort, 0, COHORT_SHAPE);
  if (result.score >= threshold) {
    const requests = counts[0] ?? 0;
    const rate = requests > 0 ? (counts[1] ?? 0) / requests : 0;
    const referenceRate = (counts[2] ?? 0) > 0 ? (counts[3] ?? 0) / (counts[2] ?? 1) : 0;
    breaches.push({
      test: "cohort",
      subject: "cohort:candidate",
      requests,
      errors: counts[1] ?? 0,
      rate,
      referenceRate,
      observedRatio: referenceRate > 0 ? rate / referenceRate : 0,
      score: result.score,
      threshold,
    });
  }
  return Math.max(0, result.score) / threshold;
}
