/**
 * Versioned schema of the PostgreSQL store, in the connection's current
 * schema (`search_path`). Each migration is a numbered step applied once, in
 * order, recorded in `schema_migrations`. Never edit a released step: add the
 * next one. Times are integer milliseconds since the epoch (`BIGINT`), like
 * the SQLite store; JSON columns are `json`, which keeps the text as written.
 */
import type pg from "pg";
import { withTransaction } from "./with-transaction.ts";

/** One schema step. */
export interface PostgresMigration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

/** Every step, ascending by version. */
export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [
  {
    version: 1,
    description: "operations, events, locks, commands, freezes, acks",
    sql: `
      CREATE TABLE operations (
        id TEXT PRIMARY KEY,
        created_order BIGINT GENERATED ALWAYS AS IDENTITY,
        plan_name TEXT NOT NULL,
        domain TEXT NOT NULL,
        plan_hash TEXT NOT NULL,
        plan_source TEXT NOT NULL,
        plan_file TEXT NOT NULL,
        status TEXT NOT NULL,
        version INTEGER NOT NULL,
        last_seq INTEGER NOT NULL,
        state JSON NOT NULL,
        created_at_ms BIGINT NOT NULL,
        updated_at_ms BIGINT NOT NULL
      );
      CREATE INDEX operations_created ON operations (created_at_ms DESC, created_order DESC);
      CREATE UNIQUE INDEX operations_live_plan ON operations (plan_name)
        WHERE status NOT IN ('completed', 'rolled_back', 'failed', 'abandoned');
      CREATE TABLE events (
        operation_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        type TEXT NOT NULL,
        at_ms BIGINT NOT NULL,
        data JSON NOT NULL,
        PRIMARY KEY (operation_id, seq)
      );
      CREATE TABLE runner_leases (
        operation_id TEXT PRIMARY KEY,
        holder TEXT,
        token BIGINT NOT NULL,
        expires_at_ms BIGINT NOT NULL
      );
      CREATE TABLE domain_leases (
        domain TEXT PRIMARY KEY,
        operation_id TEXT NOT NULL,
        stage TEXT NOT NULL,
        since_ms BIGINT NOT NULL
      );
      CREATE TABLE domain_waiters (
        domain TEXT NOT NULL,
        operation_id TEXT NOT NULL,
        priority TEXT NOT NULL,
        since_ms BIGINT NOT NULL,
        last_seen_ms BIGINT NOT NULL,
        PRIMARY KEY (domain, operation_id)
      );
      CREATE TABLE claims (
        claim TEXT PRIMARY KEY,
        operation_id TEXT NOT NULL
      );
      CREATE INDEX claims_operation ON claims (operation_id);
      CREATE TABLE commands (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        operation_id TEXT NOT NULL,
        type TEXT NOT NULL,
        actor TEXT NOT NULL,
        reason TEXT NOT NULL,
        data JSON NOT NULL,
        created_at_ms BIGINT NOT NULL,
        consumed_at_ms BIGINT
      );
      CREATE INDEX commands_pending ON commands (operation_id) WHERE consumed_at_ms IS NULL;
      CREATE TABLE freezes (
        domain TEXT NOT NULL,
        set_by TEXT NOT NULL,
        reason TEXT NOT NULL,
        set_at_ms BIGINT NOT NULL,
        expires_at_ms BIGINT,
        PRIMARY KEY (domain, set_by)
      );
      CREATE TABLE acks (
        id BIGINT GENERATED ALWAYS AS IDENTITY,
        operation_id TEXT NOT NULL,
        stage TEXT NOT NULL,
        consumer TEXT NOT NULL,
        actor TEXT NOT NULL,
        at_ms BIGINT NOT NULL,
        PRIMARY KEY (operation_id, stage, consumer)
      );
    `,
  },
];

/** Advisory lock key that serializes concurrent migrations of one database. */
const MIGRATION_LOCK_KEY = 0x6169726c6f636bn; // "airlock"

/**
 * Applies the missing steps in one transaction under an advisory lock, so two
 * controllers starting at once cannot both apply a step. Idempotent.
 */
export async function migratePostgres(pool: pg.Pool): Promise<void> {
  await withTransaction(pool, async (client) => {
    await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK_KEY.toString()]);
    await client.query(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL)",
    );
    const { rows } = await client.query<{ version: number }>(
      "SELECT COALESCE(MAX(version), 0)::int AS version FROM schema_migrations",
    );
    const current = rows[0]?.version ?? 0;
    for (const migration of POSTGRES_MIGRATIONS) {
      if (migration.version <= current) continue;
      await client.query(migration.sql);
      await client.query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, clock_timestamp())", [
        migration.version,
      ]);
    }
  });
}
