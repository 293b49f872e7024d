import { describe, expect, it } from "vitest";
import { actionInPlace, type MatchContext } from "./action-match.ts";
import { PATTERNS, server } from "./testing-servers.ts";

const ctx: MatchContext = { patterns: PATTERNS, fullWeight: 100, terminateHook: true };

describe("whether an action is in place", () => {
  it("weight: every ready server carries the split's weight", () => {
    const at10 = [server("v1-a", { weight: 99 }), server("v1-b", { weight: 99 }), server("v2-a", { weight: 22 })];
    expect(actionInPlace({ type: "weight", candidatePercent: 10 }, at10, ctx)).toBe(true);
    expect(actionInPlace({ type: "weight", candidatePercent: 50 }, at10, ctx)).toBe(false);
  });

  it("drain: the selected servers are draining", () => {
    const fleet = [server("v1-a", { adminState: "drain" }), server("v1-b"), server("v2-a")];
    expect(actionInPlace({ type: "drain", servers: ["v1-a"] }, fleet, ctx)).toBe(true);
    expect(actionInPlace({ type: "drain", count: 1 }, fleet, ctx)).toBe(true);
    expect(actionInPlace({ type: "drain", count: 2 }, fleet, ctx)).toBe(false);
  });

  it("quiesce and retire: unknown without this instance's memo of the hooks, known with it", () => {
    const draining = [server("v1-a", { adminState: "drain" })];
    expect(actionInPlace({ type: "quiesce", servers: ["v1-a"] }, draining, ctx)).toBe("unknown");
    const memo = { servers: ["v1-a"], hooksDone: true };
    expect(actionInPlace({ type: "quiesce", servers: ["v1-a"] }, draining, { ...ctx, memo })).toBe(true);
    const retired = [server("v1-a", { adminState: "maint" })];
    expect(actionInPlace({ type: "retire", servers: ["v1-a"] }, retired, ctx)).toBe("unknown");
    expect(actionInPlace({ type: "retire", servers: ["v1-a"] }, retired, { ...ctx, terminateHook: false })).toBe(true);
    expect(actionInPlace({ type: "retire", servers: ["v1-a"] }, draining, ctx)).toBe(false);
  });

  it("provision: the servers are ready", () => {
    expect(actionInPlace({ type: "provision", servers: ["v2-c"] }, [server("v2-c")], ctx)).toBe(true);
    const maint = [server("v2-c", { adminState: "maint" })];
    expect(actionInPlace({ type: "provision", servers: ["v2-c"] }, maint, ctx)).toBe(false);
  });
});
