/**
 * Versioned schema of the SQLite store. Each migration is a numbered step
 * applied once, in order, recorded in `schema_migrations`. Never edit a
 * released step: add the next one.
 */
import type Database from "better-sqlite3";

/** One schema step. */
export interface SqliteMigration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

/** Every step, ascending by version. */
export const SQLITE_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    description: "operations, events, locks, commands, freezes, acks",
    sql: `
      CREATE TABLE operations (
        id TEXT PRIMARY KEY,
        plan_name TEXT NOT NULL,
        domain TEXT NOT NULL,
        plan_hash TEXT NOT NULL,
        plan_source TEXT NOT NULL,
        plan_file TEXT NOT NULL,
        status TEXT NOT NULL,
        version INTEGER NOT NULL,
        last_seq INTEGER NOT NULL,
        state TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL,
        updated_at_ms INTEGER NOT NULL
      );
      CREATE INDEX operations_created ON operations (created_at_ms);
      CREATE UNIQUE INDEX operations_live_plan ON operations (plan_name)
        WHERE status NOT IN ('completed', 'rolled_back', 'failed', 'abandoned');
      CREATE TABLE events (
        operation_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        type TEXT NOT NULL,
        at_ms INTEGER NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (operation_id, seq)
      ) WITHOUT ROWID;
      CREATE TABLE runner_leases (
        operation_id TEXT PRIMARY KEY,
        holder TEXT,
        token INTEGER NOT NULL,
        expires_at_ms INTEGER NOT NULL
      );
      CREATE TABLE domain_leases (
        domain TEXT PRIMARY KEY,
        operation_id TEXT NOT NULL,
        stage TEXT NOT NULL,
        since_ms INTEGER NOT NULL
      );
      CREATE TABLE domain_waiters (
        domain TEXT NOT NULL,
        operation_id TEXT NOT NULL,
        priority TEXT NOT NULL,
        since_ms INTEGER NOT NULL,
        last_seen_ms INTEGER NOT NULL,
        PRIMARY KEY (domain, operation_id)
      ) WITHOUT ROWID;
      CREATE TABLE claims (
        claim TEXT PRIMARY KEY,
        operation_id TEXT NOT NULL
      );
      CREATE INDEX claims_operation ON claims (operation_id);
      CREATE TABLE commands (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        operation_id TEXT NOT NULL,
        type TEXT NOT NULL,
        actor TEXT NOT NULL,
        reason TEXT NOT NULL,
        data TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL,
        consumed_at_ms INTEGER
      );
      CREATE INDEX commands_pending ON commands (operation_id) WHERE consumed_at_ms IS NULL;
      CREATE TABLE freezes (
        domain TEXT NOT NULL,
        set_by TEXT NOT NULL,
        reason TEXT NOT NULL,
        set_at_ms INTEGER NOT NULL,
        expires_at_ms INTEGER,
        PRIMARY KEY (domain, set_by)
      );
      CREATE TABLE acks (
        operation_id TEXT NOT NULL,
        stage TEXT NOT NULL,
        consumer TEXT NOT NULL,
        actor TEXT NOT NULL,
        at_ms INTEGER NOT NULL,
        PRIMARY KEY (operation_id, stage, consumer)
      );
    `,
  },
  {
    version: 2,
    description: "plan sources in their own table: a checkpoint rewrites the operation row, and the plan never changes",
    sql: `
      CREATE TABLE operation_plans (
        operation_id TEXT PRIMARY KEY,
        plan_source TEXT NOT NULL
      ) WITHOUT ROWID;
      INSERT INTO operation_plans (operation_id, plan_source) SELECT id, plan_source FROM operations;
      ALTER TABLE operations DROP COLUMN plan_source;
    `,
  },
];

/**
 * Applies the missing steps in one `BEGIN IMMEDIATE` transaction, so two
 * processes opening a new file at once cannot both apply a step. Idempotent.
 */
export function migrateSqlite(db: Database.Database, nowMs: number): void {
  db.transaction(() => {
    db.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at_ms INTEGER NOT NULL)",
    );
    const row = db.prepare("SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations").get() as {
      version: number;
    };
    const record = db.prepare("INSERT INTO schema_migrations (version, applied_at_ms) VALUES (?, ?)");
    for (const migration of SQLITE_MIGRATIONS) {
      if (migration.version <= row.version) continue;
      db.exec(migration.sql);
      record.run(migration.version, nowMs);
    }
  }).immediate();
}
