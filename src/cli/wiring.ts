/**
 * The one place that wires concrete sensor and target kinds together.
 * Everything below the CLI and the server depends on interfaces only.
 */
import { dirname, resolve } from "node:path";
import type { Plan } from "../plan/types.ts";
import { commandSensorDefinition } from "../sensors/command/command-sensor.ts";
import { fakeSensorDefinition } from "../sensors/fake/fake-sensor.ts";
import { httpSensorDefinition } from "../sensors/http/http-sensor.ts";
import { postgresSensor } from "../sensors/postgres/postgres-sensor.ts";
import { prometheusSensorDefinition } from "../sensors/prometheus/prometheus-sensor.ts";
import { redisSensorDefinition } from "../sensors/redis/redis-sensor.ts";
import { type SensorRegistry, sensorRegistry } from "../sensors/registry.ts";
import type { Sensor, SensorDefinition } from "../sensors/sensor.ts";
import { commandTargetDefinition } from "../targets/command/command-target.ts";
import { fakeTargetDefinition } from "../targets/fake/fake-target.ts";
import { flagdTargetDefinition } from "../targets/flagd/flagd-target.ts";
import { postgresMigrationTarget } from "../targets/postgres-migration/postgres-migration.ts";
import { redisCacheTargetDefinition } from "../targets/redis-cache/redis-cache-target.ts";
import { type TargetRegistry, targetRegistry } from "../targets/registry.ts";
import { secretRotationTarget } from "../targets/secret-rotation/secret-rotation.ts";
import type { Target, TargetDefinition } from "../targets/target.ts";
import { builtinRouterTargetDefinition } from "../targets/traffic/builtin-router-target.ts";
import { haproxyTargetDefinition } from "../targets/traffic/haproxy-target.ts";
import { webhookTargetDefinition } from "../targets/webhook/webhook-target.ts";

/** Both registries, as plan parsing and the runtime need them. */
export interface Registries {
  readonly sensors: SensorRegistry;
  readonly targets: TargetRegistry;
}

/** Every built-in kind. */
export function builtinRegistries(): Registries {
  return {
    sensors: sensorRegistry([
      httpSensorDefinition,
      commandSensorDefinition,
      fakeSensorDefinition,
      prometheusSensorDefinition,
      postgresSensor,
      redisSensorDefinition,
    ] as SensorDefinition[]),
    targets: targetRegistry([
      commandTargetDefinition,
      webhookTargetDefinition,
      fakeTargetDefinition,
      haproxyTargetDefinition,
      builtinRouterTargetDefinition,
      postgresMigrationTarget,
      secretRotationTarget,
      redisCacheTargetDefinition,
      flagdTargetDefinition,
    ] as TargetDefinition[]),
  };
}

/** A plan's live parts: its target and every sensor by the name plans use. */
export interface Runtime {
  readonly target: Target;
  readonly targetDefinition: TargetDefinition;
  /** Plan sensors by name, and the target's sensors as `target.<name>`. */
  readonly sensors: Readonly<Record<string, Sensor>>;
  /** Closes the target and every sensor. Idempotent. */
  close(): Promise<void>;
}

/** Builds the runtime of a validated plan. `planFile` anchors relative paths. */
export function buildRuntime(plan: Plan, planFile: string, registries: Registries): Runtime {
  const ctx = { planDir: dirname(resolve(planFile)) };
  const targetDefinition = registries.targets.get(plan.target.kind);
  if (targetDefinition === undefined) throw new Error(`unknown target kind ${plan.target.kind} (plan was validated)`);
  const target = targetDefinition.create(plan.target.config, ctx);
  const sensors: Record<string, Sensor> = {};
  for (const [name, spec] of Object.entries(plan.sensors)) {
    const definition = registries.sensors.get(spec.kind);
    if (definition === undefined) throw new Error(`unknown sensor kind ${spec.kind} (plan was validated)`);
    sensors[name] = definition.create(spec.config, ctx);
  }
  for (const [name, sensor] of Object.entries(target.sensors())) sensors[`target.${name}`] = sensor;
  let closed = false;
  return {
    target,
    targetDefinition,
    sensors,
    async close() {
      if (closed) return;
      closed = true;
      await Promise.allSettled([target.close?.(), ...Object.values(sensors).map((s) => s.close?.())]);
    },
  };
}
