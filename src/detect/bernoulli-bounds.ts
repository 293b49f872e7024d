/**
 * Chernoff (Kullback–Leibler) bounds for an error rate. They hold for a sum of
 * independent Bernoulli trials with different rates too (a Poisson-binomial
 * count is at least as concentrated as a binomial one with the same mean), so
 * they bound the *average* rate of overdispersed traffic. Pure functions.
 */

/** Steps of bisection inside the bracket below (its width is about √(2p̂·L/n): 2⁻³⁶ of it is far below any rate that matters). */
const BISECTION_STEPS = 36;

/** KL(Bernoulli(p) ‖ Bernoulli(q)) in nats; `q` must lie in (0, 1). */
export function bernoulliKl(p: number, q: number): number {
  let kl = 0;
  if (p > 0) kl += p * Math.log(p / q);
  if (p < 1) kl += (1 - p) * Math.log((1 - p) / (1 - q));
  return kl;
}

/**
 * Largest rate q ≥ errors/requests with requests·KL(p̂‖q) ≤ logInvDelta: an upper
 * confidence bound, wrong with probability ≤ exp(−logInvDelta). 1 without data.
 */
export function klUpperBound(errors: number, requests: number, logInvDelta: number): number {
  if (requests <= 0) return 1;
  const p = Math.min(1, errors / requests);
  if (p >= 1) return 1;
  // KL(p̂‖q) ≥ (q − p̂)²/(2q) for q ≥ p̂, so the bound lies below p̂ + L/n + √((L/n)² + 2p̂·L/n).
  const span = logInvDelta / requests;
  let lo = p;
  let hi = Math.min(1, p + span + Math.sqrt(span * span + 2 * p * span));
  for (let step = 0; step < BISECTION_STEPS; step++) {
    const mid = (lo + hi) / 2;
    if (requests * bernoulliKl(p, mid) > logInvDelta) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** Smallest rate q ≤ errors/requests with requests·KL(p̂‖q) ≤ logInvDelta: a lower confidence bound. 0 without data. */
export function klLowerBound(errors: number, requests: number, logInvDelta: number): number {
  if (requests <= 0 || errors <= 0) return 0;
  const p = Math.min(1, errors / requests);
  // KL(p̂‖q) ≥ (p̂ − q)²/(2p̂) for q ≤ p̂, so the bound lies above p̂ − √(2p̂·L/n).
  let lo = Math.max(0, p - Math.sqrt((2 * p * logInvDelta) / requests));
  let hi = p;
  for (let step = 0; step < BISECTION_STEPS; step++) {
    const mid = (lo + hi) / 2;
    if (requests * bernoulliKl(p, mid) > logInvDelta) lo = mid;
    else hi = mid;
  }
  return lo;
}
