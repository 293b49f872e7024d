import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PATTERNS, server, servers } from "./testing-servers.ts";
import { computeWeights, splitTotals, spreadTotal } from "./weight-split.ts";

const weightsOf = (percent: number, list = servers("v1-a", "v1-b", "v1-c", "v2-a"), full = 100) => {
  const result = computeWeights(percent, list, PATTERNS, full);
  if (!result.ok) throw new Error(result.message);
  return Object.fromEntries(result.value);
};

describe("weight split", () => {
  it("gives the candidate exactly its share when the integers allow it", () => {
    expect(weightsOf(10)).toEqual({ "v1-a": 99, "v1-b": 99, "v1-c": 99, "v2-a": 33 });
    expect(weightsOf(50)).toEqual({ "v1-a": 34, "v1-b": 33, "v1-c": 33, "v2-a": 100 });
  });

  it("puts every server of a set at full weight at 0% and 100%", () => {
    expect(weightsOf(0)).toEqual({ "v1-a": 100, "v1-b": 100, "v1-c": 100, "v2-a": 0 });
    expect(weightsOf(100)).toEqual({ "v1-a": 0, "v1-b": 0, "v1-c": 0, "v2-a": 100 });
  });

  it("spreads a set's total evenly, the first names taking the remainder", () => {
    expect(Object.fromEntries(spreadTotal(7, ["a", "b", "c"]))).toEqual({ a: 3, b: 2, c: 2 });
  });

  it("leaves servers in drain or maint, and servers of neither set, out of the split", () => {
    const list = [server("v1-a"), server("v1-b", { adminState: "drain" }), server("v2-a"), server("canary-1")];
    expect(weightsOf(25, list)).toEqual({ "v1-a": 99, "v2-a": 33 });
  });

  it("refuses a share for a set without ready servers, not retryable", () => {
    const noCandidate = [server("v1-a"), server("v2-a", { adminState: "maint" })];
    expect(computeWeights(10, noCandidate, PATTERNS, 100)).toMatchObject({
      ok: false,
      code: "no-ready-servers",
      retryable: false,
    });
    expect(computeWeights(0, noCandidate, PATTERNS, 100).ok).toBe(true);
    expect(computeWeights(100, [server("v2-a")], PATTERNS, 100).ok).toBe(true);
  });

  it("keeps set totals within fullWeight per server and no integer split is closer to the share", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 100, noNaN: true }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 32 }),
        (percent, candidates, legacy, fullWeight) => {
          const { candidateTotal, legacyTotal } = splitTotals(percent, candidates, legacy, fullWeight);
          expect(candidateTotal).toBeLessThanOrEqual(candidates * fullWeight);
          expect(legacyTotal).toBeLessThanOrEqual(legacy * fullWeight);
          expect(candidateTotal > 0).toBe(percent > 0);
          expect(legacyTotal > 0).toBe(percent < 100);
          const error = (c: number, l: number) => Math.abs(c / (c + l) - percent / 100);
          let best = Number.POSITIVE_INFINITY;
          for (let c = percent > 0 ? 1 : 0; c <= (percent > 0 ? candidates * fullWeight : 0); c += 1) {
            for (let l = percent < 100 ? 1 : 0; l <= (percent < 100 ? legacy * fullWeight : 0); l += 1) {
              if (c + l > 0) best = Math.min(best, error(c, l));
            }
          }
          expect(error(candidateTotal, legacyTotal)).toBeLessThanOrEqual(best + 1e-12);
        },
      ),
    );
  });
});
