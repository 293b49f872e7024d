/**
 * The `secret-rotation` target (plan `kind: SecretRotation`) for PostgreSQL
 * roles with alternating users: `rotate` gives the idle role a new password
 * and publishes it; the adoption gate waits until every consumer is on it
 * and nobody is left on the old role; `revoke`, the next stage, locks the
 * old role out.
 */

import { parseDurationMs } from "../../plan/duration.ts";
import type { GatesSpec } from "../../plan/types.ts";
import { describeConnection, resolveConnection } from "../../sensors/postgres/pg-connection.ts";
import { PgReader } from "../../sensors/postgres/pg-reader.ts";
import type { ActionSpec, Observation, RollbackStep, Target, TargetDefinition, TargetResult } from "../target.ts";
import { applyRotationAction, describeState } from "./rotation-actions.ts";
import { type RotationConfig, rotationActionSchemas, rotationConfigSchema } from "./rotation-config.ts";
import { consumersOnNewRoleSensor, oldRoleSessionsSensor } from "./rotation-sensors.ts";
import { pairKey, type RotationState, selectStateSql } from "./rotation-state.ts";

/** Sensor names (as `target.<name>` in plans). */
export const CONSUMERS_ON_NEW_ROLE = "consumers_on_new_role";
export const OLD_ROLE_SESSIONS = "old_role_sessions";

/**
 * Default gates of `rotate`: every consumer connected as the new role, no
 * session on the old role for `stableSamples` samples in a row, and an ack
 * from every consumer. `revoke` adds none. Pure.
 */
export function rotationDefaultGates(action: ActionSpec, config: RotationConfig): GatesSpec {
  if (action.type !== "rotate") return {};
  const consumers = config.consumers.map((consumer) => consumer.name);
  return {
    conditions: {
      adopted: [
        {
          sensor: `target.${CONSUMERS_ON_NEW_ROLE}`,
          aggregate: "every",
          op: ">=",
          threshold: 1,
          consecutive: 1,
          expectNodes: consumers,
          label: "consumers connected as the new role",
        },
        {
          sensor: `target.${OLD_ROLE_SESSIONS}`,
          aggregate: "max",
          op: "<=",
          threshold: 0,
          consecutive: config.stableSamples,
          label: "sessions still on the old role",
        },
      ],
    },
    confirmedBy: consumers,
  };
}

/**
 * Rollback replays the applied actions newest first with `rollback: true`:
 * undoing `revoke` restores the old role's LOGIN (only with `revoke:
 * nologin`; a scrambled password is one-way); undoing `rotate` is a no-op,
 * since the previous role kept its password. Pure.
 */
export function planRotationRollback(
  applied: readonly ActionSpec[],
  config: RotationConfig,
): { readonly steps: readonly RollbackStep[]; readonly stopsAt?: string } {
  const steps: RollbackStep[] = [];
  for (const [index, action] of [...applied.entries()].reverse()) {
    if (action.type === "revoke" && config.revoke === "scramble") {
      return { steps, stopsAt: "revoke scrambled the old role's password: one-way, so rollback stops before it" };
    }
    steps.push({ name: `undo-${action.type}-${index + 1}`, action, gates: {} });
  }
  return { steps };
}

/** Builds the live target. No I/O until the first call. */
export function createRotationTarget(
  config: RotationConfig,
  planDir: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Target {
  const timeoutMs = parseDurationMs(config.sensorTimeout) ?? 5_000;
  const reader = new PgReader(config.connection, "airlock-rotation-sensor", env);
  const sensors = {
    [CONSUMERS_ON_NEW_ROLE]: consumersOnNewRoleSensor(reader, config, timeoutMs),
    [OLD_ROLE_SESSIONS]: oldRoleSessionsSensor(reader, config, timeoutMs),
  };
  return {
    async apply(request) {
      const admin = resolveConnection(config.connection, env);
      if (!admin.ok) return { ok: false, code: "config", message: admin.message, retryable: false };
      return applyRotationAction({ config, admin: admin.value, planDir, env }, request);
    },

    async observe(expected, signal): Promise<TargetResult<Observation>> {
      const result = await reader.query(selectStateSql(config.stateTable), [pairKey(config.roles)], timeoutMs, signal);
      if (!result.ok && result.sqlState !== "42P01")
        return { ok: false, code: result.code, message: result.message, retryable: true };
      const state = result.ok ? (result.value.rows[0] as RotationState | undefined) : undefined;
      const matches =
        expected === undefined
          ? ("unknown" as const)
          : expected.action.type === "rotate"
            ? state?.rotateKey === expected.idempotencyKey && state.rotateStatus === "published"
            : state?.revokeKey === expected.idempotencyKey;
      return {
        ok: true,
        value: { observedAtMs: Date.now(), state: state === undefined ? null : describeState(state), matches },
      };
    },

    sensors: () => sensors,
    close: () => reader.close(),
  };
}

/** Registry entry for `kind: secret-rotation`. */
export const secretRotationTarget: TargetDefinition<RotationConfig> = {
  kind: "secret-rotation",
  description: "PostgreSQL credential rotation with alternating roles: rotate, wait for every consumer, then revoke.",
  config: rotationConfigSchema,
  actions: rotationActionSchemas,
  sensorNames: () => [CONSUMERS_ON_NEW_ROLE, OLD_ROLE_SESSIONS],
  claims: (config) => [`postgres-roles:${describeConnection(config.connection)}#${pairKey(config.roles)}`],
  defaultGates: (action, config) => rotationDefaultGates(action, rotationConfigSchema.parse(config)),
  // The runtime hands over the plan's raw config; parsing again fills defaults.
  rollback: (applied, config) => planRotationRollback(applied, rotationConfigSchema.parse(config)),
  create: (config, ctx) => createRotationTarget(rotationConfigSchema.parse(config), ctx.planDir),
};
