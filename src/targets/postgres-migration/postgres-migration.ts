/**
 * The `postgres-migration` target (plan `kind: Migration`): schema changes as
 * phases (`expand`, `backfill`, `contract`, any names), each applied exactly
 * once, each sealed only when every replica in the plan has replayed it.
 */

import type { GatesSpec } from "../../plan/types.ts";
import { describeConnection, type PgEndpoint, resolveConnection } from "../../sensors/postgres/pg-connection.ts";
import { PgReader } from "../../sensors/postgres/pg-reader.ts";
import type { Sensor } from "../../sensors/sensor.ts";
import type {
  ActionRequest,
  ActionSpec,
  Json,
  Observation,
  RollbackStep,
  Target,
  TargetDefinition,
  TargetResult,
} from "../target.ts";
import { applyPhase, rollbackPhase } from "./apply-phase.ts";
import { selectRowSql } from "./ledger.ts";
import { type MigrationConfig, migrationConfigSchema, ms, phaseActionSchema, phaseSchema } from "./migration-config.ts";
import { oldVersionSessionsSensor, replayLsnGapSensor } from "./migration-sensors.ts";

/** Names of the sensors this target provides (as `target.<name>` in plans). */
export const REPLAY_LSN_GAP = "replay_lsn_gap";
export const OLD_VERSION_SESSIONS = "old_version_sessions";

/** The default `replicated` gate of a phase: every replica in the inventory replayed its LSN. Pure. */
export function migrationDefaultGates(action: ActionSpec, config: MigrationConfig): GatesSpec {
  if (action.type !== "phase" || config.replicas.length === 0) return {};
  return {
    conditions: {
      replicated: [
        {
          sensor: `target.${REPLAY_LSN_GAP}`,
          aggregate: "every",
          op: "<=",
          threshold: 0,
          consecutive: 1,
          expectNodes: config.replicas.map((replica) => replica.name),
          label: "bytes each replica's replay is behind the phase's commit LSN",
        },
      ],
    },
  };
}

/**
 * Rollback: the applied phases newest first, each re-applied with
 * `rollback: true` (which runs its rollback SQL). Stops at the first phase
 * without rollback SQL (a one-way phase) and says so. Pure.
 */
export function planMigrationRollback(
  applied: readonly ActionSpec[],
  config: MigrationConfig,
): { readonly steps: readonly RollbackStep[]; readonly stopsAt?: string } {
  const steps: RollbackStep[] = [];
  for (const action of [...applied].reverse()) {
    const parsed = phaseSchema.safeParse(action.params);
    if (action.type !== "phase" || !parsed.success) return { steps, stopsAt: `cannot roll back action ${action.type}` };
    if (rollbackPhase(parsed.data) === undefined) {
      return {
        steps,
        stopsAt: `phase ${parsed.data.name} has no rollback SQL: it is one-way, so rollback stops before it`,
      };
    }
    steps.push({ name: `rollback-${parsed.data.name}`, action, gates: migrationDefaultGates(action, config) });
  }
  return { steps };
}

/** Builds the live target. No I/O until the first call. */
export function createMigrationTarget(
  config: MigrationConfig,
  planDir: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Target {
  const sensorTimeoutMs = ms(config.sensorTimeout);
  const primaryReader = new PgReader(config.primary, "airlock-migration-sensor", env);
  const replicas = new Map(config.replicas.map((r) => [r.name, new PgReader(r.url, "airlock-migration-sensor", env)]));
  const readers = { primary: primaryReader, replicas };
  const sensors: Record<string, Sensor> = {
    [REPLAY_LSN_GAP]: replayLsnGapSensor(readers, config.ledgerTable, sensorTimeoutMs),
  };
  if (config.appNamePattern !== undefined) {
    sensors[OLD_VERSION_SESSIONS] = oldVersionSessionsSensor(readers, config.appNamePattern, sensorTimeoutMs);
  }
  const fail = (code: string, message: string, retryable: boolean) =>
    ({ ok: false, code, message, retryable }) as const;
  const primary = (): { ok: true; value: PgEndpoint } | ReturnType<typeof fail> => {
    const resolved = resolveConnection(config.primary, env);
    return resolved.ok ? resolved : fail("config", resolved.message, false);
  };

  return {
    async apply(request: ActionRequest): Promise<TargetResult<Observation | undefined>> {
      if (request.action.type !== "phase")
        return fail("invalid-action", `unknown action ${request.action.type}`, false);
      const endpoint = primary();
      if (!endpoint.ok) return endpoint;
      return applyPhase({ config, primary: endpoint.value, replicas, planDir }, request);
    },

    async observe(expected, signal): Promise<TargetResult<Observation>> {
      if (expected === undefined)
        return { ok: true, value: { observedAtMs: Date.now(), state: null, matches: "unknown" } };
      const row = await primaryReader.query(
        selectRowSql(config.ledgerTable),
        [expected.idempotencyKey],
        sensorTimeoutMs,
        signal,
      );
      if (!row.ok && row.sqlState !== "42P01") return fail(row.code, row.message, true);
      const found = row.ok ? row.value.rows[0] : undefined;
      const state: Json =
        found === undefined
          ? { applied: false }
          : { applied: true, phase: String(found.phase), lsn: (found.lsn as string | null) ?? null };
      return { ok: true, value: { observedAtMs: Date.now(), state, matches: found !== undefined } };
    },

    sensors: () => sensors,

    async close(): Promise<void> {
      await Promise.all([primaryReader.close(), ...[...replicas.values()].map((reader) => reader.close())]);
    },
  };
}

/** Registry entry for `kind: postgres-migration`. */
export const postgresMigrationTarget: TargetDefinition<MigrationConfig> = {
  kind: "postgres-migration",
  description:
    "PostgreSQL schema migration in phases: lock_timeout with retries, exactly-once ledger, replica replay gates.",
  config: migrationConfigSchema,
  actions: { phase: phaseActionSchema },
  sensorNames: (config) => [REPLAY_LSN_GAP, ...(config.appNamePattern === undefined ? [] : [OLD_VERSION_SESSIONS])],
  claims: (config) => [`postgres:${describeConnection(config.primary)}`],
  defaultGates: (action, config) => migrationDefaultGates(action, migrationConfigSchema.parse(config)),
  // The runtime hands over the plan's raw config; parsing again fills defaults.
  rollback: (applied, config) => planMigrationRollback(applied, migrationConfigSchema.parse(config)),
  create: (config, ctx) => createMigrationTarget(migrationConfigSchema.parse(config), ctx.planDir),
};
