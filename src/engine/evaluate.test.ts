import { describe, expect, it } from "vitest";
import { evaluateCondition } from "./evaluate.ts";
import { condition, failed, scalar, vector } from "./test-kit.ts";

const labels = {
  "v1-a": { cohort: "legacy" },
  "v1-b": { cohort: "legacy" },
  "v2-a": { cohort: "candidate" },
};
const sessions = vector({ "v1-a": 3, "v1-b": 140, "v2-a": 9 }, 0, labels);

describe("evaluateCondition", () => {
  it("compares a scalar with the threshold", () => {
    expect(evaluateCondition(condition("s1", "<=", 50), { s1: scalar(50, 0) })).toEqual({
      kind: "pass",
      observed: "50",
    });
    expect(evaluateCondition(condition("s1", "<", 50), { s1: scalar(50, 0) })).toEqual({
      kind: "fail",
      observed: "50",
    });
  });

  it("aggregates a vector (sum, max, min, avg)", () => {
    const value = (aggregate: "sum" | "max" | "min" | "avg") =>
      evaluateCondition(condition("s", ">=", 0, { aggregate }), { s: sessions }).observed;
    expect([value("sum"), value("max"), value("min"), value("avg")]).toEqual(["152", "140", "3", "50.667"]);
  });

  it("filters a vector by labels with where", () => {
    const legacy = condition("s", "<=", 50, { where: { cohort: "legacy" } });
    expect(evaluateCondition(legacy, { s: sessions })).toEqual({ kind: "fail", observed: "143" });
  });

  it("with every, fails naming the nodes over the threshold", () => {
    const each = condition("s", "<=", 5, { aggregate: "every" });
    expect(evaluateCondition(each, { s: sessions })).toEqual({ kind: "fail", observed: "v1-b=140, v2-a=9" });
    expect(evaluateCondition({ ...each, threshold: 500 }, { s: sessions })).toEqual({
      kind: "pass",
      observed: "3/3 nodes",
    });
  });

  it("fails closed: a missing, failed or empty reading is an error, never a pass", () => {
    const c = condition("s", "<=", 1_000);
    expect(evaluateCondition(c, {})).toMatchObject({ kind: "error", code: "missing" });
    expect(evaluateCondition(c, { s: failed("timeout", 0) })).toMatchObject({ kind: "error", code: "timeout" });
    expect(evaluateCondition(c, { s: vector({}, 0) })).toMatchObject({ kind: "error", code: "empty" });
    const none = condition("s", "<=", 1_000, { where: { cohort: "canary" } });
    expect(evaluateCondition(none, { s: sessions })).toMatchObject({ kind: "error", code: "empty" });
  });

  it("fails closed when an expected node is missing from the vector", () => {
    const c = condition("s", "<=", 1_000, { expectNodes: ["v1-a", "v1-c"] });
    expect(evaluateCondition(c, { s: sessions })).toMatchObject({ kind: "error", code: "missing-node" });
  });

  it("fails closed on a scalar where nodes are expected, and on NaN", () => {
    expect(evaluateCondition(condition("s", "<=", 1, { expectNodes: ["a"] }), { s: scalar(0, 0) })).toMatchObject({
      code: "not-vector",
    });
    expect(evaluateCondition(condition("s", "<=", 1), { s: scalar(Number.NaN, 0) })).toMatchObject({
      code: "not-a-number",
    });
  });

  it("divides by a second sensor, and a zero divisor is an error", () => {
    const ratio = condition("p99Candidate", "<=", 1.2, { divideBy: "p99Legacy" });
    expect(evaluateCondition(ratio, { p99Candidate: scalar(130, 0), p99Legacy: scalar(100, 0) })).toEqual({
      kind: "fail",
      observed: "1.3",
    });
    expect(evaluateCondition(ratio, { p99Candidate: scalar(130, 0), p99Legacy: scalar(0, 0) })).toMatchObject({
      code: "divide-by-zero",
    });
    expect(evaluateCondition(ratio, { p99Candidate: scalar(130, 0) })).toMatchObject({ code: "missing" });
  });

  it("divides node by node for every over two vectors", () => {
    const perNode = condition("errors", "<=", 0.1, { aggregate: "every", divideBy: "requests" });
    const readings = { errors: vector({ a: 1, b: 5 }, 0), requests: vector({ a: 100, b: 10 }, 0) };
    expect(evaluateCondition(perNode, readings)).toEqual({ kind: "fail", observed: "b=0.5" });
    expect(evaluateCondition(perNode, { ...readings, requests: vector({ a: 100 }, 0) })).toMatchObject({
      code: "missing-node",
    });
  });
});
