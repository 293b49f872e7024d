/**
 * Smooth weighted round-robin, as nginx does it: every pick adds each
 * candidate's weight to its running score, takes the highest score and
 * subtracts the total weight from the winner. Over any window of `sum(weights)`
 * picks each candidate is chosen exactly `weight` times, interleaved rather
 * than in bursts (weights 5,1,1 give a a b a c a a).
 */

/** A candidate with its weight and the running score the algorithm keeps on it. */
export interface WeightedEntry {
  readonly weight: number;
  /** Running score; start at 0. Mutated by {@link pickSmoothWeighted}. */
  currentWeight: number;
}

/**
 * Pick one entry among `candidates` (all must have weight > 0) and update the
 * running scores. Deterministic: the same scores and weights give the same
 * pick. Returns `undefined` when there is no candidate.
 */
export function pickSmoothWeighted<T extends WeightedEntry>(candidates: readonly T[]): T | undefined {
  let best: T | undefined;
  let totalWeight = 0;
  for (const entry of candidates) {
    entry.currentWeight += entry.weight;
    totalWeight += entry.weight;
    if (best === undefined || entry.currentWeight > best.currentWeight) best = entry;
  }
  if (best !== undefined) best.currentWeight -= totalWeight;
  return best;
}
