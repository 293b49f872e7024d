/**
 * Sensors of the `secret-rotation` target, read from `pg_stat_activity`:
 * - `consumers_on_new_role`: per consumer, 1 when a session with its
 *   `application_name` is logged in as the new (active) role, else 0;
 * - `old_role_sessions`: sessions still logged in as the previous role.
 * Both fail closed (`empty`) until a rotation has been published.
 */
import { failedReading } from "../../sensors/failed-reading.ts";
import type { PgReader } from "../../sensors/postgres/pg-reader.ts";
import type { ReadContext, Reading, Sensor } from "../../sensors/sensor.ts";
import type { RotationConfig } from "./rotation-config.ts";
import { pairKey, selectStateSql } from "./rotation-state.ts";

type Sessions = { readonly ok: true; readonly role: string; readonly perApp: ReadonlyMap<string, number> } | Reading;

async function sessionsOnRole(
  reader: PgReader,
  config: RotationConfig,
  timeoutMs: number,
  which: "activeRole" | "previousRole",
  ctx: ReadContext,
): Promise<Sessions> {
  const state = await reader.query(selectStateSql(config.stateTable), [pairKey(config.roles)], timeoutMs, ctx.signal);
  if (!state.ok && state.sqlState !== "42P01") return failedReading(state.code, state.message, ctx.nowMs);
  const row = state.ok ? state.value.rows[0] : undefined;
  const role = row?.[which];
  if (row?.rotateStatus !== "published" || typeof role !== "string") {
    return failedReading("empty", "no rotation has been published yet", ctx.nowMs);
  }
  const sessions = await reader.query(
    `SELECT application_name AS app, count(*)::int AS n FROM pg_stat_activity
     WHERE usename = $1 AND pid <> pg_backend_pid() GROUP BY 1`,
    [role],
    timeoutMs,
    ctx.signal,
  );
  if (!sessions.ok) return failedReading(sessions.code, sessions.message, ctx.nowMs);
  return { ok: true, role, perApp: new Map(sessions.value.rows.map((r) => [String(r.app), Number(r.n)])) };
}

/** `target.consumers_on_new_role` (vector keyed by consumer name). */
export function consumersOnNewRoleSensor(reader: PgReader, config: RotationConfig, timeoutMs: number): Sensor {
  return {
    async read(ctx): Promise<Reading> {
      const sessions = await sessionsOnRole(reader, config, timeoutMs, "activeRole", ctx);
      if (!("perApp" in sessions)) return sessions;
      const values: Record<string, number> = {};
      for (const consumer of config.consumers) {
        values[consumer.name] = (sessions.perApp.get(consumer.applicationName) ?? 0) > 0 ? 1 : 0;
      }
      const missing = config.consumers.filter((c) => values[c.name] === 0).map((c) => c.name);
      const detail =
        missing.length === 0
          ? `every consumer is on ${sessions.role}`
          : `not yet on ${sessions.role}: ${missing.join(", ")}`;
      return { ok: true, observedAtMs: ctx.nowMs, value: { type: "vector", values }, detail };
    },
  };
}

/** `target.old_role_sessions` (scalar); `detail` names who is still on the old role. */
export function oldRoleSessionsSensor(reader: PgReader, config: RotationConfig, timeoutMs: number): Sensor {
  return {
    async read(ctx): Promise<Reading> {
      const sessions = await sessionsOnRole(reader, config, timeoutMs, "previousRole", ctx);
      if (!("perApp" in sessions)) return sessions;
      const total = [...sessions.perApp.values()].reduce((sum, n) => sum + n, 0);
      const names = new Map(config.consumers.map((c) => [c.applicationName, c.name]));
      const who = [...sessions.perApp].map(([app, n]) => `${names.get(app) ?? (app || "(unnamed)")} (${n})`);
      const detail = total === 0 ? `no session on ${sessions.role}` : `still on ${sessions.role}: ${who.join(", ")}`;
      return { ok: true, observedAtMs: ctx.nowMs, value: { type: "scalar", value: total }, detail };
    },
  };
}
