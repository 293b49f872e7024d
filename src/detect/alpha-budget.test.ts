import { describe, expect, it } from "vitest";
import { initialLogInvShare, LATE_NODE_SHARE, lateLogInvShare, nullRate, testsLogInvAlpha } from "./alpha-budget.ts";

describe("alpha budget", () => {
  it("alarms about ln(K/alpha) for K monitored nodes", () => {
    const threshold = initialLogInvShare(20) + testsLogInvAlpha(0.001);
    expect(threshold).toBeGreaterThan(Math.log(20 / 0.001));
    expect(threshold - Math.log(20 / 0.001)).toBeLessThan(0.25);
  });

  it("never lets late nodes spend more than their reserve", () => {
    let sum = 0;
    for (let m = 1; m <= 100_000; m++) sum += Math.exp(-lateLogInvShare(m));
    expect(sum).toBeLessThanOrEqual(LATE_NODE_SHARE);
  });

  it("keeps the initial shares (nodes + cohort) within the rest", () => {
    const k = 37;
    expect((k + 1) * Math.exp(-initialLogInvShare(k))).toBeCloseTo(1 - LATE_NODE_SHARE, 12);
  });

  it("takes p1 as the larger of the ratio and the absolute floor", () => {
    expect(nullRate(0.02, 5, 0.005)).toBeCloseTo(0.1, 12);
    expect(nullRate(0.001, 5, 0.005)).toBeCloseTo(0.006, 12);
  });
});
