import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startLoadGenerator } from "./load-generator.ts";
import { type RunningSampleService, startSampleService } from "./sample-service.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function sample(errorRate: number): Promise<RunningSampleService> {
  const service = await startSampleService({
    port: 0,
    name: "s",
    version: "1",
    latencyMs: { median: 1, p99: 2 },
    errorRate,
    longRequestShare: 0,
    longRequestMs: 0,
  });
  cleanups.push(() => service.close());
  return service;
}

/** A server that answers nothing until `release` is called. */
async function silentServer(onRequest: (res: ServerResponse, count: number) => void = () => {}) {
  let count = 0;
  const server = createServer((req, res) => {
    req.resume();
    count += 1;
    onRequest(res, count);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(
    () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

describe("open-loop load generator", () => {
  it("sends exactly rate × duration requests and stops by itself", async () => {
    const service = await sample(0);
    const summary = await startLoadGenerator({ url: `${service.url}/`, ratePerSecond: 400, durationMs: 100 }).done;
    expect(summary).toMatchObject({ requests: 40, failures: 0, inFlight: 0 });
    expect(summary.p50Ms).not.toBeNull();
    expect(summary.p99Ms ?? 0).toBeGreaterThanOrEqual(summary.p50Ms ?? 0);
  });

  it("keeps sending on schedule while earlier requests are still waiting", async () => {
    const waiting: ServerResponse[] = [];
    const url = await silentServer((res, count) => {
      waiting.push(res);
      if (count === 10) for (const held of waiting) held.end("ok");
    });
    const summary = await startLoadGenerator({ url, ratePerSecond: 200, durationMs: 1000, maxRequests: 10 }).done;
    expect(summary).toMatchObject({ requests: 10, failures: 0 });
  });

  it("counts 5xx answers as failures in the phase they were sent in", async () => {
    const service = await sample(1);
    const load = startLoadGenerator({
      url: `${service.url}/`,
      ratePerSecond: 500,
      durationMs: 5000,
      maxRequests: 40,
      phase: "stage-1",
    });
    while (load.summary().requests < 5) await new Promise((resolve) => setTimeout(resolve, 5));
    load.setPhase("stage-2");
    const summary = await load.done;
    const { "stage-1": first, "stage-2": second } = summary.byPhase;
    expect(summary).toMatchObject({ requests: 40, failures: 40, failuresByReason: { "http-500": 40 }, p50Ms: null });
    expect((first?.requests ?? 0) + (second?.requests ?? 0)).toBe(40);
    expect(first?.failures).toBe(first?.requests);
    expect(second?.failures).toBe(second?.requests);
  });

  it("counts timeouts and refused connections as failures", async () => {
    const silent = await silentServer();
    const timedOut = await startLoadGenerator({ url: silent, ratePerSecond: 100, durationMs: 30, timeoutMs: 50 }).done;
    expect(timedOut).toMatchObject({ requests: 3, failures: 3, failuresByReason: { timeout: 3 } });
    const refused = await startLoadGenerator({ url: "http://127.0.0.1:1/", ratePerSecond: 100, durationMs: 30 }).done;
    expect(refused).toMatchObject({ requests: 3, failuresByReason: { connection: 3 } });
  });

  it("stops early on request and reports what completed", async () => {
    const service = await sample(0);
    const load = startLoadGenerator({ url: `${service.url}/`, ratePerSecond: 100, durationMs: 60_000 });
    const summary = await load.stop();
    expect(summary.inFlight).toBe(0);
    expect(summary.requests).toBeLessThan(100);
    expect(await load.done).toEqual(summary);
  });

  it("refuses any target but 127.0.0.1", () => {
    expect(() => startLoadGenerator({ url: "http://example.com/", ratePerSecond: 1, durationMs: 1 })).toThrow(
      RangeError,
    );
    expect(() => startLoadGenerator({ url: "http://localhost:80/", ratePerSecond: 1, durationMs: 1 })).toThrow(
      RangeError,
    );
  });
});
