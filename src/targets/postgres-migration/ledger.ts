/**
 * The migration ledger: one row per applied phase, keyed by the runner's
 * idempotency key. A transactional phase inserts its row in its own
 * transaction, so "row present" and "phase applied" are one fact.
 */
import type pg from "pg";
import { quoteTable } from "../../sensors/postgres/pg-connection.ts";

/** A ledger row as read back. `lsn` is null between commit and the LSN update. */
export interface LedgerRow {
  readonly idempotencyKey: string;
  readonly phase: string;
  readonly operationId: string;
  readonly stage: string;
  readonly fencingToken: number;
  readonly sqlSha256: string;
  readonly appliedAt: string;
  readonly lsn: string | null;
}

/** What a new row records. */
export interface LedgerEntry {
  readonly idempotencyKey: string;
  readonly phase: string;
  readonly operationId: string;
  readonly stage: string;
  readonly fencingToken: number;
  readonly sqlSha256: string;
}

/** SQL that creates the ledger if missing. Idempotent. */
export function createLedgerSql(table: string): string {
  return `CREATE TABLE IF NOT EXISTS ${quoteTable(table)} (
  idempotency_key text PRIMARY KEY,
  phase text NOT NULL,
  operation_id text NOT NULL,
  stage text NOT NULL,
  fencing_token bigint NOT NULL,
  sql_sha256 text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(),
  lsn pg_lsn
)`;
}

/** Inserts a row; `withLsn` records `pg_current_wal_lsn()` at once (non-transactional phases). */
export async function insertLedgerRow(
  client: pg.ClientBase,
  table: string,
  entry: LedgerEntry,
  withLsn: boolean,
): Promise<void> {
  await client.query(
    `INSERT INTO ${quoteTable(table)} (idempotency_key, phase, operation_id, stage, fencing_token, sql_sha256, lsn)
     VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $7::boolean THEN pg_current_wal_lsn() END)`,
    [entry.idempotencyKey, entry.phase, entry.operationId, entry.stage, entry.fencingToken, entry.sqlSha256, withLsn],
  );
}

/** Records the LSN after the phase's commit, if not recorded yet. Idempotent; returns the LSN. */
export async function recordLsn(client: pg.ClientBase, table: string, key: string): Promise<string | null> {
  const result = await client.query<{ lsn: string | null }>(
    `UPDATE ${quoteTable(table)} SET lsn = coalesce(lsn, pg_current_wal_lsn()) WHERE idempotency_key = $1 RETURNING lsn::text AS lsn`,
    [key],
  );
  return result.rows[0]?.lsn ?? null;
}

/** SQL selecting one row by key, columns named as {@link LedgerRow}. */
export function selectRowSql(table: string): string {
  return `SELECT idempotency_key AS "idempotencyKey", phase, operation_id AS "operationId", stage,
    fencing_token::float8 AS "fencingToken", sql_sha256 AS "sqlSha256", applied_at::text AS "appliedAt", lsn::text AS lsn
    FROM ${quoteTable(table)} WHERE idempotency_key = $1`;
}

/** The row for `key`, if the phase was applied. */
export async function findLedgerRow(client: pg.ClientBase, table: string, key: string): Promise<LedgerRow | undefined> {
  const result = await client.query<LedgerRow>(selectRowSql(table), [key]);
  return result.rows[0];
}

/** Highest fencing token any apply of this operation recorded (0 if none). */
export async function highestFencingToken(client: pg.ClientBase, table: string, operationId: string): Promise<number> {
  const result = await client.query<{ token: number }>(
    `SELECT coalesce(max(fencing_token), 0)::float8 AS token FROM ${quoteTable(table)} WHERE operation_id = $1`,
    [operationId],
  );
  return result.rows[0]?.token ?? 0;
}

/**
 * SQL for the replication target: the newest recorded LSN, or the primary's
 * current LSN while a row still lacks one (a conservative target).
 */
export function targetLsnSql(table: string): string {
  return `SELECT count(*)::int AS phases,
    CASE WHEN bool_or(lsn IS NULL) THEN pg_current_wal_lsn() ELSE max(lsn) END::text AS lsn
    FROM ${quoteTable(table)}`;
}
