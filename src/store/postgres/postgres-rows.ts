/**
 * Row shapes of the PostgreSQL store and their mapping to store records.
 * `BIGINT` columns arrive as numbers (the store's pool parses int8), `json`
 * columns as parsed values.
 */
import type { Json } from "../../targets/target.ts";
import type { DomainHolderRow, DomainWaiterRow } from "../rules.ts";
import type { OperationRecord, OperationStatus } from "../store.ts";

/** The database clock in ms, plus a test offset passed as parameter `$n`. */
export function nowMsSql(param: number): string {
  return `(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint + $${param}::bigint)`;
}

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
  readonly state: Json;
  readonly created_at_ms: number;
  readonly updated_at_ms: number;
}

/** Columns of `OperationRow`, for `SELECT`. */
export const OPERATION_COLUMNS =
  "id, plan_name, domain, plan_hash, plan_source, plan_file, status, version, state, created_at_ms, updated_at_ms";

/** Maps an operations row. */
export function toOperation(row: OperationRow): OperationRecord {
  return {
    id: row.id,
    planName: row.plan_name,
    domain: row.domain,
    planHash: row.plan_hash,
    planSource: row.plan_source,
    planFile: row.plan_file,
    status: row.status as OperationStatus,
    version: row.version,
    state: row.state,
    createdAtMs: row.created_at_ms,
    updatedAtMs: row.updated_at_ms,
  };
}

/** A domain holder joined with its plan name. */
export interface HolderRow {
  readonly operation_id: string;
  readonly plan_name: string;
  readonly stage: string;
  readonly since_ms: number;
}

/** Maps a holder row. */
export function toHolder(row: HolderRow): DomainHolderRow {
  return { operationId: row.operation_id, planName: row.plan_name, stage: row.stage, sinceMs: row.since_ms };
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

/** Maps a waiter row. */
export function toWaiter(row: WaiterRow): DomainWaiterRow {
  return {
    operationId: row.operation_id,
    planName: row.plan_name,
    status: row.status as OperationStatus,
    priority: row.priority === "rollback" ? "rollback" : "normal",
    sinceMs: row.since_ms,
    lastSeenMs: row.last_seen_ms,
  };
}

/** Holder of `$1` (a domain). */
export const HOLDER_SQL = `SELECT d.operation_id, COALESCE(o.plan_name, '') AS plan_name, d.stage, d.since_ms
  FROM domain_leases d LEFT JOIN operations o ON o.id = d.operation_id WHERE d.domain = $1`;

/** Waiters of `$1` (a domain). */
export const WAITERS_SQL = `SELECT w.operation_id, COALESCE(o.plan_name, '') AS plan_name,
    COALESCE(o.status, 'abandoned') AS status, w.priority, w.since_ms, w.last_seen_ms
  FROM domain_waiters w LEFT JOIN operations o ON o.id = w.operation_id WHERE w.domain = $1`;
