/**
 * Preflight: nodes whose pre-operation baseline is already divergent. Such a
 * node does not halt the operation (its untouched-node test compares it with
 * its own baseline) but the operator should know. The bar is lower than the
 * halt's: credibly above max(√ratio × reference, reference + minDelta) — the
 * geometric middle between "like its peers" and "halt-worthy" — with the
 * reference the other baselines pooled (an upper bound) and a fixed-sample
 * Chernoff test at ln(K/alpha). Mode "ratio" applies its own rule instead.
 */
import { nullRate, referenceLogInvDelta } from "./alpha-budget.ts";
import { bernoulliKl, klUpperBound } from "./bernoulli-bounds.ts";
import { cleanCount } from "./tick-input.ts";
import type { DetectorConfig, Evidence, NodeBaseline } from "./types.ts";

/** Divergent baselines, in input order. Pure. */
export function divergentBaselines(config: DetectorConfig, baselines: readonly NodeBaseline[]): Evidence[] {
  const clean = baselines.map((b) => {
    const requests = cleanCount(b.requests);
    return { node: b.node, requests, errors: Math.min(requests, cleanCount(b.errors)) };
  });
  let totalRequests = 0;
  let totalErrors = 0;
  for (const b of clean) {
    totalRequests += b.requests;
    totalErrors += b.errors;
  }
  const threshold = Math.log(Math.max(1, clean.length) / config.alpha);
  const found: Evidence[] = [];
  for (const b of clean) {
    if (b.requests === 0) continue;
    const rate = b.errors / b.requests;
    if (config.mode === "ratio") {
      const fleetRate = totalRequests > 0 ? totalErrors / totalRequests : 0;
      if (b.requests < Math.max(1, config.minRequests) || rate <= config.ratio * fleetRate) continue;
      const observedRatio = fleetRate > 0 ? rate / fleetRate : 0;
      found.push({
        test: "ratio",
        subject: b.node,
        requests: b.requests,
        errors: b.errors,
        rate,
        referenceRate: fleetRate,
        observedRatio,
        score: observedRatio,
        threshold: config.ratio,
      });
      continue;
    }
    const otherRequests = totalRequests - b.requests;
    if (otherRequests <= 0) continue;
    const reference = klUpperBound(totalErrors - b.errors, otherRequests, referenceLogInvDelta(config.alpha));
    const p1 = nullRate(reference, Math.sqrt(config.ratio), config.minDelta);
    if (p1 >= 1 || rate <= p1) continue;
    const score = b.requests * bernoulliKl(rate, p1);
    if (score < threshold) continue;
    found.push({
      test: "untouched-node",
      subject: b.node,
      requests: b.requests,
      errors: b.errors,
      rate,
      referenceRate: reference,
      observedRatio: rate / reference,
      score,
      threshold,
    });
  }
  return found;
}
