import { describe, expect, it } from "vitest";
import { detector } from "./detector.ts";
import { baselinesOf, DEFAULT_CONFIG, run, sequence, type TestFleet, ticksOf } from "./detector-test-fleet.ts";
import type { NodeTick } from "./types.ts";

const healthy = (): number => 0.02;

describe("sequential detector", () => {
  it("halts when one candidate fails 50% while the fleet fails 2%", () => {
    const fleet: TestFleet = { legacy: 10, candidates: 10, requests: 10, rate: (node) => (node === "c3" ? 0.5 : 0.02) };
    const { firstBreachTick, breachVerdict } = run(fleet, 60);
    expect(firstBreachTick).toBeGreaterThanOrEqual(0);
    expect(firstBreachTick).toBeLessThan(15);
    const evidence = breachVerdict?.breaches[0];
    expect(evidence?.test).toBe("changed-node");
    expect(evidence?.subject).toBe("c3");
    expect(evidence?.score).toBeGreaterThanOrEqual(evidence?.threshold ?? Number.POSITIVE_INFINITY);
    expect(evidence?.referenceRate).toBeGreaterThan(0.015);
    expect(evidence?.referenceRate).toBeLessThan(0.04);
    expect(evidence?.rate).toBeCloseTo((evidence?.errors ?? 0) / (evidence?.requests ?? 1), 12);
    expect(evidence?.observedRatio).toBeCloseTo((evidence?.rate ?? 0) / (evidence?.referenceRate ?? 1), 12);
  });

  it("does not halt a healthy fleet of identical nodes", () => {
    const fleet: TestFleet = { legacy: 10, candidates: 10, requests: 10, rate: healthy };
    expect(run(fleet, 600, 7).firstBreachTick).toBe(-1);
  });

  it("does not halt without the minimum evidence: every request of a new node failing, twice", () => {
    const config = DEFAULT_CONFIG;
    let state = detector.init(config, baselinesOf({ legacy: 10, candidates: 0, requests: 10, rate: healthy }));
    const next = sequence(3);
    for (let tick = 0; tick < 2; tick++) {
      const ticks = ticksOf({ legacy: 10, candidates: 0, requests: 10, rate: healthy }, tick, next);
      ticks.push({ node: "c0", cohort: "candidate", changed: true, requests: 2, errors: 2, expectsTraffic: true });
      const result = detector.step(state, config, (tick + 1) * 1000, ticks);
      expect(result.verdict.breaches).toEqual([]);
      state = result.state;
    }
  });

  it("gives identical verdicts after a JSON round trip of the state mid-stream", () => {
    const fleet: TestFleet = {
      legacy: 6,
      candidates: 6,
      requests: 12,
      rate: (node, tick) => (node === "c1" && tick > 40 ? 0.4 : 0.02),
    };
    const next = sequence(11);
    const ticks = Array.from({ length: 80 }, (_, tick) => ticksOf(fleet, tick, next));
    let direct = detector.init(DEFAULT_CONFIG, baselinesOf(fleet));
    let roundTripped = direct;
    for (let tick = 0; tick < ticks.length; tick++) {
      const a = detector.step(direct, DEFAULT_CONFIG, (tick + 1) * 1000, ticks[tick] ?? []);
      const b = detector.step(roundTripped, DEFAULT_CONFIG, (tick + 1) * 1000, ticks[tick] ?? []);
      expect(b.verdict).toEqual(a.verdict);
      direct = a.state;
      roundTripped = JSON.parse(JSON.stringify(b.state));
    }
  });

  it("never mutates the state it is given", () => {
    const fleet: TestFleet = { legacy: 3, candidates: 3, requests: 10, rate: healthy };
    const state = detector.init(DEFAULT_CONFIG, baselinesOf(fleet));
    const before = JSON.stringify(state);
    detector.step(state, DEFAULT_CONFIG, 1000, ticksOf(fleet, 0, sequence(1)));
    expect(JSON.stringify(state)).toBe(before);
  });

  it("treats negative, NaN and impossible counts as no evidence, never as negative rates", () => {
    let state = detector.init(DEFAULT_CONFIG, [{ node: "l0", requests: -5, errors: 3 }]);
    const ticks: NodeTick[] = [
      { node: "l0", cohort: "legacy", changed: false, requests: -100, errors: -3, expectsTraffic: false },
      { node: "c0", cohort: "candidate", changed: true, requests: Number.NaN, errors: 4, expectsTraffic: false },
      { node: "c1", cohort: "candidate", changed: true, requests: 3, errors: 9, expectsTraffic: false },
    ];
    for (let tick = 0; tick < 5; tick++) {
      const result = detector.step(state, DEFAULT_CONFIG, (tick + 1) * 1000, ticks);
      for (const value of Object.values(result.verdict.scores)) expect(value).toBeGreaterThanOrEqual(0);
      for (const evidence of result.verdict.breaches) expect(evidence.rate).toBeGreaterThanOrEqual(0);
      state = result.state;
    }
    expect(detector.preflight(DEFAULT_CONFIG, [{ node: "x", requests: -1, errors: -1 }])).toEqual([]);
  });

  it("reports a candidate that expects traffic but gets none as blind", () => {
    let state = detector.init(DEFAULT_CONFIG, []);
    const blindAt: number[] = [];
    for (let tick = 0; tick < 4; tick++) {
      const ticks: NodeTick[] = [
        { node: "a", cohort: "legacy", changed: false, requests: 8, errors: 0, expectsTraffic: true },
        { node: "b", cohort: "legacy", changed: false, requests: 8, errors: 0, expectsTraffic: true },
        { node: "c", cohort: "candidate", changed: true, requests: 0, errors: 0, expectsTraffic: true },
        { node: "d", cohort: "candidate", changed: true, requests: 0, errors: 0, expectsTraffic: false },
      ];
      const result = detector.step(state, DEFAULT_CONFIG, (tick + 1) * 1000, ticks);
      if (result.verdict.blindNodes.includes("c")) blindAt.push(tick);
      expect(result.verdict.blindNodes).not.toContain("d");
      state = result.state;
    }
    // Fleet mean 6 requests per tick (a, b and c expect traffic): blind once 10 expected requests were missed.
    expect(blindAt).toEqual([1, 2, 3]);
  });

  it("does not halt on a legacy node that was already bad before the operation, and preflight reports it", () => {
    const fleet: TestFleet = {
      legacy: 10,
      candidates: 10,
      requests: 10,
      rate: (node) => (node === "l0" ? 0.08 : 0.02),
    };
    expect(run(fleet, 600, 5).firstBreachTick).toBe(-1);
    const reported = detector.preflight(DEFAULT_CONFIG, baselinesOf(fleet));
    expect(reported.map((e) => e.subject)).toEqual(["l0"]);
    expect(reported[0]?.observedRatio).toBeGreaterThan(3);
  });

  it("halts when a legacy node turns bad under the operation", () => {
    const fleet: TestFleet = {
      legacy: 10,
      candidates: 10,
      requests: 10,
      rate: (node, tick) => (node === "l2" && tick >= 200 ? 0.5 : 0.02),
    };
    const { firstBreachTick, breachVerdict } = run(fleet, 400, 9);
    expect(firstBreachTick).toBeGreaterThanOrEqual(200);
    expect(firstBreachTick).toBeLessThan(215);
    expect(breachVerdict?.breaches[0]?.test).toBe("untouched-node");
    expect(breachVerdict?.breaches[0]?.subject).toBe("l2");
  });

  it("holds a legacy node with an ordinary baseline to the fleet's bar, not to its own", () => {
    // l2 served 3.5% before the operation: above the fleet's 2% but below preflight's bar (√5 × 2%), so not divergent.
    const fleet: TestFleet = {
      legacy: 10,
      candidates: 10,
      requests: 10,
      rate: (node, tick) => (node === "l2" ? (tick >= 200 ? 0.5 : 0.035) : 0.02),
    };
    expect(detector.preflight(DEFAULT_CONFIG, baselinesOf(fleet))).toEqual([]);
    const evidence = run(fleet, 400, 9).breachVerdict?.breaches[0];
    expect(evidence?.subject).toBe("l2");
    expect(evidence?.referenceRate).toBeLessThan(0.025);
  });

  it("does not halt when the whole fleet blips to 15% for 30 s", () => {
    const fleet: TestFleet = {
      legacy: 10,
      candidates: 10,
      requests: 10,
      rate: (_, tick) => (tick >= 100 && tick < 130 ? 0.15 : 0.02),
    };
    expect(run(fleet, 300, 13).firstBreachTick).toBe(-1);
  });

  it("halts on a candidate cohort at 8% against legacy at 2%", () => {
    const fleet: TestFleet = {
      legacy: 10,
      candidates: 10,
      requests: 10,
      rate: (node) => (node.startsWith("c") ? 0.08 : 0.02),
    };
    const { firstBreachTick, breachVerdict } = run(fleet, 300, 17);
    expect(firstBreachTick).toBeGreaterThanOrEqual(0);
    expect(breachVerdict?.breaches.map((e) => e.test)).toContain("cohort");
  });

  it("scores the nodes with evidence against them for the heat map, the others read as 0", () => {
    const fleet: TestFleet = { legacy: 4, candidates: 4, requests: 10, rate: (node) => (node === "c1" ? 0.25 : 0.02) };
    const { verdict } = run(fleet, 1);
    const scores = verdict?.scores ?? {};
    expect(scores.c1).toBeGreaterThan(0);
    expect(scores.c1).toBeLessThan(1);
    expect(scores.l0 ?? 0).toBe(0);
    for (const value of Object.values(scores)) expect(value).toBeGreaterThan(0);
  });
});

describe("ratio mode (the seed's literal rule)", () => {
  const config = { ...DEFAULT_CONFIG, mode: "ratio" as const, minRequests: 20 };

  it("halts when a node's windowed rate exceeds ratio × the fleet's, once it has minRequests", () => {
    let state = detector.init(config, []);
    const step = (tick: number, errors: number) => {
      const ticks: NodeTick[] = Array.from({ length: 10 }, (_, i) => ({
        node: `l${i}`,
        cohort: "legacy" as const,
        changed: false,
        requests: 10,
        errors: i === 0 ? 1 : 0,
        expectsTraffic: true,
      }));
      ticks.push({ node: "c", cohort: "candidate", changed: true, requests: 10, errors, expectsTraffic: true });
      const result = detector.step(state, config, (tick + 1) * 1000, ticks);
      state = result.state;
      return result.verdict;
    };
    expect(step(0, 5).breaches).toEqual([]);
    const verdict = step(1, 5);
    expect(verdict.breaches).toHaveLength(1);
    expect(verdict.breaches[0]).toMatchObject({ test: "ratio", subject: "c", requests: 20, errors: 10, threshold: 5 });
    expect(verdict.breaches[0]?.referenceRate).toBeCloseTo(12 / 220, 12);
  });

  it("rejects a state of the other mode", () => {
    const state = detector.init(DEFAULT_CONFIG, []);
    expect(() => detector.step(state, config, 1000, [])).toThrow(/mode/);
  });
});
