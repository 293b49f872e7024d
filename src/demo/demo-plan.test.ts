import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadPlanFile } from "../cli/load-plan.ts";
import { builtinRegistries } from "../cli/wiring.ts";
import { renderDemoPlan } from "./demo-plan.ts";
import { renderDemoHaproxyConfig } from "./haproxy-process.ts";
import { type FleetNode, fleetNames } from "./sample-fleet.ts";

const names = fleetNames(3, 3);
const nodes: FleetNode[] = [...names.legacy, ...names.candidate].map((name, i) => ({
  name,
  version: name.startsWith("v1") ? "1.0.0" : "2.0.0",
  cohort: name.startsWith("v1") ? "legacy" : "candidate",
  url: `http://127.0.0.1:${41_000 + i}`,
  address: `127.0.0.1:${41_000 + i}`,
}));
const dir = mkdtempSync(join(tmpdir(), "airlock-demo-plan-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function load(target: Record<string, string>) {
  const file = join(dir, `${target.kind}.yaml`);
  writeFileSync(
    file,
    renderDemoPlan({ name: "demo-good-release", target, latencyUrl: "http://127.0.0.1:40999/", bakeMs: 4000 }),
  );
  const loaded = await loadPlanFile(file, builtinRegistries());
  if (!loaded.ok) throw new Error(loaded.lines.join("\n"));
  return loaded.loaded.plan;
}

describe("the demo's plan", () => {
  it("validates for the built-in router: three weight stages sealed by sensors, two guards, rollback on halt", async () => {
    const plan = await load({
      kind: "builtin-router",
      adminUrl: "http://127.0.0.1:40998",
      tokenEnv: "AIRLOCK_DEMO_ROUTER_TOKEN",
    });
    expect(plan.stages.map((stage) => [stage.name, stage.action.params])).toEqual([
      ["canary-10", { candidatePercent: 10 }],
      ["half", { candidatePercent: 50 }],
      ["full", { candidatePercent: 100 }],
    ]);
    for (const stage of plan.stages) {
      expect(stage.gates.bakeMs).toBe(4000);
      expect(stage.gates.conditions?.drained?.map((c) => c.sensor)).toContain("target.displaced");
      expect(stage.gates.conditions?.ready?.length).toBeGreaterThan(0);
    }
    expect(plan.guards.map((guard) => guard.kind)).toEqual(["supercriticality", "threshold"]);
    expect(plan.onHalt).toBe("rollback");
  });

  it("validates for HAProxy with the socket and backend the demo's HAProxy config declares", async () => {
    const socket = join(dir, "haproxy-admin.sock");
    const plan = await load({ kind: "haproxy", socket, backend: "be_demo" });
    expect(plan.claims).toContain(`haproxy:${socket}#be_demo`);
    const config = renderDemoHaproxyConfig({
      socketPath: socket,
      stateFilePath: join(dir, "state"),
      frontendPort: 40997,
      nodes,
    });
    expect(config).toContain(`stats socket ${socket} mode 600 level admin maxconn 64 backlog 256`);
    expect(config).toContain("backend be_demo");
    expect(config).toMatch(/server v1-a 127\.0\.0\.1:41000 weight 100$/m);
    expect(config).toMatch(/server v2-a 127\.0\.0\.1:41003 weight 0$/m);
  });
});
