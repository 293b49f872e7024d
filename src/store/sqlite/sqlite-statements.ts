/**
 * The SQLite store's prepared statements, compiled once per connection after
 * migration so the hot path (commit) never re-parses SQL, and the row shapes
 * they return.
 */
import type Database from "better-sqlite3";
import type { CommandRow as ParsedCommandRow } from "../signal-rows.ts";

/** An `operations` row. */
export interface OperationRow {
  readonly id: string;
  readonly plan_name: string;
  readonly domain: string;
  readonly plan_hash: string;
  readonly plan_source: string;
  readonly plan_file: string;
  readonly status: string;
  readonly version: number;
  readonly last_seq: number;
  readonly state: string;
  readonly created_at_ms: number;
  readonly updated_at_ms: number;
}

/** What a commit reads first: the operation's head and its runner lease. */
export interface CommitHeadRow {
  readonly version: number;
  readonly status: string;
  readonly last_seq: number;
  readonly holder: string | null;
  readonly token: number | null;
  readonly expires_at_ms: number | null;
}

/** A `runner_leases` row. */
export interface LeaseRow {
  readonly holder: string | null;
  readonly token: number;
  readonly expires_at_ms: number;
}

/** A domain holder joined with its plan name. */
export interface HolderRow {
  readonly operation_id: string;
  readonly plan_name: string;
  readonly stage: string;
  readonly since_ms: number;
}

/** A domain waiter joined with its operation. */
export interface WaiterRow {
  readonly operation_id: string;
  readonly plan_name: string;
  readonly status: string;
  readonly priority: string;
  readonly since_ms: number;
  readonly last_seen_ms: number;
}

/** A claim joined with its holder's plan name. */
export interface ClaimHolderRow {
  readonly claim: string;
  readonly operation_id: string;
  readonly plan_name: string;
}

/** An `events` row. */
export interface EventRow {
  readonly seq: number;
  readonly type: string;
  readonly at_ms: number;
  readonly data: string;
}

/** A `commands` row as SQLite returns it: `data` still JSON text. */
export type CommandRow = Omit<ParsedCommandRow, "data"> & { readonly data: string };

/** An `acks` row. */
export interface AckRow {
  readonly operation_id: string;
  readonly stage: string;
  readonly consumer: string;
  readonly actor: string;
  readonly at_ms: number;
}

const TERMINAL = "('completed', 'rolled_back', 'failed', 'abandoned')";

/** Whole operation rows (`o`), with the plan source from its own table. */
export const OPERATION_ROWS =
  "SELECT o.*, p.plan_source FROM operations o JOIN operation_plans p ON p.operation_id = o.id";

/** Compiles every fixed statement of the store. Call after `migrateSqlite`. */
export function prepareStatements(db: Database.Database) {
  return {
    operation: db.prepare<[string], OperationRow>(`${OPERATION_ROWS} WHERE o.id = ?`),
    livePlan: db.prepare<[string], OperationRow>(
      `${OPERATION_ROWS} WHERE o.plan_name = ? AND o.status NOT IN ${TERMINAL}`,
    ),
    insertOperation: db.prepare<[string, string, string, string, string, string, number, number]>(
      `INSERT INTO operations (id, plan_name, domain, plan_hash, plan_file, status, version, last_seq,
         state, created_at_ms, updated_at_ms)
       VALUES (?, ?, ?, ?, ?, 'pending', 0, 0, ?, ?, ?)`,
    ),
    insertPlan: db.prepare<[string, string]>("INSERT INTO operation_plans (operation_id, plan_source) VALUES (?, ?)"),
    commitHead: db.prepare<[string], CommitHeadRow>(
      `SELECT o.version, o.status, o.last_seq, l.holder, l.token, l.expires_at_ms
       FROM operations o LEFT JOIN runner_leases l ON l.operation_id = o.id WHERE o.id = ?`,
    ),
    updateOperation: db.prepare<[string, string, number, number, number, string]>(
      "UPDATE operations SET status = ?, state = ?, version = ?, last_seq = ?, updated_at_ms = ? WHERE id = ?",
    ),
    insertEvent: db.prepare<[string, number, string, number, string]>(
      "INSERT INTO events (operation_id, seq, type, at_ms, data) VALUES (?, ?, ?, ?, ?)",
    ),
    events: db.prepare<[string, number, number], EventRow>(
      "SELECT seq, type, at_ms, data FROM events WHERE operation_id = ? AND seq > ? ORDER BY seq LIMIT ?",
    ),
    lease: db.prepare<[string], LeaseRow>(
      "SELECT holder, token, expires_at_ms FROM runner_leases WHERE operation_id = ?",
    ),
    upsertLease: db.prepare<[string, string, number, number]>(
      `INSERT INTO runner_leases (operation_id, holder, token, expires_at_ms) VALUES (?, ?, ?, ?)
       ON CONFLICT (operation_id) DO UPDATE SET holder = excluded.holder, token = excluded.token,
         expires_at_ms = excluded.expires_at_ms`,
    ),
    releaseLease: db.prepare<[string, string, number]>(
      "UPDATE runner_leases SET holder = NULL, expires_at_ms = 0 WHERE operation_id = ? AND holder = ? AND token = ?",
    ),
    domainHolder: db.prepare<[string], HolderRow>(
      `SELECT d.operation_id, COALESCE(o.plan_name, '') AS plan_name, d.stage, d.since_ms
       FROM domain_leases d LEFT JOIN operations o ON o.id = d.operation_id WHERE d.domain = ?`,
    ),
    domainWaiters: db.prepare<[string], WaiterRow>(
      `SELECT w.operation_id, COALESCE(o.plan_name, '') AS plan_name, COALESCE(o.status, 'abandoned') AS status,
         w.priority, w.since_ms, w.last_seen_ms
       FROM domain_waiters w LEFT JOIN operations o ON o.id = w.operation_id WHERE w.domain = ?`,
    ),
    upsertWaiter: db.prepare<[string, string, string, number, number]>(
      `INSERT INTO domain_waiters (domain, operation_id, priority, since_ms, last_seen_ms) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (domain, operation_id) DO UPDATE SET priority = excluded.priority,
         last_seen_ms = excluded.last_seen_ms`,
    ),
    deleteWaiter: db.prepare<[string, string]>("DELETE FROM domain_waiters WHERE domain = ? AND operation_id = ?"),
    takeDomain: db.prepare<[string, string, string, number]>(
      `INSERT INTO domain_leases (domain, operation_id, stage, since_ms) VALUES (?, ?, ?, ?)
       ON CONFLICT (domain) DO UPDATE SET stage = excluded.stage,
         since_ms = CASE WHEN domain_leases.stage = excluded.stage THEN domain_leases.since_ms
                    ELSE excluded.since_ms END
       WHERE domain_leases.operation_id = excluded.operation_id`,
    ),
    releaseDomain: db.prepare<[string, string]>("DELETE FROM domain_leases WHERE domain = ? AND operation_id = ?"),
    claimHolder: db.prepare<[string], ClaimHolderRow>(
      `SELECT c.claim, c.operation_id, COALESCE(o.plan_name, '') AS plan_name
       FROM claims c LEFT JOIN operations o ON o.id = c.operation_id WHERE c.claim = ?`,
    ),
    insertClaim: db.prepare<[string, string]>(
      "INSERT INTO claims (claim, operation_id) VALUES (?, ?) ON CONFLICT (claim) DO NOTHING",
    ),
    releaseClaims: db.prepare<[string]>("DELETE FROM claims WHERE operation_id = ?"),
    insertCommand: db.prepare<[string, string, string, string, string, number]>(
      "INSERT INTO commands (operation_id, type, actor, reason, data, created_at_ms) VALUES (?, ?, ?, ?, ?, ?)",
    ),
    consumeCommand: db.prepare<[number, number, string]>(
      "UPDATE commands SET consumed_at_ms = ? WHERE id = ? AND operation_id = ? AND consumed_at_ms IS NULL",
    ),
    upsertFreeze: db.prepare<[string, string, string, number, number | null]>(
      `INSERT INTO freezes (domain, set_by, reason, set_at_ms, expires_at_ms) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (domain, set_by) DO UPDATE SET reason = excluded.reason, set_at_ms = excluded.set_at_ms,
         expires_at_ms = excluded.expires_at_ms`,
    ),
    clearFreezes: db.prepare<[string]>("DELETE FROM freezes WHERE domain = ?"),
    clearFreezeBy: db.prepare<[string, string]>("DELETE FROM freezes WHERE domain = ? AND set_by = ?"),
    insertAck: db.prepare<[string, string, string, string, number]>(
      `INSERT INTO acks (operation_id, stage, consumer, actor, at_ms) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT DO NOTHING`,
    ),
    acks: db.prepare<[string], AckRow>("SELECT * FROM acks WHERE operation_id = ? ORDER BY at_ms, rowid"),
  };
}

/** The compiled statements of one connection. */
export type SqliteStatements = ReturnType<typeof prepareStatements>;
