import { describe, expect, it } from "vitest";
import { cohortOf, isUp, matchesGlob, restoreSelection, selectServers, serverLabels } from "./server-sets.ts";
import { PATTERNS, server, servers } from "./testing-servers.ts";

describe("server sets", () => {
  it("matches globs on whole names, with * and ? and literal dots", () => {
    expect(matchesGlob("v1-*", "v1-a")).toBe(true);
    expect(matchesGlob("v1-*", "xv1-a")).toBe(false);
    expect(matchesGlob("app.v?", "app.v2")).toBe(true);
    expect(matchesGlob("app.v?", "appxv2")).toBe(false);
  });

  it("classifies servers into legacy, candidate and other, a name matching both being a candidate", () => {
    expect(cohortOf("v1-a", PATTERNS)).toBe("legacy");
    expect(cohortOf("v2-a", PATTERNS)).toBe("candidate");
    expect(cohortOf("canary", PATTERNS)).toBe("other");
    expect(cohortOf("v2-a", { legacy: "*", candidate: "v2-*" })).toBe("candidate");
  });

  it("labels a server with cohort, admin state, weight, routability and status", () => {
    expect(serverLabels(server("v2-a", { weight: 0 }), PATTERNS)).toEqual({
      cohort: "candidate",
      adminState: "ready",
      weight: "0",
      routable: "0",
      status: "UP",
    });
    expect(serverLabels(server("v1-a", { adminState: "drain", status: "DRAIN" }), PATTERNS).routable).toBe("0");
  });

  it("counts only health-checked healthy servers as up", () => {
    expect(["UP", "UP 1/3", "DRAIN", "NOLB"].map(isUp)).toEqual([true, true, true, true]);
    expect(["DOWN", "MAINT", "no check", "DOWN 1/2"].map(isUp)).toEqual([false, false, false, false]);
  });

  describe("batch selection", () => {
    const fleet = servers("v1-d", "v1-b", "v1-a", "v1-c", "v2-a");

    it("drain count picks the first ready legacy servers by name, and the same ones once they drain", () => {
      const first = selectServers({ type: "drain", count: 2 }, fleet, PATTERNS);
      expect(first).toEqual({ ok: true, value: ["v1-a", "v1-b"] });
      const afterDrain = fleet.map((s) =>
        ["v1-a", "v1-b"].includes(s.name) ? { ...s, adminState: "drain" as const } : s,
      );
      expect(selectServers({ type: "drain", count: 2 }, afterDrain, PATTERNS)).toEqual(first);
    });

    it("drain count after a retired batch picks the next batch", () => {
      const afterRetire = fleet.map((s) =>
        ["v1-a", "v1-b"].includes(s.name) ? { ...s, adminState: "maint" as const } : s,
      );
      expect(selectServers({ type: "drain", count: 2 }, afterRetire, PATTERNS)).toEqual({
        ok: true,
        value: ["v1-c", "v1-d"],
      });
    });

    it("quiesce and retire count act on the draining batch; a finished retire selects nothing", () => {
      const draining = fleet.map((s) => (s.name === "v1-c" ? { ...s, adminState: "drain" as const } : s));
      expect(selectServers({ type: "quiesce", count: 1 }, draining, PATTERNS)).toEqual({ ok: true, value: ["v1-c"] });
      expect(selectServers({ type: "retire", count: 1 }, draining, PATTERNS)).toEqual({ ok: true, value: ["v1-c"] });
      const retired = fleet.map((s) => (s.name === "v1-c" ? { ...s, adminState: "maint" as const } : s));
      expect(selectServers({ type: "retire", count: 1 }, retired, PATTERNS)).toEqual({ ok: true, value: [] });
      expect(selectServers({ type: "retire", count: 1 }, fleet, PATTERNS)).toMatchObject({ ok: false });
    });

    it("refuses named servers that are unknown, not legacy, or in a state the action does not take", () => {
      expect(selectServers({ type: "drain", servers: ["v1-z"] }, fleet, PATTERNS)).toMatchObject({
        code: "unknown-server",
        retryable: false,
      });
      expect(selectServers({ type: "drain", servers: ["v2-a"] }, fleet, PATTERNS)).toMatchObject({
        code: "not-legacy",
      });
      expect(selectServers({ type: "quiesce", servers: ["v1-a"] }, fleet, PATTERNS)).toMatchObject({
        code: "wrong-state",
      });
      expect(selectServers({ type: "retire", servers: ["v1-a"] }, fleet, PATTERNS)).toMatchObject({
        code: "wrong-state",
      });
    });

    it("restores named legacy servers, or every legacy server that is not ready", () => {
      const mixed = [server("v1-a", { adminState: "maint" }), server("v1-b", { adminState: "drain" }), server("v1-c")];
      expect(restoreSelection(undefined, mixed, PATTERNS)).toEqual({ ok: true, value: ["v1-a", "v1-b"] });
      expect(restoreSelection(["v1-b"], mixed, PATTERNS)).toEqual({ ok: true, value: ["v1-b"] });
      expect(restoreSelection(["v2-a"], [...mixed, server("v2-a")], PATTERNS)).toMatchObject({ code: "not-legacy" });
    });
  });
});
