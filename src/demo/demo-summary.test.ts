import { describe, expect, it } from "vitest";
import type { StoredEvent } from "../store/store.ts";
import type { Json } from "../targets/target.ts";
import { haltEvidence, renderSummary, stageReports } from "./demo-summary.ts";

let seq = 0;
const event = (type: string, atMs: number, data: Json): StoredEvent => {
  seq += 1;
  return { operationId: "op", seq, type, atMs, data };
};

const breach = {
  test: "changed-node",
  subject: "v2-b",
  requests: 9,
  errors: 5,
  rate: 0.556,
  referenceRate: 0.007,
  observedRatio: 82.3,
  score: 10.1,
  threshold: 9.01,
};
const events = [
  event("StageStarted", 1000, { stage: "canary-10", track: "forward", index: 0 }),
  event("StageSealed", 5000, {
    stage: "canary-10",
    track: "forward",
    durationMs: 4000,
    gates: [{ gate: "drained", label: "displaced requests", waitedMs: 300 }],
  }),
  event("StageStarted", 5000, { stage: "half", track: "forward", index: 1 }),
  event("Halted", 6000, {
    code: "supercriticality",
    message: "guard supercriticality: v2-b ...",
    evidence: { guard: "supercriticality", breaches: [breach] },
  }),
  event("StageStarted", 6100, { stage: "candidate-out-of-service", track: "rollback", index: 0 }),
  event("StageSealed", 6600, { stage: "candidate-out-of-service", track: "rollback", gates: [] }),
];

describe("the demo's summary", () => {
  it("lists each stage with its duration and what each gate waited for; an unsealed stage says so", () => {
    expect(stageReports(events)).toEqual([
      {
        stage: "canary-10",
        track: "forward",
        startedAtMs: 1000,
        durationMs: 4000,
        waitedFor: [{ gate: "drained", label: "displaced requests", waitedMs: 300 }],
      },
      { stage: "half", track: "forward", startedAtMs: 5000, durationMs: null, waitedFor: [] },
      { stage: "candidate-out-of-service", track: "rollback", startedAtMs: 6100, durationMs: 500, waitedFor: [] },
    ]);
  });

  it("takes the halt evidence from the detector's first breach, naming the node", () => {
    expect(haltEvidence(events)).toMatchObject({
      code: "supercriticality",
      node: "v2-b",
      errors: 5,
      requests: 9,
      ratio: 82.3,
      score: 10.1,
    });
    expect(haltEvidence(events.slice(0, 2))).toBeUndefined();
  });

  it("renders the halt latency and the load generator's counts per phase", () => {
    const lines = renderSummary({
      router: "builtin",
      ratePerSecond: 150,
      dashboardUrl: null,
      totalMs: 30_000,
      scenarios: [
        {
          scenario: "bad",
          operation: "op",
          outcome: "rolled_back",
          durationMs: 7000,
          requests: 900,
          failedRequests: 6,
          phases: [
            {
              phase: "canary-10",
              requests: 300,
              failures: 6,
              failuresByReason: { "http-500": 6 },
              p50Ms: 5,
              p99Ms: 30,
            },
          ],
          stages: stageReports(events),
          badNode: "v2-b",
          haltLatencyMs: 2500,
          haltTimeline: {
            firstErrorAtMs: 3500,
            haltedAtMs: 5400,
            candidateOutAtMs: 6000,
            detectMs: 1900,
            outOfServiceMs: 600,
          },
        },
      ],
    });
    expect(lines).toContain("bad release: rolled back in 7.00 s (operation op)");
    expect(lines.some((line) => /canary-10 +300 requests +6 failed \(http-500 6\)/.test(line))).toBe(true);
    expect(lines).toContain(
      "  halt latency: first error on v2-b → Halted 1.90 s → candidate out of service 0.60 s (total 2.50 s)",
    );
  });
});
