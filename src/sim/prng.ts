/**
 * The simulator's only source of randomness: a seeded PRNG (xorshift128+
 * over 32-bit halves, sfc32) and the distributions the fleet samples.
 * Same seed, same sequence, on every machine. Never `Math.random`.
 */

/** A seeded random source. Not cryptographic. */
export class Prng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;
  #spareNormal: number | undefined;
  /** Arrivals are drawn with the same mean for node after node: `exp(-mean)` is computed once. */
  #lastPoissonMean = 0;
  #lastPoissonExp = 1;

  /** Seeds sfc32 from `seed` (any integer) and discards the first outputs. */
  constructor(seed: number) {
    this.#a = 0x9e3779b9;
    this.#b = 0x243f6a88;
    this.#c = 0xb7e15162;
    this.#d = seed >>> 0;
    for (let i = 0; i < 16; i += 1) this.uint32();
  }

  /** A uniform 32-bit unsigned integer. */
  uint32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }

  /** Standard normal (Box–Muller, the second value kept for the next call). */
  normal(): number {
    const spare = this.#spareNormal;
    if (spare !== undefined) {
      this.#spareNormal = undefined;
      return spare;
    }
    const u = 1 - this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.#spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Log-normal with the given median (same unit as the result) and log-space sigma. */
  logNormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  /** Exponential with the given mean (same unit as the result): the time to the next event of a Poisson process. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  /**
   * Poisson count with mean `mean` ≥ 0: inversion for small means, a rounded
   * normal approximation above 50 (error far below the simulator's own).
   */
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean > 50) return Math.max(0, Math.round(mean + Math.sqrt(mean) * this.normal()));
    if (mean !== this.#lastPoissonMean) {
      this.#lastPoissonMean = mean;
      this.#lastPoissonExp = Math.exp(-mean);
    }
    let k = 0;
    let p = this.#lastPoissonExp;
    let cumulative = p;
    const u = this.next();
    while (u > cumulative && k < 1000) {
      k += 1;
      p *= mean / k;
      cumulative += p;
    }
    return k;
  }

  /** Binomial count of `n` trials with probability `p` (exact below 30 trials, Poisson/normal above). */
  binomial(n: number, p: number): number {
    if (n <= 0 || p <= 0) return 0;
    if (p >= 1) return n;
    if (n < 30) {
      let k = 0;
      for (let i = 0; i < n; i += 1) if (this.next() < p) k += 1;
      return k;
    }
    const mean = n * p;
    if (p < 0.05) return Math.min(n, this.poisson(mean));
    const sd = Math.sqrt(mean * (1 - p));
    return Math.min(n, Math.max(0, Math.round(mean + sd * this.normal())));
  }
}
