import { describe, expect, it } from "vitest";
import { counterStep } from "./counters.ts";
import { failed, scalar, vector } from "./test-kit.ts";

describe("counterStep", () => {
  it("sets the baseline on the first reading and gives no delta yet", () => {
    const first = counterStep(undefined, scalar(100, 0));
    expect(first.delta).toMatchObject({ ok: false, code: "baseline" });
    expect(first.baseline).toEqual({ "": 100 });
  });

  it("turns a cumulative scalar into the increase since the last reading", () => {
    const next = counterStep({ "": 100 }, scalar(130, 1_000));
    expect(next.delta).toEqual(scalar(30, 1_000));
    expect(next.baseline).toEqual({ "": 130 });
  });

  it("treats a decrease as a reset: new baseline, delta counted from zero, never negative", () => {
    const reset = counterStep({ "": 1_000 }, scalar(7, 1_000));
    expect(reset.delta).toEqual(scalar(7, 1_000));
    expect(reset.baseline).toEqual({ "": 7 });
  });

  it("computes per-node deltas; a new node waits for its baseline; an absent node keeps its own", () => {
    const labels = { a: { cohort: "legacy" }, b: { cohort: "legacy" }, c: { cohort: "candidate" } };
    const step = counterStep({ a: 10, b: 50 }, vector({ a: 15, c: 4 }, 1_000, labels));
    expect(step.delta).toEqual(vector({ a: 5 }, 1_000, labels));
    expect(step.baseline).toEqual({ a: 15, b: 50, c: 4 });
  });

  it("passes failed readings through and keeps the baseline", () => {
    const step = counterStep({ "": 3 }, failed("timeout", 0));
    expect(step.delta).toMatchObject({ ok: false, code: "timeout" });
    expect(step.baseline).toEqual({ "": 3 });
  });
});
