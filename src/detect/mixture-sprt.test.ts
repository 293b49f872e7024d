import { describe, expect, it } from "vitest";
import {
  type AlternativeGrid,
  addSubject,
  alternativeRate,
  factorCount,
  fillLogFactors,
  gridShape,
  RESTART_HORIZON_TICKS,
  restartLogWeight,
  type SubjectBank,
  subjectScore,
  subjectScoreUpperBound,
  updateSubject,
} from "./mixture-sprt.ts";
import { emptyBank } from "./sequential-state.ts";

// At p1 = 10%, odds ratio 9 gives q = 50% exactly: easy numbers by hand.
const GRID: AlternativeGrid = { oddsRatios: [9], weights: [1], restartOddsRatios: [9], restartWeights: [1] };
const SHAPE = gridShape(GRID);

function feed(ticks: readonly [number, number][], startWeight = 0.5): SubjectBank {
  const b = emptyBank();
  addSubject(b, SHAPE, startWeight);
  const factors = new Float64Array(factorCount(GRID));
  fillLogFactors(GRID, 0.1, factors);
  for (const [n, e] of ticks) updateSubject(b, 0, n, e, factors, SHAPE);
  return b;
}

describe("mixture SPRT", () => {
  it("places alternatives by odds ratio over p1", () => {
    expect(alternativeRate(0.1, 9)).toBeCloseTo(0.5, 12);
  });

  it("accumulates the exact log-likelihood ratio of small counts", () => {
    // 3 errors in 5 requests at q = 0.5 vs p1 = 0.1: 3 ln 5 + 2 ln(0.5/0.9).
    const b = feed([[5, 3]]);
    expect(b.sprt[0]).toBeCloseTo(3 * Math.log(5) + 2 * Math.log(0.5 / 0.9), 12);
    // One more tick of 2 requests, no error.
    const c = feed([
      [5, 3],
      [2, 0],
    ]);
    expect(c.sprt[0]).toBeCloseTo(3 * Math.log(5) + 4 * Math.log(0.5 / 0.9), 12);
  });

  it("starts the late CUSUM at ln w_1 and restarts it after bad luck", () => {
    const b = feed([[5, 3]]);
    expect(b.restart[0]).toBeCloseTo(restartLogWeight(1) + 3 * Math.log(5) + 2 * Math.log(0.5 / 0.9), 12);
    const c = feed([
      [20, 0],
      [4, 4],
    ]);
    // After 20 clean requests the CUSUM is far below ln w_2, so it restarts there.
    expect(c.restart[0]).toBeCloseTo(restartLogWeight(2) + 4 * Math.log(5), 12);
    expect(c.restartRequests[0]).toBe(4);
    expect(c.restartErrors[0]).toBe(4);
  });

  it("spreads the late-start weights to sum below one", () => {
    let sum = 0;
    for (let k = 1; k <= 100 * RESTART_HORIZON_TICKS; k++) sum += Math.exp(restartLogWeight(k));
    expect(sum).toBeLessThan(1);
    expect(sum).toBeGreaterThan(0.98);
    expect(restartLogWeight(1)).toBeCloseTo(-Math.log(RESTART_HORIZON_TICKS + 1), 12);
  });

  it("scores the mixture as ln(w0·e^SPRT + (1 − w0)·e^CUSUM)", () => {
    const b = feed([[5, 3]], 0.5);
    const expected = Math.log(0.5 * Math.exp(b.sprt[0] ?? 0) + 0.5 * Math.exp(b.restart[0] ?? 0));
    expect(subjectScore(b, 0, SHAPE).score).toBeCloseTo(expected, 12);
    expect(subjectScoreUpperBound(b, 0, SHAPE)).toBeGreaterThanOrEqual(expected);
  });
});
