/**
 * Log-normal latency, parameterised the way people talk about latency: by
 * its median and its 99th percentile.
 */

/** A latency distribution in milliseconds. `p99` below `median` is treated as equal (no spread). */
export interface LatencySpec {
  readonly median: number;
  readonly p99: number;
}

/** The standard normal quantile at 0.99. */
const Z_99 = 2.326_347_874;

/**
 * A sampler of log-normal latencies (ms) with the given median and p99.
 * `random` must return uniform values in [0, 1); inject a seeded one for
 * reproducible tests.
 */
export function logNormalSampler(spec: LatencySpec, random: () => number): () => number {
  const median = Math.max(spec.median, 0);
  if (median === 0) return () => 0;
  if (spec.p99 <= median) return () => median;
  const mu = Math.log(median);
  const sigma = Math.log(spec.p99 / median) / Z_99;
  return () => Math.exp(mu + sigma * standardNormal(random));
}

/** Box–Muller transform; `1 - random()` keeps the logarithm's argument in (0, 1]. */
function standardNormal(random: () => number): number {
  const u1 = 1 - random();
  const u2 = random();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}
