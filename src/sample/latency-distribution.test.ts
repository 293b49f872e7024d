import { describe, expect, it } from "vitest";
import { logNormalSampler } from "./latency-distribution.ts";

/** Mulberry32: a small seeded PRNG so the test is reproducible. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.ceil(q * sorted.length) - 1] ?? Number.NaN;
}

describe("log-normal latency", () => {
  it("has the requested median and p99", () => {
    const sample = logNormalSampler({ median: 20, p99: 200 }, seeded(7));
    const values = Array.from({ length: 50_000 }, sample).sort((a, b) => a - b);
    expect(quantile(values, 0.5)).toBeGreaterThan(19);
    expect(quantile(values, 0.5)).toBeLessThan(21);
    expect(quantile(values, 0.99)).toBeGreaterThan(180);
    expect(quantile(values, 0.99)).toBeLessThan(220);
  });

  it("is constant at the median when p99 is not above it, and zero for a zero median", () => {
    expect(Array.from({ length: 5 }, logNormalSampler({ median: 8, p99: 8 }, seeded(1)))).toEqual([8, 8, 8, 8, 8]);
    expect(logNormalSampler({ median: 0, p99: 10 }, seeded(1))()).toBe(0);
  });
});
