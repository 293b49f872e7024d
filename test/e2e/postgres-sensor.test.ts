import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPostgresSensor, postgresSensor } from "../../src/sensors/postgres/postgres-sensor.ts";
import { describeSensorContract } from "../../src/sensors/sensor.contract.ts";
import type { Reading, Sensor } from "../../src/sensors/sensor.ts";
import { type PgCluster, requirePostgres, sharedPgCluster } from "./postgres-cluster.ts";

const ready = requirePostgres("postgres sensor on real PostgreSQL");
const shared = sharedPgCluster({ replicas: 0 });
afterAll(() => shared.stop());

if (ready) {
  describeSensorContract("postgres", async () => {
    const cluster = await shared.get();
    const env = { PGPASSWORD_MONITOR: cluster.adminPassword };
    const url = `postgres://postgres:\${PGPASSWORD_MONITOR}@127.0.0.1:${cluster.primary.port}/postgres`;
    const sensor = (query: string, options: { connection?: string; timeoutMs?: number; env?: typeof env } = {}) =>
      createPostgresSensor(
        postgresSensor.config.parse({ connection: options.connection ?? url, query, timeoutMs: options.timeoutMs }),
        options.env ?? env,
      );
    return {
      succeeding: () => sensor("SELECT 1 AS one"),
      failures: [
        { code: "empty", create: () => sensor("SELECT 1 AS n WHERE false") },
        { code: "parse", create: () => sensor("SELECT 'x' AS n") },
        { code: "query", create: () => sensor("SELECT count(*) FROM no_such_table") },
        { code: "timeout", create: () => sensor("SELECT 1 AS n FROM pg_sleep(2)", { timeoutMs: 100 }) },
        { code: "auth", create: () => sensor("SELECT 1", { env: { PGPASSWORD_MONITOR: "not-the-password" } }) },
        { code: "unreachable", create: () => sensor("SELECT 1", { connection: url.replace(/:\d+\//, ":1/") }) },
      ],
      hanging: () => sensor("SELECT 1 AS n FROM pg_sleep(10)", { timeoutMs: 60_000 }),
      secrets: [cluster.adminPassword, "not-the-password"],
    };
  });
}

describe.skipIf(!ready)("postgres sensor on real PostgreSQL", () => {
  let cluster: PgCluster;
  let env: Record<string, string>;
  let url: string;
  const sensors: Sensor[] = [];
  const clients: pg.Client[] = [];

  beforeAll(async () => {
    cluster = await shared.get();
    env = { PGPASSWORD_MONITOR: cluster.adminPassword };
    url = `postgres://postgres:\${PGPASSWORD_MONITOR}@127.0.0.1:${cluster.primary.port}/postgres`;
    const admin = new pg.Client({ connectionString: cluster.primary.url });
    await admin.connect();
    await admin.query("CREATE TABLE audit (id int)");
    await admin.end();
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
    await Promise.all(sensors.map((sensor) => sensor.close?.()));
  });

  async function read(config: Record<string, unknown>): Promise<Reading> {
    const parsed = postgresSensor.config.parse({ connection: url, ...config });
    const sensor = createPostgresSensor(parsed, env);
    sensors.push(sensor);
    return sensor.read({ nowMs: Date.now(), signal: AbortSignal.timeout(10_000) });
  }

  async function connectAs(applicationName: string): Promise<void> {
    const client = new pg.Client({ connectionString: cluster.primary.url, application_name: applicationName });
    await client.connect();
    clients.push(client);
  }

  it("reads connection headroom as a scalar", async () => {
    const reading = await read({
      query:
        "SELECT current_setting('max_connections')::int - (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend') - 5 AS headroom",
    });
    expect(reading.ok).toBe(true);
    if (!reading.ok || reading.value.type !== "scalar") return;
    // max_connections is 40 in the test cluster; the sensor's own session is one backend.
    expect(reading.value.value).toBeGreaterThan(0);
    expect(reading.value.value).toBeLessThanOrEqual(34);
  });

  it("reads sessions per application_name as a vector", async () => {
    await connectAs("shop@v41");
    await connectAs("shop@v41");
    await connectAs("shop@v42");
    const reading = await read({
      query:
        "SELECT application_name AS app, count(*) AS sessions FROM pg_stat_activity WHERE application_name LIKE 'shop@%' GROUP BY 1",
      nodeColumn: "app",
    });
    expect(reading).toMatchObject({ ok: true, value: { type: "vector", values: { "shop@v41": 2, "shop@v42": 1 } } });
  });

  it("runs read-only: a query that writes fails and changes nothing", async () => {
    const reading = await read({
      query: "WITH w AS (INSERT INTO audit VALUES (1) RETURNING 1) SELECT count(*) FROM w",
    });
    expect(reading).toMatchObject({ ok: false, code: "query" });
    const count = await read({ query: "SELECT count(*) FROM audit" });
    expect(count).toMatchObject({ ok: true, value: { type: "scalar", value: 0 } });
  });

  it("fails with `empty` on no rows and `timeout` past statement_timeout", async () => {
    expect(await read({ query: "SELECT 1 AS n WHERE false" })).toMatchObject({ ok: false, code: "empty" });
    expect(await read({ query: "SELECT 1 AS n FROM pg_sleep(3)", timeoutMs: 200 })).toMatchObject({
      ok: false,
      code: "timeout",
    });
  });

  it("reports a wrong password or a dead port as failures that never show the password", async () => {
    const badEnv = { PGPASSWORD_MONITOR: "wrong-password-1234" };
    const badAuth = createPostgresSensor(postgresSensor.config.parse({ connection: url, query: "SELECT 1" }), badEnv);
    sensors.push(badAuth);
    const auth = await badAuth.read({ nowMs: Date.now(), signal: AbortSignal.timeout(10_000) });
    expect(auth).toMatchObject({ ok: false, code: "auth" });
    const deadUrl = url.replace(String(cluster.primary.port), "1");
    const dead = createPostgresSensor(postgresSensor.config.parse({ connection: deadUrl, query: "SELECT 1" }), env);
    sensors.push(dead);
    const unreachable = await dead.read({ nowMs: Date.now(), signal: AbortSignal.timeout(10_000) });
    expect(unreachable).toMatchObject({ ok: false, code: "unreachable" });
    for (const reading of [auth, unreachable]) {
      expect(JSON.stringify(reading)).not.toContain("wrong-password-1234");
      expect(JSON.stringify(reading)).not.toContain(cluster.adminPassword);
    }
  });
});
