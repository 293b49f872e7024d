import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { detector } from "./detector.ts";
import { baselinesOf, DEFAULT_CONFIG, run, sequence, type TestFleet, ticksOf } from "./detector-test-fleet.ts";

describe("detector properties", () => {
  it("rarely halts healthy fleets of identical nodes (fixed seeds)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.integer({ min: 4, max: 30 }), (seed, requests) => {
        const fleet: TestFleet = { legacy: 5, candidates: 5, requests, rate: () => 0.02 };
        return run(fleet, 120, seed).firstBreachTick === -1;
      }),
      { seed: 20_261_126, numRuns: 25 },
    );
  });

  it("never lowers a candidate's score when it has more errors in a tick", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 0, max: 40 }),
        (seed, requests, a, b) => {
          const fleet: TestFleet = { legacy: 4, candidates: 3, requests: 10, rate: () => 0.03 };
          const next = sequence(seed);
          let state = detector.init(DEFAULT_CONFIG, baselinesOf(fleet));
          for (let tick = 0; tick < 20; tick++)
            state = detector.step(state, DEFAULT_CONFIG, (tick + 1) * 1000, ticksOf(fleet, tick, next)).state;
          const last = ticksOf(fleet, 20, next);
          const scoreWith = (errors: number): number => {
            const ticks = last.map((t) =>
              t.node === "c0" ? { ...t, requests, errors: Math.min(errors, requests) } : t,
            );
            return detector.step(state, DEFAULT_CONFIG, 21_000, ticks).verdict.scores.c0 ?? 0;
          };
          const [fewer, more] = a <= b ? [a, b] : [b, a];
          expect(scoreWith(more)).toBeGreaterThanOrEqual(scoreWith(fewer));
        },
      ),
      { seed: 7, numRuns: 60 },
    );
  });
});
