/**
 * The alternatives the sequential tests look for, and how alpha is weighted
 * between them. Chosen with the benchmark (bench/detector, docs/detector.md):
 * node alternatives are large (a node that fails about half its requests),
 * because a 10 s burst on one node at twice p1 must not halt — 20% data is
 * evidence against them; moderate node excesses and sets of marginal nodes are
 * the cohort test's business.
 */
import { type AlternativeGrid, type GridShape, gridShape } from "./mixture-sprt.ts";

/**
 * Per-node tests: odds ratios over p1. At p1 = 10.5% the SPRT's alternative is
 * q ≈ 54% (one alternative: a second one costs ln(1/weight) nats on every
 * detection) and the late-start CUSUM's 75% (smaller late-start alternatives
 * turn 20% bursts on legacy nodes into halts: odds 12–16 halted 0.4–0.5% of
 * 20-node burst operations at alpha 0.001).
 */
export const NODE_GRID: AlternativeGrid = {
  oddsRatios: [10],
  weights: [1],
  restartOddsRatios: [25],
  restartWeights: [1],
};

/** Cohort test: odds ratios over θ0, the candidates' null share of a tick's errors. */
export const COHORT_GRID: AlternativeGrid = {
  oddsRatios: [1.2, 1.5, 2.5, 5],
  weights: [0.3, 0.3, 0.25, 0.15],
  restartOddsRatios: [2.5],
  restartWeights: [1],
};

/** Sizes and log weights of the node grid. */
export const NODE_SHAPE: GridShape = gridShape(NODE_GRID);
/** Sizes and log weights of the cohort grid. */
export const COHORT_SHAPE: GridShape = gridShape(COHORT_GRID);

/** Weight of the SPRT from the first tick for changed nodes: they are usually bad from the start (a late start pays ln 1000 more). */
export const START_WEIGHT_CHANGED = 0.999;
/** Untouched nodes were fine before the operation: most weight goes to late starts (a change detector). */
export const START_WEIGHT_UNTOUCHED = 0.001;
/** The cohort, like changed nodes, is usually bad from the start. */
export const START_WEIGHT_COHORT = 0.999;
