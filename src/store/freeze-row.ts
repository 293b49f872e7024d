/**
 * The `freezes` table's row, the same in the SQLite and PostgreSQL schemas,
 * and its mapping to the store's `Freeze`.
 */
import type { Freeze } from "./store.ts";

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
