import { describe, expect, it } from "vitest";
import { bernoulliKl, klLowerBound, klUpperBound } from "./bernoulli-bounds.ts";

describe("Bernoulli KL bounds", () => {
  it("computes KL divergence by hand", () => {
    expect(bernoulliKl(0.5, 0.1)).toBeCloseTo(0.5 * Math.log(5) + 0.5 * Math.log(0.5 / 0.9), 12);
    expect(bernoulliKl(0, 0.2)).toBeCloseTo(Math.log(1 / 0.8), 12);
    expect(bernoulliKl(0.3, 0.3)).toBe(0);
  });

  it("puts the upper bound where n·KL reaches ln(1/δ)", () => {
    const upper = klUpperBound(20, 1000, 5);
    expect(upper).toBeGreaterThan(0.02);
    expect(1000 * bernoulliKl(0.02, upper)).toBeCloseTo(5, 6);
  });

  it("puts the lower bound where n·KL reaches ln(1/δ)", () => {
    const lower = klLowerBound(20, 1000, 5);
    expect(lower).toBeLessThan(0.02);
    expect(1000 * bernoulliKl(0.02, lower)).toBeCloseTo(5, 6);
  });

  it("knows nothing without data", () => {
    expect(klUpperBound(0, 0, 5)).toBe(1);
    expect(klLowerBound(0, 0, 5)).toBe(0);
  });

  it("tightens with more data", () => {
    expect(klUpperBound(200, 10_000, 5)).toBeLessThan(klUpperBound(20, 1000, 5));
  });
});
