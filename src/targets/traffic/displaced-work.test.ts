import { describe, expect, it } from "vitest";
import { countDisplaced } from "./displaced-work.ts";
import { PATTERNS, server, servers } from "./testing-servers.ts";

const fleet = servers("v1-a", "v1-b", "v2-a");
const APPLIED_AT_MS = 1_000_000;

function count(
  stageAction: { type: string; params: Record<string, unknown>; rollback: boolean } | undefined,
  sessions: { server: string; ageMs: number }[],
  nowMs = APPLIED_AT_MS + 5_000,
) {
  return countDisplaced({
    servers: fleet,
    sessions,
    patterns: PATTERNS,
    nowMs,
    ...(stageAction === undefined ? {} : { stageAction, stageAppliedAtMs: APPLIED_AT_MS }),
  });
}

describe("displaced work", () => {
  const sessions = [
    { server: "v1-a", ageMs: 9_000 }, // started 4 s before the action
    { server: "v1-a", ageMs: 1_000 }, // started after it
    { server: "v1-b", ageMs: 5_001 },
    { server: "v2-a", ageMs: 60_000 },
  ];

  it("counts legacy requests older than the forward weight action, and nothing on candidates", () => {
    const result = count({ type: "weight", params: { candidatePercent: 25 }, rollback: false }, sessions);
    expect(result).toMatchObject({ ok: true, values: { "v1-a": 1, "v1-b": 1, "v2-a": 0 } });
    expect(result.ok && result.detail).toContain("2 request(s) from before the weight action");
  });

  it("counts candidate requests for a rollback weight action (the candidate taken out of service)", () => {
    expect(count({ type: "weight", params: { candidatePercent: 0 }, rollback: true }, sessions)).toMatchObject({
      values: { "v1-a": 0, "v1-b": 0, "v2-a": 1 },
    });
  });

  it("counts only the drained servers for a drain action", () => {
    expect(count({ type: "drain", params: { servers: ["v1-b"] }, rollback: false }, sessions)).toMatchObject({
      values: { "v1-a": 0, "v1-b": 1, "v2-a": 0 },
    });
  });

  it("counts every draining legacy server for a drain by count", () => {
    const draining = [server("v1-a", { adminState: "drain" }), server("v1-b"), server("v2-a")];
    const result = countDisplaced({
      servers: draining,
      sessions,
      patterns: PATTERNS,
      nowMs: APPLIED_AT_MS + 5_000,
      stageAppliedAtMs: APPLIED_AT_MS,
      stageAction: { type: "drain", params: { count: 1 }, rollback: false },
    });
    expect(result).toMatchObject({ values: { "v1-a": 1, "v1-b": 0, "v2-a": 0 } });
  });

  it("is 0 on every server outside a sealing stage, and says so", () => {
    expect(count(undefined, sessions)).toEqual({
      ok: true,
      values: { "v1-a": 0, "v1-b": 0, "v2-a": 0 },
      detail: "no stage is sealing: no work is displaced",
    });
  });

  it("reaches 0 once the displaced requests have finished, while newer ones keep running", () => {
    const newer = [{ server: "v1-a", ageMs: 2_000 }];
    expect(count({ type: "weight", params: { candidatePercent: 50 }, rollback: false }, newer)).toMatchObject({
      values: { "v1-a": 0, "v1-b": 0, "v2-a": 0 },
    });
  });

  it("reduces no share for quiesce, provision or restore-legacy", () => {
    for (const stageAction of [
      { type: "quiesce", params: { count: 1 }, rollback: false },
      { type: "provision", params: { servers: ["v2-a"] }, rollback: false },
      { type: "restore-legacy", params: { candidatePercent: 50 }, rollback: true },
    ]) {
      expect(count(stageAction, sessions)).toMatchObject({ values: { "v1-a": 0, "v1-b": 0, "v2-a": 0 } });
    }
  });

  it("fails on an action that is not a traffic action", () => {
    expect(count({ type: "run", params: {}, rollback: false }, sessions)).toMatchObject({ ok: false });
  });
});
