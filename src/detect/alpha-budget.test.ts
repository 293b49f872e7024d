import { describe, expect, it } from "vitest";
import {
  CHANGED_NODE_WEIGHT,
  initialLogInvShares,
  LATE_NODE_SHARE,
  lateLogInvShare,
  nullRate,
  testsLogInvAlpha,
} from "./alpha-budget.ts";

describe("alpha budget", () => {
  it("weighs a changed node 16 times an untouched one: 10 + 10 nodes at alpha 0.001, by hand", () => {
    const shares = initialLogInvShares(10, 10);
    // Weights 16·10 + 10 + 1 (cohort) = 171 share 0.95 of 0.9·alpha.
    expect(shares.changed + testsLogInvAlpha(0.001)).toBeCloseTo(Math.log(171 / 16 / 0.95 / 0.0009), 12);
    expect(shares.other + testsLogInvAlpha(0.001)).toBeCloseTo(Math.log(171 / 0.95 / 0.0009), 12);
    // About ln(K/alpha) = 9.90: 9.43 for a changed node, 12.21 for an untouched one.
    expect(shares.changed + testsLogInvAlpha(0.001)).toBeCloseTo(9.433, 3);
    expect(shares.other + testsLogInvAlpha(0.001)).toBeCloseTo(12.206, 3);
  });

  it("splits evenly when no node is changed", () => {
    const shares = initialLogInvShares(0, 20);
    expect(shares.other).toBeCloseTo(Math.log(21 / 0.95), 12);
  });

  it("never lets late nodes spend more than their reserve", () => {
    let sum = 0;
    for (let m = 1; m <= 100_000; m++) sum += Math.exp(-lateLogInvShare(m));
    expect(sum).toBeLessThanOrEqual(LATE_NODE_SHARE);
  });

  it("keeps the initial shares (nodes + cohort) within the rest", () => {
    const shares = initialLogInvShares(12, 25);
    const total = 12 * Math.exp(-shares.changed) + 26 * Math.exp(-shares.other);
    expect(total).toBeCloseTo(1 - LATE_NODE_SHARE, 12);
    expect(Math.exp(shares.other - shares.changed)).toBeCloseTo(CHANGED_NODE_WEIGHT, 12);
  });

  it("takes p1 as the larger of the ratio and the absolute floor", () => {
    expect(nullRate(0.02, 5, 0.005)).toBeCloseTo(0.1, 12);
    expect(nullRate(0.001, 5, 0.005)).toBeCloseTo(0.006, 12);
  });
});
