import { describe, expect, it } from "vitest";
import { builtinRegistries } from "../cli/wiring.ts";
import { type FleetSpec, parseFleet } from "./fleet-spec.ts";
import { runSimulation, type SimulationRequest } from "./run-simulation.ts";

const PLAN = `
name: small-rollout
domain: sim-test
interval: 1s
onHalt: rollback
defaults: { timeouts: { stage: 10m, drain: 5m, sensorBlind: 1m } }
target:
  kind: builtin-router
  adminUrl: http://127.0.0.1:9901
  legacy: "v1-*"
  candidate: "v2-*"
  hooks:
    quiesce: { webhook: "http://{address}/quiesce" }
    provision: { webhook: "http://127.0.0.1:9/provision/{name}" }
  drainReport: { url: "http://{address}/drain" }
stages:
  - { name: provision-1, action: { type: provision, servers: [v2-0, v2-1] } }
  - { name: weight-50, action: { type: weight, candidatePercent: 50 }, gates: { bake: 20s } }
  - { name: drain-1, action: { type: drain, count: 2 } }
  - { name: quiesce-1, action: { type: quiesce, count: 2 } }
  - { name: retire-1, action: { type: retire, count: 2 } }
  - { name: provision-2, action: { type: provision, servers: [v2-2, v2-3] } }
  - { name: weight-100, action: { type: weight, candidatePercent: 100 } }
  - { name: drain-2, action: { type: drain, count: 2 } }
  - { name: quiesce-2, action: { type: quiesce, count: 2 } }
  - { name: retire-2, action: { type: retire, count: 2 } }
guards:
  - name: supercriticality
    supercriticality:
      requests: target.requests
      errors: target.errors
      cohorts: { label: cohort, legacy: legacy, candidate: candidate }
      ratio: 5
      minDelta: 0.005
      alpha: 0.001
`;

function fleet(overrides = "", maxConnections = 120): FleetSpec {
  const parsed = parseFleet(`
nodes: { legacy: { prefix: v1-, count: 4 }, candidate: { prefix: v2-, count: 4 }, startup: 2s, terminationGrace: 5s }
traffic:
  requestsPerSecond: 400
  duration: { median: 30ms, sigma: 0.5 }
  longTail: { share: 0.01, duration: { median: 3s, sigma: 0.5 } }
  dbShare: 0.5
  maxDuration: 20s
pool: { size: 20, minIdle: 4 }
database: { maxConnections: ${maxConnections} }
jobs: { perNodePerMinute: 6, duration: { median: 2s, sigma: 0.5 } }
peers:
  typical: { pause: 3s, scaleDownDelay: 3s }
  safe: { pause: 20s, scaleDownDelay: 20s }
limit: 15m
${overrides}`);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.value;
}

function request(overrides: Partial<SimulationRequest> = {}): SimulationRequest {
  return {
    planSource: PLAN,
    planFile: "small-rollout.yaml",
    registries: builtinRegistries(),
    fleet: fleet(),
    seed: 7,
    strategy: "airlock",
    release: "good",
    ...overrides,
  };
}

async function summary(overrides: Partial<SimulationRequest> = {}) {
  const result = await runSimulation(request(overrides));
  if (!result.ok) throw new Error(result.message);
  return result.value;
}

describe("airlock simulate", () => {
  it("prints the same summary for the same seed, and another for another seed", async () => {
    const first = JSON.stringify(await summary());
    expect(JSON.stringify(await summary())).toBe(first);
    expect(JSON.stringify(await summary({ seed: 8 }))).not.toBe(first);
  });

  it("completes a good release through every stage without failed requests", async () => {
    const s = await summary();
    expect(s.outcome).toBe("completed");
    expect(s.failedRequests).toBe(0);
    expect(s.stages.filter((stage) => stage.endedS !== null)).toHaveLength(10);
    expect(s.peakDbConnections).toBeLessThanOrEqual(120);
  });

  it("halts on the one bad candidate node with the detector's evidence and rolls back", async () => {
    const s = await summary({
      release: "bad",
      fleet: fleet("badRelease: { mode: errors, nodes: one, errorRate: 0.5 }"),
    });
    expect(s.outcome).toBe("rolled_back");
    expect(s.halt?.code).toBe("supercriticality");
    expect(s.halt?.message).toContain("v2-0");
    expect(s.failedBy.releaseErrors).toBeGreaterThan(0);
    expect(s.badNodeRequests).toBeGreaterThan(0);
  });

  it("shows a leaking candidate's pool running out", async () => {
    const s = await summary({
      release: "bad",
      fleet: fleet("badRelease: { mode: pool-leak, nodes: all, leakRate: 0.2 }"),
    });
    expect(s.failedBy.poolExhausted + s.failedBy.connectionRefused).toBeGreaterThan(0);
    expect(s.outcome).not.toBe("completed");
  });

  it("stretches durations of a slow candidate", async () => {
    const good = await summary({ strategy: "naive" });
    const slow = await summary({
      strategy: "naive",
      release: "bad",
      fleet: fleet("badRelease: { mode: slow, nodes: all, slowFactor: 20 }"),
    });
    expect(slow.p99Ms).toBeGreaterThan(good.p99Ms);
  });

  it("never opens more connections than the database allows, idle minimums included, when a canary overlaps both fleets", async () => {
    const s = await summary({ strategy: "timer-canary-safe", fleet: fleet("", 64), series: true });
    expect(s.failedBy.connectionRefused).toBeGreaterThan(0);
    expect(s.idleConnectionsRefused).toBeGreaterThan(0);
    expect(s.peakDbConnections).toBe(64);
    expect(Math.max(...(s.series ?? []).map((second) => second.dbConnections))).toBe(64);
  });

  it("runs the world on for --duration after the operation ends", async () => {
    const s = await summary({ strategy: "naive", durationMs: 60_000 });
    expect(s.outcome).toBe("completed");
    expect(s.durationS).toBeLessThan(60);
    expect(s.simulatedS).toBe(60);
  });

  it("refuses a plan whose target is not traffic, and a fleet that does not match the plan's patterns", async () => {
    const misnamed = await runSimulation(
      request({ fleet: { ...fleet(), nodes: { ...fleet().nodes, legacy: { prefix: "old-", count: 4 } } } }),
    );
    expect(misnamed).toMatchObject({ ok: false, code: "fleet" });
  });
});
