import { describe, expect, it } from "vitest";
import { parseFleet } from "./fleet-spec.ts";
import { Prng } from "./prng.ts";
import { SimFleet } from "./sim-fleet.ts";

/** One node with a 4-connection pool, 10 database requests per second of 1 s each, run for a minute. */
function busyNode(pool: string, dbHold = "request", onSigterm = "finish") {
  const spec = parseFleet(`
nodes: { legacy: { prefix: a-, count: 1 }, candidate: { prefix: b-, count: 1 }, onSigterm: ${onSigterm} }
traffic: { requestsPerSecond: 10, duration: { median: 1s, sigma: 0 }, dbShare: 1, dbHold: ${dbHold} }
pool: { size: 4, ${pool} }
database: { maxConnections: 100 }
`);
  if (!spec.ok) throw new Error(spec.message);
  const fleet = new SimFleet(spec.value, new Prng(3), 0, 100, "good");
  for (let s = 0; s < 600; s += 1) fleet.step();
  return fleet;
}

describe("a node's pool under more load than it can serve", () => {
  it("fails requests at once without an acquire timeout", () => {
    const fleet = busyNode("acquireTimeout: 0s");
    expect(fleet.counters.poolExhausted / fleet.counters.requests).toBeGreaterThan(0.5);
    expect(fleet.latency.quantile(0.99)).toBeLessThan(1100);
  });

  it("queues requests first in, first out, and fails those still waiting at the timeout", () => {
    const fleet = busyNode("acquireTimeout: 3s");
    expect(fleet.counters.poolExhausted).toBeGreaterThan(0);
    expect(fleet.counters.poolExhausted).toBe(fleet.counters.failedRequests);
    expect(fleet.latency.quantile(0.5)).toBeGreaterThan(1500);
    expect(fleet.openConnections(0)).toBe(4);
    expect(fleet.dbInUse[0]).toBe(4);
  });

  it("serves everything when each request holds its connection only for a quick query", () => {
    const fleet = busyNode("acquireTimeout: 0s, idleTimeout: 0s", "10ms");
    expect(fleet.counters.failedRequests).toBe(0);
    expect(fleet.openConnections(0)).toBe(0);
    expect(fleet.pools.peak).toBe(1);
  });
});

describe("SIGTERM", () => {
  it("lets in-flight requests finish within the grace period, or cuts them at once with onSigterm: cut", () => {
    const finishing = busyNode("acquireTimeout: 2s", "request", "finish");
    const inflight = finishing.inflight[0] ?? 0;
    finishing.admin[0] = 2; // out of the router first, as retire does
    finishing.terminate(0, 30_000);
    for (let s = 0; s < 40; s += 1) finishing.step();
    expect(inflight).toBeGreaterThan(0);
    expect(finishing.counters.killed).toBe(0);
    expect(finishing.running[0]).toBe(0);

    const cutting = busyNode("acquireTimeout: 2s", "request", "cut");
    const cut = cutting.inflight[0] ?? 0;
    cutting.admin[0] = 2;
    cutting.terminate(0, 30_000);
    expect(cutting.counters.killed).toBe(cut);
    expect(cutting.openConnections(0)).toBe(0);
  });
});
