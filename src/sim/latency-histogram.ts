/**
 * A log-bucketed latency histogram (16 buckets per doubling, 1 ms to ~36 h):
 * quantiles within ~4.4%, constant memory however many requests it counts.
 */

const PER_DOUBLING = 16;
const BUCKETS = 17 * PER_DOUBLING + 1;

/** Counts durations; `quantile` answers from the buckets. Not thread-safe, cheap to add to. */
export class LatencyHistogram {
  readonly #counts = new Float64Array(BUCKETS);
  #total = 0;

  /** The bucket `durationMs` falls in. Pure. */
  static bucketOf(durationMs: number): number {
    return durationMs <= 1 ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log2(durationMs) * PER_DOUBLING));
  }

  /** Adds `count` observations of `durationMs`. */
  add(durationMs: number, count = 1): void {
    this.addToBucket(LatencyHistogram.bucketOf(durationMs), count);
  }

  /** Adds `count` observations to a bucket from {@link bucketOf}. */
  addToBucket(bucket: number, count = 1): void {
    this.#counts[bucket] = (this.#counts[bucket] ?? 0) + count;
    this.#total += count;
  }

  /** Forgets every observation. */
  clear(): void {
    this.#counts.fill(0);
    this.#total = 0;
  }

  /** Observations so far. */
  get total(): number {
    return this.#total;
  }

  /** The `q` quantile (0–1) in ms, as the upper edge of its bucket; 0 when empty. */
  quantile(q: number): number {
    if (this.#total === 0) return 0;
    const rank = q * this.#total;
    let seen = 0;
    for (let index = 0; index < BUCKETS; index += 1) {
      seen += this.#counts[index] ?? 0;
      if (seen >= rank) return 2 ** (index / PER_DOUBLING);
    }
    return 2 ** ((BUCKETS - 1) / PER_DOUBLING);
  }
}
