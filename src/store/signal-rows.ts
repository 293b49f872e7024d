/**
 * Rows of the `freezes` and `commands` tables, the same in the SQLite and
 * PostgreSQL schemas (SQLite hands `data` over as text, to be parsed first),
 * and their mappings to the store's `Freeze` and `StoredCommand`.
 */
import type { Json } from "../targets/target.ts";
import type { Freeze, StoredCommand } from "./store.ts";

/** A `freezes` row. */
export interface FreezeRow {
  readonly domain: string;
  readonly set_by: string;
  readonly reason: string;
  readonly set_at_ms: number;
  readonly expires_at_ms: number | null;
}

/** Maps a `freezes` row. Pure. */
export function toFreeze(row: FreezeRow): Freeze {
  return {
    domain: row.domain,
    setBy: row.set_by,
    reason: row.reason,
    setAtMs: row.set_at_ms,
    expiresAtMs: row.expires_at_ms,
  };
}

/** A `commands` row, its `data` parsed. */
export interface CommandRow {
  readonly id: number;
  readonly operation_id: string;
  readonly type: string;
  readonly actor: string;
  readonly reason: string;
  readonly data: Json;
  readonly created_at_ms: number;
}

/** Maps a `commands` row. Pure. */
export function toCommand(row: CommandRow): StoredCommand {
  return {
    id: row.id,
    operationId: row.operation_id,
    type: row.type,
    actor: row.actor,
    reason: row.reason,
    data: row.data,
    createdAtMs: row.created_at_ms,
  };
}
