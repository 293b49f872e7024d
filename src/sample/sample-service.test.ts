import { afterEach, describe, expect, it } from "vitest";
import { type RunningSampleService, type SampleServiceOptions, startSampleService } from "./sample-service.ts";

const services: RunningSampleService[] = [];
afterEach(async () => {
  await Promise.all(services.splice(0).map((service) => service.close()));
});

async function start(overrides: Partial<SampleServiceOptions> = {}): Promise<RunningSampleService> {
  const service = await startSampleService({
    port: 0,
    name: "v1-a",
    version: "1.0.0",
    latencyMs: { median: 1, p99: 2 },
    errorRate: 0,
    longRequestShare: 0,
    longRequestMs: 0,
    ...overrides,
  });
  services.push(service);
  return service;
}

async function json(url: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, init);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe("sample service", () => {
  it("answers work requests with its name and version, and counts them in its metrics", async () => {
    const service = await start();
    expect(await json(`${service.url}/`)).toEqual({ status: 200, body: { name: "v1-a", version: "1.0.0" } });
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toContain('sample_requests_total{code="200",version="1.0.0",instance="v1-a"} 1');
    expect(metrics).toContain('sample_request_duration_seconds_count{version="1.0.0",instance="v1-a"} 1');
    expect(metrics).toMatch(/sample_inflight_requests\{[^}]*\} 0/);
  });

  it("fails at its error rate, changeable at runtime", async () => {
    const service = await start({ errorRate: 1 });
    expect((await fetch(`${service.url}/`)).status).toBe(500);
    const changed = await json(`${service.url}/config`, { method: "POST", body: JSON.stringify({ errorRate: 0 }) });
    expect(changed).toMatchObject({ status: 200, body: { errorRate: 0 } });
    expect((await fetch(`${service.url}/`)).status).toBe(200);
    expect(await (await fetch(`${service.url}/metrics`)).text()).toContain('sample_requests_total{code="500"');
  });

  it("refuses an invalid config change and keeps the old one", async () => {
    const service = await start();
    const refused = await json(`${service.url}/config`, { method: "POST", body: JSON.stringify({ errorRate: 2 }) });
    expect(refused.status).toBe(400);
    expect(service.config().errorRate).toBe(0);
  });

  it("holds a request on the named instance only, and reports it in flight until released", async () => {
    const service = await start();
    const other = await json(`${service.url}/hold?key=k0&on=v9-z`);
    expect(other.body).toMatchObject({ held: false, name: "v1-a" });
    const held = json(`${service.url}/hold?key=k1&on=v1-a`);
    await until(() => service.drainReport().inflightRequests === 1);
    expect((await json(`${service.url}/holds`)).body).toEqual({ holds: ["k1"] });
    expect((await json(`${service.url}/holds/k1/release`, { method: "POST" })).body).toEqual({ released: true });
    expect((await held).body).toMatchObject({ held: true, outcome: "released" });
    expect(service.drainReport().inflightRequests).toBe(0);
  });

  it("quiesces: stops starting jobs, flushes its buffer, and its drain report reaches zero", async () => {
    const service = await start({ jobs: { intervalMs: 5, durationMs: 30 }, flushIntervalMs: 60_000 });
    await fetch(`${service.url}/`);
    await until(() => service.drainReport().runningJobs > 0);
    expect(service.drainReport().unflushedBuffers).toBeGreaterThan(0);
    const first = await json(`${service.url}/quiesce`, { method: "POST" });
    const again = await json(`${service.url}/quiesce`, { method: "POST" });
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(first.body).toMatchObject({ quiesced: true, report: { unflushedBuffers: 0 } });
    await until(() => service.drainReport().runningJobs === 0);
    expect((await json(`${service.url}/drain`)).body).toEqual({
      inflightRequests: 0,
      runningJobs: 0,
      unflushedBuffers: 0,
      openDbConnections: 0,
    });
    expect(await (await fetch(`${service.url}/metrics`)).text()).toMatch(/sample_quiesced\{[^}]*\} 1/);
  });

  it("still finishes requests after quiescing", async () => {
    const service = await start();
    const held = json(`${service.url}/hold?key=late`);
    await until(() => service.drainReport().inflightRequests === 1);
    service.quiesce();
    await fetch(`${service.url}/holds/late/release`, { method: "POST" });
    expect((await held).status).toBe(200);
    expect(service.drainReport()).toMatchObject({ inflightRequests: 0, unflushedBuffers: 0 });
  });

  it("answers 500 when its database is unreachable", async () => {
    const service = await start({ db: { connectionString: "postgres://app@127.0.0.1:1/app", poolSize: 1 } });
    expect(await json(`${service.url}/`)).toMatchObject({ status: 500, body: { error: "database unavailable" } });
  });

  it("refuses invalid start options", async () => {
    await expect(start({ errorRate: -1 })).rejects.toThrow(/invalid sample service options/);
  });
});
