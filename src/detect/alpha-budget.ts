/**
 * How the false-halt probability alpha is split (a union bound, so the
 * operation-wide false-halt probability is ≤ alpha however long it runs):
 * - 10% for the reference's uncertainty: half for the time-uniform bound on the
 *   pooled reference rate, half shared by the untouched nodes' own baselines;
 * - 90% for the tests: the K nodes present at the first tick and the cohort
 *   test share (1 − η) equally, and nodes that appear later take
 *   η/(m(m+1)) each (m-th late node), so late arrivals never dilute the others.
 * Thresholds are ln(1/share): about ln(K/alpha) for K monitored nodes.
 */

/** Fraction of alpha spent on bounding reference rates. */
export const REFERENCE_SHARE = 0.1;
/** Fraction of the tests' alpha kept for nodes that appear after the first tick. */
export const LATE_NODE_SHARE = 0.05;

/** ln(1/alpha_tests): add a subject's `logInvShare` to get its alarm threshold. */
export function testsLogInvAlpha(alpha: number): number {
  return -Math.log(alpha * (1 - REFERENCE_SHARE));
}

/** Weight of a changed node in the split of the tests' alpha (an untouched node and the cohort test weigh 1). */
export const CHANGED_NODE_WEIGHT = 16;

/** Shares of the first tick: ln(1/share) of a changed node and of an untouched node or the cohort test. */
export interface InitialShares {
  readonly changed: number;
  readonly other: number;
}

/**
 * ln(1/share) of the nodes present at the first tick (`changedNodes` changed,
 * `untouchedNodes` untouched) and of the cohort test: they share 1 − η in
 * proportion to their weights (changed CHANGED_NODE_WEIGHT, others 1).
 */
export function initialLogInvShares(changedNodes: number, untouchedNodes: number): InitialShares {
  const total = CHANGED_NODE_WEIGHT * changedNodes + untouchedNodes + 1;
  const other = Math.log(total / (1 - LATE_NODE_SHARE));
  return { changed: other - Math.log(CHANGED_NODE_WEIGHT), other };
}

/** ln(1/share) of the m-th node (m ≥ 1) that appears after the first tick. */
export function lateLogInvShare(m: number): number {
  return Math.log(m) + Math.log(m + 1) - Math.log(LATE_NODE_SHARE);
}

/** ln(1/δ) of the time-uniform bound on the pooled reference rate. */
export function referenceLogInvDelta(alpha: number): number {
  return -Math.log((alpha * REFERENCE_SHARE) / 2);
}

/** ln(1/δ) of each of `count` baseline bounds. */
export function baselineLogInvDelta(alpha: number, count: number): number {
  return -Math.log((alpha * REFERENCE_SHARE) / 2 / Math.max(1, count));
}

/** A null rate (p1 or θ0) this close to 1 leaves no room for an alternative: no test. */
export const MAX_NULL_RATE = 0.999;

/** The null rate p1 = max(ratio × reference, reference + minDelta): the most a healthy subject may show. */
export function nullRate(reference: number, ratio: number, minDelta: number): number {
  return Math.max(ratio * reference, reference + minDelta);
}
