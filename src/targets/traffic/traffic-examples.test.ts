import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parsePlan } from "../../plan/parse.ts";
import type { Plan } from "../../plan/types.ts";
import { sensorRegistry } from "../../sensors/registry.ts";
import { targetRegistry } from "../registry.ts";
import type { TargetDefinition } from "../target.ts";
import { builtinRouterTargetDefinition } from "./builtin-router-target.ts";
import { haproxyTargetDefinition } from "./haproxy-target.ts";

const registries = {
  sensors: sensorRegistry([]),
  targets: targetRegistry([haproxyTargetDefinition, builtinRouterTargetDefinition] as TargetDefinition[]),
};

function parseExample(file: string): Plan {
  const path = new URL(`../../../examples/${file}`, import.meta.url);
  const result = parsePlan(readFileSync(path, "utf8"), file, registries);
  if (!result.ok) throw new Error(result.errors.map((e) => `${e.line}:${e.column} ${e.path}: ${e.message}`).join("\n"));
  return result.plan;
}

describe.each([
  ["haproxy-rollout.yaml", "haproxy:/run/haproxy/admin.sock#be_checkout"],
  ["builtin-rollout.yaml", "builtin-router:http://127.0.0.1:9901"],
])("example %s", (file, claim) => {
  const plan = parseExample(file);

  it("validates with the traffic target kinds, claiming the router's backend", () => {
    expect(plan.claims).toContain(claim);
    expect(plan.stages.map((stage) => stage.action.type)).toEqual([
      "weight",
      "weight",
      "weight",
      "drain",
      "quiesce",
      "retire",
      "drain",
      "quiesce",
      "retire",
    ]);
    expect(plan.guards.map((guard) => guard.kind)).toEqual(["supercriticality", "threshold"]);
  });

  it("gets the default gates: ready candidates and no displaced work for weights, drained batches", () => {
    const [canary, , full, drain, quiesce] = plan.stages;
    expect(canary?.gates.conditions?.ready?.[0]?.sensor).toBe("target.up");
    expect(canary?.gates.conditions?.drained?.map((c) => c.sensor)).toEqual(["target.displaced"]);
    expect(full?.gates.conditions?.drained?.map((c) => c.sensor)).toEqual(["target.displaced", "target.sessions"]);
    expect(drain?.gates.conditions?.drained?.[0]).toMatchObject({
      sensor: "target.sessions",
      expectNodes: ["v1-a", "v1-b"],
    });
    expect(quiesce?.gates.conditions?.drained?.[0]).toMatchObject({ sensor: "target.drain_report" });
  });

  it("plans a rollback from the end that restores legacy first, or says where it must stop", () => {
    const definition = registries.targets.get(plan.target.kind);
    const rollback = definition?.rollback(
      plan.stages.map((stage) => stage.action),
      plan.target.config,
    );
    if (file === "haproxy-rollout.yaml") {
      expect(rollback?.stopsAt).toBeUndefined();
      expect(rollback?.steps.map((step) => step.name)).toEqual(["restore-legacy", "candidate-out-of-service"]);
    } else {
      expect(rollback?.steps).toEqual([]);
      expect(rollback?.stopsAt).toContain("no provision hook");
    }
  });
});
