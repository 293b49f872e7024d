/** Where each standby's replay is, queried on the standby itself. */
import type { PgReader } from "../../sensors/postgres/pg-reader.ts";
import { parseLsn } from "./lsn.ts";

/** One replica's replay position, or why it has none (unreachable, not a standby). */
export type ReplicaPosition =
  | { readonly name: string; readonly ok: true; readonly replayLsn: bigint }
  | { readonly name: string; readonly ok: false; readonly reason: string };

/**
 * Reads `pg_last_wal_replay_lsn()` on every replica in parallel. Never
 * rejects; a replica that cannot answer, or is no longer in recovery, comes
 * back with a reason instead of a position.
 */
export async function readReplayPositions(
  replicas: ReadonlyMap<string, PgReader>,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<ReplicaPosition[]> {
  return Promise.all(
    [...replicas].map(async ([name, reader]): Promise<ReplicaPosition> => {
      const outcome = await reader.query(
        "SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn()::text AS replay",
        [],
        timeoutMs,
        signal,
      );
      if (!outcome.ok) return { name, ok: false, reason: outcome.message };
      const row = outcome.value.rows[0];
      if (row?.standby !== true) return { name, ok: false, reason: `${name} is not in recovery (promoted?)` };
      const replayLsn = parseLsn(row.replay);
      return replayLsn === undefined
        ? { name, ok: false, reason: `${name} reports no replay position` }
        : { name, ok: true, replayLsn };
    }),
  );
}
