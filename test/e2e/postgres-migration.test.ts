import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Reading } from "../../src/sensors/sensor.ts";
import { migrationConfigSchema, phaseActionSchema } from "../../src/targets/postgres-migration/migration-config.ts";
import {
  createMigrationTarget,
  planMigrationRollback,
} from "../../src/targets/postgres-migration/postgres-migration.ts";
import { describeTargetContract } from "../../src/targets/target.contract.ts";
import type { ActionRequest, Json, Target, TargetResult } from "../../src/targets/target.ts";
import { type PgCluster, requirePostgres, sharedPgCluster } from "./postgres-cluster.ts";

const ready = requirePostgres("postgres-migration target on a primary and two replicas");
const shared = sharedPgCluster({ replicas: 2 });
afterAll(() => shared.stop());

if (ready) {
  describeTargetContract("postgres-migration", async () => {
    const cluster = await shared.get();
    const env = { PGPASSWORD_ADMIN: cluster.adminPassword };
    const tcp = (port: number) => `postgres://postgres:\${PGPASSWORD_ADMIN}@127.0.0.1:${port}/postgres`;
    let ledgers = 0;
    const configFor = (port: number) =>
      migrationConfigSchema.parse({
        primary: tcp(port),
        replicas: cluster.replicas.map((replica) => ({ name: replica.name, url: tcp(replica.port) })),
        ledgerTable: `contract_ledger_${++ledgers}`,
        retry: { attempts: 2, backoff: "50ms" },
      });
    const phase = (name: string, table: string) =>
      phaseActionSchema.parse({
        name,
        sql: `CREATE TABLE IF NOT EXISTS ${table} (id int)`,
        rollback: `DROP TABLE IF EXISTS ${table}`,
      });
    const config = configFor(cluster.primary.port);
    const fresh = (port = cluster.primary.port) => createMigrationTarget(configFor(port), "/nonexistent", env);
    return {
      create: () => fresh(),
      actions: [
        { type: "phase", params: phase("contract-a", "contract_a") },
        { type: "phase", params: phase("contract-b", "contract_b") },
      ],
      planRollback: (applied) => planMigrationRollback(applied, config),
      checksFencingTokens: true,
      observesApplies: true,
      failures: [
        { name: "primary unreachable", retryable: true, code: "unreachable", create: () => fresh(1) },
        {
          name: "SQL error",
          retryable: false,
          code: "sql-error",
          create: () => fresh(),
          action: {
            type: "phase",
            params: phaseActionSchema.parse({ name: "bad", sql: "SELECT * FROM no_such_table" }),
          },
        },
        {
          name: "missing SQL file",
          retryable: false,
          code: "file",
          create: () => fresh(),
          action: { type: "phase", params: phaseActionSchema.parse({ name: "f", file: "missing.sql" }) },
        },
      ],
      secrets: [cluster.adminPassword],
    };
  });
}

describe.skipIf(!ready)("postgres-migration target on a primary and two replicas", () => {
  let cluster: PgCluster;
  let target: Target;
  let admin: pg.Client;
  const seen: unknown[] = [];

  beforeAll(async () => {
    cluster = await shared.get();
    const tcp = (port: number) => `postgres://postgres:\${PGPASSWORD_ADMIN}@127.0.0.1:${port}/postgres`;
    const config = migrationConfigSchema.parse({
      primary: tcp(cluster.primary.port),
      replicas: cluster.replicas.map((replica) => ({ name: replica.name, url: tcp(replica.port) })),
      lockTimeout: "200ms",
      retry: { attempts: 3, backoff: "100ms" },
      appNamePattern: "^shop@v41$",
      sensorTimeout: "2s",
    });
    target = createMigrationTarget(config, "/nonexistent", { PGPASSWORD_ADMIN: cluster.adminPassword });
    admin = new pg.Client({ connectionString: cluster.primary.url });
    await admin.connect();
    await admin.query("CREATE TABLE orders (id serial PRIMARY KEY, ref text, total int)");
    await admin.query("INSERT INTO orders (ref, total) SELECT 'r' || (g % 1990), g FROM generate_series(1, 2000) g");
  });

  afterAll(async () => {
    await admin?.end().catch(() => undefined);
    await target?.close?.();
  });

  let counter = 0;
  function request(params: Record<string, Json>, key = `key-${++counter}`, fencingToken = 1): ActionRequest {
    return {
      operationId: "op-1",
      stageName: String(params.name),
      stageIndex: counter,
      action: { type: "phase", params },
      idempotencyKey: key,
      fencingToken,
      rollback: false,
      signal: AbortSignal.timeout(30_000),
    };
  }

  async function apply(req: ActionRequest): Promise<TargetResult<unknown>> {
    const result = await target.apply(req);
    seen.push(result);
    return result;
  }

  async function gap(): Promise<Reading> {
    const sensor = target.sensors().replay_lsn_gap;
    if (sensor === undefined) throw new Error("no replay_lsn_gap sensor");
    const reading = await sensor.read({ nowMs: Date.now(), signal: AbortSignal.timeout(5_000) });
    seen.push(reading);
    return reading;
  }

  /** Reads until `done` holds (at most 100 reads, 100 ms apart); returns the last reading and how many it took. */
  async function gapUntil(
    done: (values: Record<string, number>) => boolean,
  ): Promise<{ reading: Reading; reads: number }> {
    for (let reads = 1; ; reads += 1) {
      const reading = await gap();
      if ((reading.ok && reading.value.type === "vector" && done({ ...reading.value.values })) || reads >= 100) {
        return { reading, reads };
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async function onNode(url: string, sql: string): Promise<void> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(sql);
    await client.end();
  }

  it("fails closed before any phase: the gap sensor reports `empty`, not zero", async () => {
    expect(await gap()).toMatchObject({ ok: false, code: "empty" });
  });

  it("applies a phase once per idempotency key, records its LSN, and every replica replays it", async () => {
    const req = request({ name: "expand", sql: "ALTER TABLE orders ADD COLUMN total_cents bigint" }, "expand-key");
    const first = await apply(req);
    expect(first).toMatchObject({ ok: true, value: { state: { phase: "expand", alreadyApplied: false } } });
    const again = await apply({ ...req, signal: AbortSignal.timeout(30_000) });
    expect(again).toMatchObject({ ok: true, value: { state: { alreadyApplied: true } } });
    const ledger = await admin.query("SELECT phase, lsn IS NOT NULL AS has_lsn FROM airlock_migrations");
    expect(ledger.rows).toEqual([{ phase: "expand", has_lsn: true }]);
    expect(await target.observe(req, AbortSignal.timeout(5_000))).toMatchObject({ ok: true, value: { matches: true } });
    expect(await target.observe(request({ name: "other", sql: "SELECT 1" }), AbortSignal.timeout(5_000))).toMatchObject(
      {
        ok: true,
        value: { matches: false },
      },
    );
    const { reading } = await gapUntil((values) => values["replica-a"] === 0 && values["replica-b"] === 0);
    expect(reading).toMatchObject({ ok: true, value: { values: { "replica-a": 0, "replica-b": 0 } } });
  });

  it("keeps the gap above zero for a replica whose replay is paused, naming it, until replay resumes", async () => {
    const [replicaA] = cluster.replicas;
    if (replicaA === undefined) throw new Error("no replica");
    await onNode(replicaA.url, "SELECT pg_wal_replay_pause()");
    expect(await apply(request({ name: "add-audit", sql: "CREATE TABLE audit (id int)" }))).toMatchObject({ ok: true });
    const paused = await gapUntil((values) => values["replica-b"] === 0);
    expect(paused.reading.ok).toBe(true);
    if (!paused.reading.ok || paused.reading.value.type !== "vector") return;
    expect(paused.reading.value.values["replica-a"]).toBeGreaterThan(0);
    expect(paused.reading.detail).toContain("behind: replica-a");
    // Still behind on a later read: a paused replica never drifts to "done".
    const later = await gap();
    expect(later.ok && later.value.type === "vector" && (later.value.values["replica-a"] ?? 0) > 0).toBe(true);

    await onNode(replicaA.url, "SELECT pg_wal_replay_resume()");
    const resumed = await gapUntil((values) => values["replica-a"] === 0);
    expect(resumed.reading).toMatchObject({ ok: true, value: { values: { "replica-a": 0, "replica-b": 0 } } });
    console.info(`replay_lsn_gap: replica-a reached 0 on read ${resumed.reads} after pg_wal_replay_resume()`);
  });

  it("retries DDL under lock_timeout while a long transaction holds the table, and ordinary queries keep succeeding", async () => {
    const holder = new pg.Client({ connectionString: cluster.primary.url, application_name: "long-report" });
    await holder.connect();
    await holder.query("BEGIN");
    await holder.query("SELECT count(*) FROM orders");
    const reader = new pg.Client({ connectionString: cluster.primary.url, statement_timeout: 1_000 });
    await reader.connect();
    try {
      const ddl = request({ name: "add-note", sql: "ALTER TABLE orders ADD COLUMN note text" }, "note-key");
      const applying = apply(ddl);
      let applyDone = false;
      void applying.finally(() => {
        applyDone = true;
      });
      let readsOk = 0;
      let readsFailed = 0;
      while (!applyDone) {
        try {
          await reader.query("SELECT count(*) FROM orders");
          readsOk += 1;
        } catch {
          readsFailed += 1;
        }
      }
      const result = await applying;
      expect(result).toMatchObject({ ok: false, code: "lock-timeout", retryable: true });
      expect(readsFailed).toBe(0);
      expect(readsOk).toBeGreaterThan(0);
      console.info(`lock_timeout: DDL gave up after 3 tries; ${readsOk} ordinary reads succeeded meanwhile, 0 failed`);

      await holder.query("COMMIT");
      const retried = await apply({ ...ddl, signal: AbortSignal.timeout(30_000) });
      expect(retried).toMatchObject({ ok: true, value: { state: { alreadyApplied: false, lockTimeouts: 0 } } });
    } finally {
      await holder.end();
      await reader.end();
    }
  });

  it("shows the cascade it prevents: without lock_timeout the same kind of DDL blocks ordinary reads", async () => {
    const holder = new pg.Client({ connectionString: cluster.primary.url });
    const ddl = new pg.Client({ connectionString: cluster.primary.url });
    const reader = new pg.Client({ connectionString: cluster.primary.url, statement_timeout: 500 });
    await Promise.all([holder.connect(), ddl.connect(), reader.connect()]);
    try {
      await holder.query("BEGIN");
      await holder.query("SELECT count(*) FROM orders");
      const waiting = ddl.query("ALTER TABLE orders ADD COLUMN unguarded int");
      await new Promise((resolve) => setTimeout(resolve, 100));
      await expect(reader.query("SELECT count(*) FROM orders")).rejects.toMatchObject({ code: "57014" });
      await holder.query("COMMIT");
      await waiting;
    } finally {
      await Promise.all([holder.end(), ddl.end(), reader.end()]);
    }
  });

  it("retries inside one apply and succeeds once the blocking transaction ends", async () => {
    const holder = new pg.Client({ connectionString: cluster.primary.url });
    await holder.connect();
    await holder.query("BEGIN");
    await holder.query("SELECT count(*) FROM orders");
    const applying = apply(request({ name: "add-flag", sql: "ALTER TABLE orders ADD COLUMN flag boolean" }));
    // The first try waits lock_timeout (200 ms) before failing; end the holder after it.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await holder.query("COMMIT");
    await holder.end();
    const result = await applying;
    expect(result.ok).toBe(true);
    const lockTimeouts = result.ok
      ? ((result.value as { state: { lockTimeouts: number } }).state.lockTimeouts ?? 0)
      : 0;
    expect(lockTimeouts).toBeGreaterThanOrEqual(1);
  });

  it("after a crash between commit and LSN record, re-applying runs nothing and records the LSN", async () => {
    // What a controller killed right after the phase's COMMIT leaves behind: the ledger row, no LSN yet.
    await admin.query("CREATE TABLE crashed (id int)");
    await admin.query(
      `INSERT INTO airlock_migrations (idempotency_key, phase, operation_id, stage, fencing_token, sql_sha256)
       VALUES ('crash-key', 'crashed', 'op-1', 'crashed', 1, 'x')`,
    );
    const reading = await gapUntil((values) => values["replica-a"] === 0 && values["replica-b"] === 0);
    expect(reading.reading).toMatchObject({ ok: true });
    const req = request({ name: "crashed", sql: "CREATE TABLE crashed (id int)" }, "crash-key");
    expect(await target.observe(req, AbortSignal.timeout(5_000))).toMatchObject({ ok: true, value: { matches: true } });
    expect(await apply(req)).toMatchObject({ ok: true, value: { state: { alreadyApplied: true } } });
    const row = await admin.query(
      "SELECT lsn IS NOT NULL AS has_lsn FROM airlock_migrations WHERE idempotency_key = 'crash-key'",
    );
    expect(row.rows[0]).toEqual({ has_lsn: true });
  });

  it("refuses an apply carrying an older fencing token than one already recorded", async () => {
    expect(await apply(request({ name: "fenced", sql: "SELECT 1" }, "fence-new", 5))).toMatchObject({ ok: true });
    expect(await apply(request({ name: "stale", sql: "CREATE TABLE stale (id int)" }, "fence-old", 4))).toMatchObject({
      ok: false,
      code: "fenced",
      retryable: false,
    });
    const stale = await admin.query("SELECT to_regclass('stale') IS NULL AS absent");
    expect(stale.rows[0]).toEqual({ absent: true });
  });

  it("checks indisvalid after CREATE INDEX CONCURRENTLY: an invalid index is a non-retryable failure naming it", async () => {
    const sql = "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS orders_ref ON orders (ref)";
    const params = { name: "unique-ref", sql, transaction: false };
    const first = await apply(request(params, "cic-1", 5));
    expect(first).toMatchObject({ ok: false, code: "sql-error", retryable: false });
    const second = await apply(request(params, "cic-2", 5));
    expect(second).toMatchObject({ ok: false, code: "invalid-index", retryable: false });
    expect(second.ok ? "" : second.message).toContain("orders_ref is invalid");
    const ledger = await admin.query("SELECT count(*)::int AS n FROM airlock_migrations WHERE phase = 'unique-ref'");
    expect(ledger.rows[0]).toEqual({ n: 0 });

    const valid = {
      name: "index-total",
      sql: "CREATE INDEX CONCURRENTLY orders_total ON orders (total)",
      transaction: false,
    };
    expect(await apply(request(valid, "cic-3", 5))).toMatchObject({
      ok: true,
      value: { state: { alreadyApplied: false } },
    });
  });

  it("backfills in batches until a batch affects no rows", async () => {
    const backfill = {
      sql: "UPDATE orders SET total_cents = total * 100 WHERE id IN (SELECT id FROM orders WHERE total_cents IS NULL LIMIT $1)",
      batchSize: 500,
      maxLagMs: 5_000,
    };
    const result = await apply(request({ name: "backfill", backfill }, "backfill-1", 5));
    expect(result).toMatchObject({ ok: true, value: { state: { backfill: { batches: 4, rows: 2000 } } } });
    const left = await admin.query("SELECT count(*)::int AS n FROM orders WHERE total_cents IS NULL");
    expect(left.rows[0]).toEqual({ n: 0 });
  });

  it("throttles a backfill on replica lag and gives up (retryable) naming the replica that stays behind", async () => {
    const [replicaA] = cluster.replicas;
    if (replicaA === undefined) throw new Error("no replica");
    await onNode(replicaA.url, "SELECT pg_wal_replay_pause()");
    try {
      const backfill = {
        sql: "UPDATE orders SET note = 'n' WHERE id IN (SELECT id FROM orders WHERE note IS NULL LIMIT $1)",
        batchSize: 20,
        maxLagMs: 50,
        throttleTimeout: "1s",
      };
      const result = await apply(request({ name: "backfill-note", backfill }, "backfill-2", 5));
      expect(result).toMatchObject({ ok: false, code: "replica-lag", retryable: true });
      expect(result.ok ? "" : result.message).toContain("replica-a");
      expect(result.ok ? "" : result.message).not.toContain("replica-b");
    } finally {
      await onNode(replicaA.url, "SELECT pg_wal_replay_resume()");
    }
  });

  it("counts sessions of the previous schema version across nodes", async () => {
    const sensor = target.sensors().old_version_sessions;
    if (sensor === undefined) throw new Error("no old_version_sessions sensor");
    const [replicaA] = cluster.replicas;
    const old = [
      new pg.Client({ connectionString: cluster.primary.url, application_name: "shop@v41" }),
      new pg.Client({ connectionString: replicaA?.url, application_name: "shop@v41" }),
      new pg.Client({ connectionString: cluster.primary.url, application_name: "shop@v42" }),
    ];
    await Promise.all(old.map((client) => client.connect()));
    const read = () => sensor.read({ nowMs: Date.now(), signal: AbortSignal.timeout(5_000) });
    expect(await read()).toMatchObject({ ok: true, value: { type: "scalar", value: 2 }, detail: "shop@v41: 2" });
    await Promise.all(old.map((client) => client.end()));
    expect(await read()).toMatchObject({ ok: true, value: { type: "scalar", value: 0 } });
  });

  it("leaves a stopped replica out of the vector (so expectNodes fails closed) and names it", async () => {
    await cluster.stopNode("replica-b");
    const reading = await gap();
    expect(reading.ok).toBe(true);
    if (!reading.ok || reading.value.type !== "vector") return;
    expect(Object.keys(reading.value.values)).toEqual(["replica-a"]);
    expect(reading.detail).toContain("unreachable: replica-b");
    const sessions = target.sensors().old_version_sessions;
    expect(await sessions?.read({ nowMs: Date.now(), signal: AbortSignal.timeout(5_000) })).toMatchObject({
      ok: false,
    });
  });

  it("never shows the admin password in results, readings or errors", () => {
    expect(JSON.stringify(seen)).not.toContain(cluster.adminPassword);
  });
});
