import { describe, expect, it } from "vitest";
import type { ActionSpec } from "../target.ts";
import type { TrafficConfig } from "./traffic-config.ts";
import { trafficDefaultGates } from "./traffic-gates.ts";
import { planTrafficRollback } from "./traffic-rollback.ts";

const config: TrafficConfig = { legacy: "v1-*", candidate: "v2-*", fullWeight: 100 };
const withProvision: TrafficConfig = { ...config, hooks: { provision: { command: ["true"] } } };

const weight = (candidatePercent: number): ActionSpec => ({ type: "weight", params: { candidatePercent } });
const batch = (type: string, params: ActionSpec["params"]): ActionSpec => ({ type, params });

describe("traffic rollback planning", () => {
  it("plans nothing when nothing was applied", () => {
    expect(planTrafficRollback([], config)).toEqual({ steps: [] });
  });

  it("takes the candidate out of service in one step after a weight rollout, sealed when it has drained", () => {
    const plan = planTrafficRollback([weight(10), weight(50)], config);
    expect(plan.stopsAt).toBeUndefined();
    expect(plan.steps).toHaveLength(1);
    const [step] = plan.steps;
    expect(step?.action).toEqual({ type: "weight", params: { candidatePercent: 0 } });
    expect(step?.gates.conditions?.drained?.map((c) => [c.sensor, c.where, c.op, c.threshold])).toEqual([
      ["target.sessions", { cohort: "candidate" }, "<=", 0],
      ["target.displaced", undefined, "<=", 0],
    ]);
  });

  it("restores drained and quiesced legacy servers first, at the last split, then takes the candidate out", () => {
    const applied = [
      weight(100),
      batch("drain", { servers: ["v1-b", "v1-a"] }),
      batch("quiesce", { servers: ["v1-a", "v1-b"] }),
    ];
    const plan = planTrafficRollback(applied, config);
    expect(plan.steps.map((step) => step.name)).toEqual(["restore-legacy", "candidate-out-of-service"]);
    expect(plan.steps[0]?.action).toEqual({
      type: "restore-legacy",
      params: { candidatePercent: 100, servers: ["v1-a", "v1-b"] },
    });
    expect(plan.steps[0]?.gates.conditions?.ready?.[0]).toMatchObject({
      sensor: "target.up",
      expectNodes: ["v1-a", "v1-b"],
      where: { cohort: "legacy", adminState: "ready" },
    });
  });

  it("restores retired legacy servers through the provision hook when there is one", () => {
    const applied = [weight(100), batch("drain", { servers: ["v1-a"] }), batch("retire", { servers: ["v1-a"] })];
    const plan = planTrafficRollback(applied, withProvision);
    expect(plan.stopsAt).toBeUndefined();
    expect(plan.steps.map((step) => step.action.type)).toEqual(["restore-legacy", "weight"]);
  });

  it("stops before taking the candidate out when retired legacy servers cannot be provisioned again", () => {
    const applied = [
      weight(100),
      batch("drain", { servers: ["v1-a", "v1-b"] }),
      batch("retire", { servers: ["v1-a"] }),
    ];
    const plan = planTrafficRollback(applied, config);
    expect(plan.steps.map((step) => step.action)).toEqual([
      { type: "restore-legacy", params: { candidatePercent: 100, servers: ["v1-b"] } },
    ]);
    expect(plan.stopsAt).toContain("retired v1-a cannot be restored: no provision hook");
  });

  it("restores every non-ready legacy server when batches were picked by count", () => {
    const plan = planTrafficRollback([weight(50), batch("drain", { count: 2 })], config);
    expect(plan.steps[0]?.action).toEqual({ type: "restore-legacy", params: { candidatePercent: 50 } });
    expect(plan.steps[0]?.gates.conditions?.ready?.[0]?.where).toEqual({ cohort: "legacy", adminState: "ready" });
  });

  it("takes provisioned candidates out of service even without a weight action", () => {
    const plan = planTrafficRollback([batch("provision", { servers: ["v2-c"] })], withProvision);
    expect(plan.steps.map((step) => step.name)).toEqual(["candidate-out-of-service"]);
  });
});

describe("traffic default gates", () => {
  it("weight: every candidate with weight is UP, and no displaced requests; no ready gate at 0%", () => {
    const gates = trafficDefaultGates(weight(10), config);
    expect(gates.conditions?.ready?.[0]).toMatchObject({
      sensor: "target.up",
      where: { cohort: "candidate", routable: "1" },
      aggregate: "every",
      op: ">=",
      threshold: 1,
    });
    expect(gates.conditions?.drained?.[0]).toMatchObject({ sensor: "target.displaced", aggregate: "sum", op: "<=" });
    expect(trafficDefaultGates(weight(0), config).conditions?.ready).toBeUndefined();
  });

  it("drain and quiesce wait on drained servers, expecting the named ones", () => {
    expect(trafficDefaultGates(batch("drain", { servers: ["v1-a"] }), config).conditions?.drained?.[0]).toMatchObject({
      sensor: "target.sessions",
      where: { adminState: "drain" },
      aggregate: "sum",
      expectNodes: ["v1-a"],
    });
    expect(trafficDefaultGates(batch("quiesce", { count: 1 }), config).conditions?.drained?.[0]).toMatchObject({
      sensor: "target.drain_report",
      where: { adminState: "drain" },
      aggregate: "every",
    });
  });

  it("provision waits for every provisioned server to be ready and UP; retire adds nothing", () => {
    expect(trafficDefaultGates(batch("provision", { servers: ["v2-c"] }), config).conditions?.ready).toEqual([
      {
        sensor: "target.up",
        op: ">=",
        threshold: 1,
        consecutive: 1,
        aggregate: "every",
        where: { cohort: "candidate", adminState: "ready" },
        expectNodes: ["v2-c"],
        label: "provisioned servers are UP (candidate)",
      },
    ]);
    expect(trafficDefaultGates(batch("retire", { count: 1 }), config)).toEqual({});
  });
});
