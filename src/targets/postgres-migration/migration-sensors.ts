/**
 * Sensors of the `postgres-migration` target:
 * - `replay_lsn_gap`: per replica, bytes its replay is behind the newest
 *   phase's recorded LSN. A replica that cannot say is absent from the vector
 *   (so `expectNodes` fails closed) and named in `detail`.
 * - `old_version_sessions`: sessions on the primary and every replica whose
 *   `application_name` matches `appNamePattern` (previous schema versions).
 */
import { failedReading } from "../../sensors/failed-reading.ts";
import type { PgReader } from "../../sensors/postgres/pg-reader.ts";
import type { Reading, Sensor } from "../../sensors/sensor.ts";
import { targetLsnSql } from "./ledger.ts";
import { bytesBehind, parseLsn } from "./lsn.ts";
import { readReplayPositions } from "./replica-positions.ts";

/** Readers the sensors query: the primary and each replica by name. */
export interface MigrationReaders {
  readonly primary: PgReader;
  readonly replicas: ReadonlyMap<string, PgReader>;
}

/** `target.replay_lsn_gap`. */
export function replayLsnGapSensor(readers: MigrationReaders, ledgerTable: string, timeoutMs: number): Sensor {
  return {
    async read(ctx): Promise<Reading> {
      const target = await readers.primary.query(targetLsnSql(ledgerTable), [], timeoutMs, ctx.signal);
      if (!target.ok) {
        return target.sqlState === "42P01"
          ? failedReading("empty", "no phase applied yet (the ledger does not exist)", ctx.nowMs)
          : failedReading(target.code, target.message, ctx.nowMs);
      }
      const row = target.value.rows[0];
      const targetLsn = parseLsn(row?.lsn);
      if (row?.phases === 0 || targetLsn === undefined)
        return failedReading("empty", "no phase applied yet", ctx.nowMs);

      const positions = await readReplayPositions(readers.replicas, timeoutMs, ctx.signal);
      const values: Record<string, number> = {};
      const missing: string[] = [];
      for (const position of positions) {
        if (position.ok) values[position.name] = bytesBehind(targetLsn, position.replayLsn);
        else missing.push(`${position.name} (${position.reason})`);
      }
      if (Object.keys(values).length === 0) {
        return failedReading("unreachable", `no replica reports its replay position: ${missing.join("; ")}`, ctx.nowMs);
      }
      const behind = Object.entries(values).filter(([, bytes]) => bytes > 0);
      const detail = [
        `target ${row?.lsn}`,
        ...(behind.length > 0 ? [`behind: ${behind.map(([name, bytes]) => `${name} ${bytes} bytes`).join(", ")}`] : []),
        ...(missing.length > 0 ? [`unreachable: ${missing.join("; ")}`] : []),
      ].join("; ");
      return { ok: true, observedAtMs: ctx.nowMs, value: { type: "vector", values }, detail };
    },
  };
}

/** `target.old_version_sessions`: a count over every node; any node that cannot answer fails the reading. */
export function oldVersionSessionsSensor(readers: MigrationReaders, appNamePattern: string, timeoutMs: number): Sensor {
  const nodes = [["primary", readers.primary] as const, ...readers.replicas];
  return {
    async read(ctx): Promise<Reading> {
      const outcomes = await Promise.all(
        nodes.map(([, reader]) =>
          reader.query(
            `SELECT application_name AS app, count(*)::int AS sessions FROM pg_stat_activity
             WHERE application_name ~ $1 AND pid <> pg_backend_pid() GROUP BY 1`,
            [appNamePattern],
            timeoutMs,
            ctx.signal,
          ),
        ),
      );
      const perApp = new Map<string, number>();
      for (const [index, outcome] of outcomes.entries()) {
        if (!outcome.ok) return failedReading(outcome.code, `${nodes[index]?.[0]}: ${outcome.message}`, ctx.nowMs);
        for (const row of outcome.value.rows) {
          perApp.set(String(row.app), (perApp.get(String(row.app)) ?? 0) + Number(row.sessions));
        }
      }
      const total = [...perApp.values()].reduce((sum, n) => sum + n, 0);
      const detail = total === 0 ? "no old-version sessions" : [...perApp].map(([app, n]) => `${app}: ${n}`).join(", ");
      return { ok: true, observedAtMs: ctx.nowMs, value: { type: "scalar", value: total }, detail };
    },
  };
}
