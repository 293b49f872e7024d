import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PostgresService, requireService, startPostgres } from "../../test/services/index.ts";
import { type RunningSampleService, startSampleService } from "./sample-service.ts";

const ready = requireService("postgres", "sample service with a real PostgreSQL pool");

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe.skipIf(!ready)("sample service with a real PostgreSQL pool", () => {
  let postgres: PostgresService;
  let service: RunningSampleService;

  beforeAll(async () => {
    postgres = await startPostgres();
    service = await startSampleService({
      port: 0,
      name: "v1-db",
      version: "1.0.0",
      latencyMs: { median: 1, p99: 2 },
      errorRate: 0,
      longRequestShare: 0,
      longRequestMs: 0,
      jobs: { intervalMs: 20, durationMs: 200 },
      db: { connectionString: postgres.primary.connectionString, poolSize: 3 },
    });
  });

  afterAll(async () => {
    await service?.close();
    await postgres?.stop();
  });

  it("serves through the pool, and after quiesce closes every connection while still answering", async () => {
    expect((await fetch(`${service.url}/`)).status).toBe(200);
    await until(() => service.drainReport().runningJobs > 0);
    expect(service.drainReport().openDbConnections).toBeGreaterThan(0);
    const drain = await (await fetch(`${service.url}/quiesce`, { method: "POST" })).json();
    expect(drain).toMatchObject({ quiesced: true });
    await until(() => service.drainReport().openDbConnections === 0 && service.drainReport().runningJobs === 0);
    expect((await fetch(`${service.url}/`)).status).toBe(200);
    expect(service.drainReport()).toEqual({
      inflightRequests: 0,
      runningJobs: 0,
      unflushedBuffers: 0,
      openDbConnections: 0,
    });
  });

  it("a fixed-size pool opens its connections at start, and a held request keeps one for its duration", async () => {
    const fixed = await startSampleService({
      port: 0,
      name: "v1-fixed",
      version: "1.0.0",
      latencyMs: { median: 1, p99: 2 },
      errorRate: 0,
      longRequestShare: 1,
      longRequestMs: 300,
      db: { connectionString: postgres.primary.connectionString, poolSize: 3, minConnections: 2, holdShare: 1 },
    });
    try {
      expect(fixed.drainReport().openDbConnections).toBe(2);
      const answers = Promise.all([1, 2, 3].map(() => fetch(`${fixed.url}/`)));
      await until(() => fixed.drainReport().openDbConnections === 3);
      expect((await answers).map((answer) => answer.status)).toEqual([200, 200, 200]);
    } finally {
      await fixed.close();
    }
  });

  it("never reports the connection string", async () => {
    const texts = await Promise.all(
      ["/metrics", "/drain", "/config", "/healthz"].map(async (path) => (await fetch(`${service.url}${path}`)).text()),
    );
    expect(texts.join("\n")).not.toContain(postgres.primary.password);
  });
});
