import { describe, expect, it } from "vitest";
import type { ActionSpec } from "../target.ts";
import { migrationConfigSchema, phaseActionSchema } from "./migration-config.ts";
import { postgresMigrationTarget } from "./postgres-migration.ts";

const raw = {
  primary: `postgres://airlock:\${PGPASSWORD_SHOP}@db-1.internal:5432/shop`,
  replicas: [
    { name: "db-2", url: `postgres://airlock:\${PGPASSWORD_SHOP}@db-2.internal:5432/shop` },
    { name: "db-3", url: `postgres://airlock:\${PGPASSWORD_SHOP}@db-3.internal:5432/shop` },
  ],
};
const config = migrationConfigSchema.parse(raw);
const phase = (params: Record<string, unknown>): ActionSpec => ({
  type: "phase",
  params: phaseActionSchema.parse(params),
});

describe("postgres-migration definition", () => {
  it("fills defaults: lock_timeout 2s, bounded retries, the airlock_migrations ledger", () => {
    expect(config).toMatchObject({ lockTimeout: "2s", retry: { attempts: 5 }, ledgerTable: "airlock_migrations" });
    expect(migrationConfigSchema.parse(config)).toEqual(config);
  });

  it("claims the primary database by host, port and name", () => {
    expect(postgresMigrationTarget.claims(config)).toEqual(["postgres:db-1.internal:5432/shop"]);
  });

  it("gates every phase on every listed replica having replayed it", () => {
    const gates = postgresMigrationTarget.defaultGates(phase({ name: "expand", sql: "SELECT 1" }), config);
    expect(gates.conditions?.replicated).toEqual([
      expect.objectContaining({
        sensor: "target.replay_lsn_gap",
        aggregate: "every",
        op: "<=",
        threshold: 0,
        expectNodes: ["db-2", "db-3"],
      }),
    ]);
  });

  it("offers old_version_sessions only when the plan names the old versions' application_name", () => {
    expect(postgresMigrationTarget.sensorNames(config)).toEqual(["replay_lsn_gap"]);
    const withPattern = migrationConfigSchema.parse({ ...raw, appNamePattern: "^shop@v41$" });
    expect(postgresMigrationTarget.sensorNames(withPattern)).toEqual(["replay_lsn_gap", "old_version_sessions"]);
  });

  it("rolls back newest first and stops at the first one-way phase, saying so", () => {
    const applied = [
      phase({ name: "expand", sql: "ALTER TABLE t ADD c int", rollback: "ALTER TABLE t DROP c" }),
      phase({ name: "backfill", backfill: { sql: "UPDATE t SET c = 1 WHERE c IS NULL" } }),
      phase({
        name: "index",
        sql: "CREATE INDEX CONCURRENTLY i ON t (c)",
        transaction: false,
        rollbackFile: "down/i.sql",
      }),
    ];
    const plan = postgresMigrationTarget.rollback(applied, raw as never);
    expect(plan.steps.map((step) => step.name)).toEqual(["rollback-index"]);
    expect(plan.steps[0]?.action).toBe(applied[2]);
    expect(plan.stopsAt).toBe("phase backfill has no rollback SQL: it is one-way, so rollback stops before it");
    expect(plan.steps[0]?.gates.conditions?.replicated).toHaveLength(1);
  });

  it("rolls everything back when every phase has rollback SQL", () => {
    const applied = [
      phase({ name: "a", sql: "CREATE TABLE a (id int)", rollback: "DROP TABLE a" }),
      phase({ name: "b", sql: "CREATE TABLE b (id int)", rollback: "DROP TABLE b" }),
    ];
    const plan = postgresMigrationTarget.rollback(applied, config);
    expect(plan.steps.map((step) => step.name)).toEqual(["rollback-b", "rollback-a"]);
    expect(plan.stopsAt).toBeUndefined();
  });

  it("requires exactly one of sql, file or backfill in a phase", () => {
    expect(phaseActionSchema.safeParse({ name: "x" }).success).toBe(false);
    expect(phaseActionSchema.safeParse({ name: "x", sql: "SELECT 1", file: "x.sql" }).success).toBe(false);
    expect(phaseActionSchema.parse({ name: "x", file: "x.sql" })).toEqual({
      name: "x",
      file: "x.sql",
      transaction: true,
    });
  });
});
