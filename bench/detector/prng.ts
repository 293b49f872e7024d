/**
 * Seeded pseudo-random numbers for the benchmark: sfc32 (fast, 128-bit state,
 * passes PractRand to large sizes) plus the few distributions the synthetic
 * fleet needs. Deterministic for a given seed.
 */

/** A seeded generator of uniform doubles in [0, 1) and derived draws. */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 16; i++) this.uniform();
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** Uniform in (0, 1]: safe under a logarithm. */
  uniformPositive(): number {
    return 1 - this.uniform();
  }

  /** Standard normal (Box–Muller, one of the pair). */
  normal(): number {
    return Math.sqrt(-2 * Math.log(this.uniformPositive())) * Math.cos(2 * Math.PI * this.uniform());
  }

  /** Gamma(shape, 1) by Marsaglia–Tsang. */
  gamma(shape: number): number {
    if (shape < 1) return this.gamma(shape + 1) * this.uniformPositive() ** (1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.uniformPositive();
      if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  /** Beta with the given mean and standard deviation (sd² < mean(1 − mean)). */
  betaMeanSd(mean: number, sd: number): number {
    const concentration = (mean * (1 - mean)) / (sd * sd) - 1;
    const x = this.gamma(mean * concentration);
    const y = this.gamma((1 - mean) * concentration);
    return x / (x + y);
  }

  /** Poisson(mean) by inversion (small means) or a rounded normal (mean > 500). */
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean > 500) return Math.max(0, Math.round(mean + Math.sqrt(mean) * this.normal()));
    let k = 0;
    let p = Math.exp(-mean);
    let cdf = p;
    const u = this.uniform();
    while (u > cdf && k < 10_000) {
      k++;
      p *= mean / k;
      cdf += p;
    }
    return k;
  }

  /** Binomial(n, p) by inversion (small n·p) or a rounded, clamped normal. */
  binomial(n: number, p: number): number {
    if (n <= 0 || p <= 0) return 0;
    if (p >= 1) return n;
    const mean = n * p;
    if (mean > 40) return Math.min(n, Math.max(0, Math.round(mean + Math.sqrt(mean * (1 - p)) * this.normal())));
    const odds = p / (1 - p);
    let prob = (1 - p) ** n;
    let cdf = prob;
    let k = 0;
    const u = this.uniform();
    while (u > cdf && k < n) {
      prob *= ((n - k) / (k + 1)) * odds;
      k++;
      cdf += prob;
    }
    return k;
  }

  /** Requests before the next failure at failure rate p: Geometric on {0, 1, …}. */
  geometric(p: number): number {
    if (p <= 0) return Number.MAX_SAFE_INTEGER;
    if (p >= 1) return 0;
    return Math.floor(Math.log(this.uniformPositive()) / Math.log1p(-p));
  }
}

/** Poisson sampler with a precomputed CDF for one fixed mean (fast per draw). */
export class PoissonTable {
  private readonly cdf: Float64Array;
  private readonly start: number;

  constructor(mean: number) {
    const max = Math.ceil(mean + 12 * Math.sqrt(mean) + 12);
    this.cdf = new Float64Array(max + 1);
    let p = Math.exp(-mean);
    let sum = 0;
    for (let k = 0; k <= max; k++) {
      if (k > 0) p *= mean / k;
      sum += p;
      this.cdf[k] = sum;
    }
    this.cdf[max] = 1;
    this.start = Math.min(max, Math.floor(mean));
  }

  /** One draw from the uniform `u`. */
  draw(u: number): number {
    let k = this.start;
    const cdf = this.cdf;
    if (u < (cdf[k] ?? 1)) {
      while (k > 0 && u < (cdf[k - 1] ?? 0)) k--;
    } else {
      while (u >= (cdf[k] ?? 1)) k++;
    }
    return k;
  }
}
