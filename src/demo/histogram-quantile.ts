/**
 * Prometheus-style histograms for the demo's latency monitor: parsing the
 * `_bucket` series of one histogram out of exposition text, subtracting two
 * scrapes, and `histogram_quantile` with Prometheus' linear interpolation.
 */

/** Cumulative bucket counts by upper bound in seconds (`Infinity` for `+Inf`). */
export type Buckets = ReadonlyMap<number, number>;

const BUCKET_LINE = /^(\w+)_bucket\{([^}]*)\}\s+(\S+)/;
const LE_LABEL = /(?:^|,)le="([^"]+)"/;

/** The buckets of histogram `name` in Prometheus text, summed over series. Pure. */
export function parseBuckets(text: string, name: string): Buckets {
  const buckets = new Map<number, number>();
  for (const line of text.split("\n")) {
    const match = BUCKET_LINE.exec(line);
    if (match === null || match[1] !== name) continue;
    const le = LE_LABEL.exec(match[2] ?? "")?.[1];
    const count = Number(match[3]);
    if (le === undefined || !Number.isFinite(count)) continue;
    const bound = le === "+Inf" ? Number.POSITIVE_INFINITY : Number(le);
    if (Number.isNaN(bound)) continue;
    buckets.set(bound, (buckets.get(bound) ?? 0) + count);
  }
  return buckets;
}

/** `later - earlier` per bound, summed into `into` (a counter that went down counts from zero: a restart). */
export function addDelta(into: Map<number, number>, later: Buckets, earlier: Buckets | undefined): void {
  for (const [bound, count] of later) {
    const before = earlier?.get(bound) ?? 0;
    into.set(bound, (into.get(bound) ?? 0) + (count >= before ? count - before : count));
  }
}

/** Observations counted by `buckets` (its `+Inf` bucket). Pure. */
export function totalCount(buckets: Buckets): number {
  return buckets.get(Number.POSITIVE_INFINITY) ?? 0;
}

/**
 * `histogram_quantile(q, buckets)` as Prometheus computes it: the bucket
 * holding rank `q × total`, linearly interpolated; the highest finite bound
 * when the rank falls in `+Inf`. `undefined` without observations. Pure.
 */
export function histogramQuantile(quantile: number, buckets: Buckets): number | undefined {
  const bounds = [...buckets.keys()].sort((a, b) => a - b);
  const total = totalCount(buckets);
  if (total <= 0 || bounds.length === 0) return undefined;
  const rank = quantile * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const bound of bounds) {
    const count = buckets.get(bound) ?? 0;
    if (count >= rank) {
      if (bound === Number.POSITIVE_INFINITY) return lowerBound;
      const inBucket = count - lowerCount;
      return inBucket <= 0 ? bound : lowerBound + ((bound - lowerBound) * (rank - lowerCount)) / inBucket;
    }
    lowerBound = bound;
    lowerCount = count;
  }
  return lowerBound;
}
