import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHaproxy } from "./haproxy.ts";
import { startPostgres } from "./postgres.ts";
import { startPrometheus } from "./prometheus.ts";
import { startRedis } from "./redis.ts";
import { requireService } from "./require-service.ts";

async function httpBackend(): Promise<{ address: string; close: () => Promise<void> }> {
  const server: Server = createServer((_req, res) => res.end("ok"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { address: `127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function queryOne(connectionString: string, sql: string): Promise<unknown> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return (await client.query(sql)).rows[0];
  } finally {
    await client.end();
  }
}

describe.skipIf(!requireService("haproxy", "test helpers: HAProxy"))("startHaproxy", () => {
  let backend: Awaited<ReturnType<typeof httpBackend>>;
  beforeAll(async () => {
    backend = await httpBackend();
  });
  afterAll(() => backend.close());

  it("serves through the generated frontend and answers the runtime API on both sockets", async () => {
    const haproxy = await startHaproxy({ backends: { be_app: [{ name: "v1-a", address: backend.address }] } });
    const response = await fetch(haproxy.frontends.be_app ?? "");
    expect(await response.text()).toBe("ok");
    expect(await haproxy.runtime("show servers state be_app")).toContain("v1-a");
    await haproxy.stop();
  });

  it("keeps runtime weights across a reload with the state file and loses them without it", async () => {
    const haproxy = await startHaproxy({ backends: { be_app: [{ name: "v1-a", address: backend.address }] } });
    await haproxy.runtime("set weight be_app/v1-a 7");
    await haproxy.reload();
    expect(await haproxy.runtime("get weight be_app/v1-a")).toMatch(/^7 \(initial 100\)/);
    await haproxy.reload({ keepState: false });
    expect(await haproxy.runtime("get weight be_app/v1-a")).toMatch(/^100 \(initial 100\)/);
    await haproxy.stop();
  });
});

describe.skipIf(!requireService(["haproxy", "prometheus"], "test helpers: Prometheus"))("startPrometheus", () => {
  it("scrapes HAProxy's exporter every second", async () => {
    const haproxy = await startHaproxy({ backends: { be_app: [{ name: "v1-a", address: "127.0.0.1:1" }] } });
    const prometheus = await startPrometheus({ scrapeTargets: [haproxy.exporterUrl], scrapeIntervalMs: 1000 });
    await prometheus.waitForTargetsUp();
    const result = await prometheus.query('haproxy_server_weight{proxy="be_app"}');
    expect(result).toHaveLength(1);
    await prometheus.stop();
    await haproxy.stop();
  });
});

describe.skipIf(!requireService("postgres", "test helpers: PostgreSQL"))("startPostgres", () => {
  it("replicates from the primary to two streaming replicas, and a restarted replica catches up", async () => {
    const postgres = await startPostgres({ replicas: 2, settings: { log_statement: "all" } });
    await queryOne(postgres.primary.connectionString, "CREATE TABLE t AS SELECT 1 AS x");
    await postgres.stopReplica(1);
    await queryOne(postgres.primary.connectionString, "INSERT INTO t VALUES (2)");
    await postgres.startReplica(1);
    for (const replica of postgres.replicas) {
      await expect
        .poll(async () => queryOne(replica.connectionString, "SELECT count(*)::int AS n FROM t"), { timeout: 5000 })
        .toEqual({ n: 2 });
      expect(await queryOne(replica.connectionString, "SELECT pg_is_in_recovery() AS standby")).toEqual({
        standby: true,
      });
    }
    expect(postgres.logs()).toContain("INSERT INTO t VALUES (2)");
    await postgres.stop();
  });
});

describe.skipIf(!requireService("redis", "test helpers: Redis"))("startRedis", () => {
  it("runs independent nodes that can be stopped and started again", async () => {
    const redis = await startRedis({ count: 3 });
    expect(new Set(redis.nodes.map((node) => node.port)).size).toBe(3);
    await redis.stopNode(1);
    await redis.startNode(1);
    expect(redis.logs()).toContain("Ready to accept connections");
    await redis.stop();
  });
});
