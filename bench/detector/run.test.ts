import { describe, expect, it } from "vitest";
import { runBenchmark } from "./benchmark.ts";
import { clopperPearsonUpper, quantile, table } from "./summary.ts";

describe("detector benchmark (tiny configuration)", () => {
  it("runs every scenario and detector and reports in the issue's shape", async () => {
    const results = await runBenchmark({ scale: 0.0001, workers: 0, ticks: 40, timingNodes: 200 });
    expect(Object.keys(results.detectors).sort()).toEqual([
      "airlock-sequential",
      "consecutive-5xx",
      "envoy-success-rate",
      "seed-ratio-min0",
      "seed-ratio-min20",
    ]);
    const airlock = results.detectors["airlock-sequential"];
    expect(airlock?.falseHaltRate).toBeGreaterThanOrEqual(0);
    expect(airlock?.falseHaltUpper95AtAlpha01).toBeLessThanOrEqual(1);
    const keys = Object.keys(airlock?.scenarios ?? {});
    expect(keys).toContain("healthy/n=20/alpha=0.001");
    expect(keys).toContain("healthy/n=1000/alpha=0.01");
    expect(keys).toContain("one-bad/n=20");
    const oneBad = airlock?.scenarios["one-bad/n=20"];
    expect(oneBad?.operations).toBe(2);
    expect(oneBad?.detectionRate).not.toBeNull();
    expect(results.evaluate10kNodesMsMedian).toBeGreaterThan(0);
    expect(table(results.detectors).split("\n").length).toBeGreaterThan(10);
  });

  it("bounds a false-halt rate the Clopper–Pearson way", () => {
    expect(clopperPearsonUpper(0, 1000)).toBeCloseTo(1 - 0.025 ** (1 / 1000), 6);
    expect(clopperPearsonUpper(5, 5)).toBe(1);
    expect(quantile([5, 1, 3, 2, 4], 0.5)).toBe(3);
  });
});
