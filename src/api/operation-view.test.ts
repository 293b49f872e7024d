import { describe, expect, it } from "vitest";
import { stage, testPlan } from "../engine/test-kit.ts";
import type { Intent, OperationState, Phase } from "../engine/types.ts";
import type { OperationRecord } from "../store/store.ts";
import { consumersOf, currentStageName, detail } from "./operation-view.ts";

const plan = testPlan({
  consumers: ["billing"],
  stages: [stage("canary-10"), stage("half-50", { confirmedBy: ["alice"] }), stage("full-100")],
});
const intent: Intent = { idempotencyKey: "k", action: { type: "weight", params: {} }, intendedAtMs: 0, attempts: 1 };
const record = {
  id: "op",
  planName: plan.name,
  domain: plan.domain,
  planHash: "h",
  status: "running",
  createdAtMs: 0,
  updatedAtMs: 0,
} as OperationRecord;

function state(phase: Phase, sealed: number): OperationState {
  return {
    operationId: "op",
    phase,
    applied: [],
    gateChecks: [],
    stageTimes: Array.from({ length: sealed }, () => ({ startedAtMs: 1, sealedAtMs: 2 })),
    internal: {},
  };
}
const doors = (s: OperationState) => detail(record, s, plan, "", true).stages.map((x) => x.door);
const at = (index: number) => ({ track: "forward" as const, index });

describe("stage doors", () => {
  it("shows sealed, open, sealing and queued doors along the forward track", () => {
    expect(doors(state({ kind: "pending" }, 0))).toEqual(["pending", "pending", "pending"]);
    expect(doors(state({ kind: "applying", cursor: at(1), intent }, 1))).toEqual(["sealed", "open", "pending"]);
    expect(doors(state({ kind: "sealing", cursor: at(1), intent, appliedAtMs: 1 }, 1))).toEqual([
      "sealed",
      "sealing",
      "pending",
    ]);
    const waiting: Phase = { kind: "waiting", cursor: at(2), reason: { code: "ready", message: "" }, sinceMs: 0 };
    expect(doors(state(waiting, 2))).toEqual(["sealed", "sealed", "queued"]);
    expect(doors(state({ kind: "completed", atMs: 3 }, 3))).toEqual(["sealed", "sealed", "sealed"]);
  });

  it("marks the interrupted stage halted and reports the halt with its evidence", () => {
    const interrupted: Phase = { kind: "sealing", cursor: at(1), intent, appliedAtMs: 1 };
    const reason = { code: "supercriticality", message: "v2-a errors", evidence: { node: "v2-a" } };
    const view = detail(record, state({ kind: "halted", reason, sinceMs: 5, interrupted }, 1), plan, "halted", false);
    expect(view.stages.map((s) => s.door)).toEqual(["sealed", "halted", "pending"]);
    expect(view.halt).toEqual({ ...reason, sinceMs: 5 });
    expect(view.cursor).toEqual({ track: "forward", index: 1, name: "half-50", total: 3 });
  });
});

describe("acknowledgers", () => {
  it("lists consumers and every stage's approvers, and the stage an ack refers to", () => {
    expect(consumersOf(plan)).toEqual(["billing", "alice"]);
    expect(currentStageName(state({ kind: "sealing", cursor: at(1), intent, appliedAtMs: 1 }, 1), plan)).toBe(
      "half-50",
    );
    expect(currentStageName(state({ kind: "completed", atMs: 1 }, 3), plan)).toBeUndefined();
  });
});
