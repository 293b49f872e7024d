/**
 * Backfills in batches, each committed on its own, throttled on replica lag
 * after every batch (gh-ost's `--max-lag-millis`): a replica's lag is how
 * long ago the primary wrote the WAL position the replica has not replayed
 * yet. A replica that cannot say where it is counts as lagging (fail closed).
 */
import type pg from "pg";
import type { PgEndpoint, PgFailure } from "../../sensors/postgres/pg-connection.ts";
import type { PgReader } from "../../sensors/postgres/pg-reader.ts";
import { type RetryPolicy, sleep, withLockRetry } from "./lock-retry.ts";
import { parseLsn } from "./lsn.ts";
import { readReplayPositions } from "./replica-positions.ts";

/** A batch statement and its throttle. */
export interface BackfillSpec {
  readonly sql: string;
  readonly batchSize: number;
  readonly maxLagMs: number;
  readonly throttleTimeoutMs: number;
}

/** What a finished backfill did. */
export interface BackfillReport {
  readonly batches: number;
  readonly rows: number;
  readonly lockTimeouts: number;
  readonly throttledMs: number;
}

/** A backfill that stopped: a database failure, or replicas that stayed behind. */
export type BackfillFailure =
  | { readonly kind: "pg"; readonly failure: PgFailure }
  | { readonly kind: "lag"; readonly message: string };

const POLL_MS = 100;
const REPLICA_TIMEOUT_MS = 2_000;

/**
 * Runs batches until one affects no rows. Safe to re-run after a crash
 * (the batch SQL must converge). Never rejects.
 */
export async function runBackfill(
  client: pg.ClientBase,
  spec: BackfillSpec,
  policy: RetryPolicy,
  endpoint: PgEndpoint,
  replicas: ReadonlyMap<string, PgReader>,
  signal: AbortSignal,
): Promise<
  { readonly ok: true; readonly value: BackfillReport } | { readonly ok: false; readonly failure: BackfillFailure }
> {
  const params = /\$1(?!\d)/.test(spec.sql) ? [spec.batchSize] : [];
  const written: { readonly atMs: number; readonly lsn: bigint }[] = [];
  const report = { batches: 0, rows: 0, lockTimeouts: 0, throttledMs: 0 };
  for (;;) {
    const batch = await withLockRetry(() => client.query(spec.sql, params), policy, endpoint, signal);
    report.lockTimeouts += batch.lockTimeouts;
    if (!batch.ok) return { ok: false, failure: { kind: "pg", failure: batch.failure } };
    const affected = affectedRows(batch.value);
    if (affected === 0) return { ok: true, value: report };
    report.batches += 1;
    report.rows += affected;
    const lsn = await client.query<{ lsn: string }>("SELECT pg_current_wal_lsn()::text AS lsn");
    written.push({ atMs: Date.now(), lsn: parseLsn(lsn.rows[0]?.lsn) ?? 0n });
    const startedMs = Date.now();
    for (;;) {
      const lagging = await laggingReplicas(replicas, written, spec.maxLagMs, signal);
      if (lagging.length === 0) break;
      if (signal.aborted || Date.now() - startedMs >= spec.throttleTimeoutMs) {
        return {
          ok: false,
          failure: {
            kind: "lag",
            message: `replicas more than ${spec.maxLagMs} ms behind for ${Date.now() - startedMs} ms after batch ${report.batches}: ${lagging.join(", ")}`,
          },
        };
      }
      await sleep(POLL_MS, signal);
    }
    report.throttledMs += Date.now() - startedMs;
  }
}

// A SELECT (e.g. of a function doing the batch) reports its count in its first column.
function affectedRows(result: pg.QueryResult): number {
  if (result.command === "SELECT") {
    const first = result.rows[0] as Record<string, unknown> | undefined;
    const value = Number(first === undefined ? 0 : Object.values(first)[0]);
    return Number.isFinite(value) ? value : 0;
  }
  return result.rowCount ?? 0;
}

async function laggingReplicas(
  replicas: ReadonlyMap<string, PgReader>,
  written: readonly { readonly atMs: number; readonly lsn: bigint }[],
  maxLagMs: number,
  signal: AbortSignal,
): Promise<string[]> {
  const positions = await readReplayPositions(replicas, REPLICA_TIMEOUT_MS, signal);
  const nowMs = Date.now();
  return positions.flatMap((position) => {
    if (!position.ok) return [`${position.name} (unknown: ${position.reason})`];
    const oldestUnreplayed = written.find((sample) => sample.lsn > position.replayLsn);
    const lagMs = oldestUnreplayed === undefined ? 0 : nowMs - oldestUnreplayed.atMs;
    return lagMs > maxLagMs ? [`${position.name} (${lagMs} ms)`] : [];
  });
}
