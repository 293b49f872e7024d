/**
 * Sensor kinds by name. `cli/wiring.ts` is the one place that fills it with
 * the concrete kinds; everything else receives a registry. An unknown kind is
 * a plan validation error, never a silent default.
 */
import type { SensorDefinition } from "./sensor.ts";

/** Sensor definitions keyed by `kind`. */
export type SensorRegistry = ReadonlyMap<string, SensorDefinition>;

/** Builds a registry; throws on a duplicate kind (a wiring bug, not user input). */
export function sensorRegistry(definitions: readonly SensorDefinition[]): SensorRegistry {
  const registry = new Map<string, SensorDefinition>();
  for (const definition of definitions) {
    if (registry.has(definition.kind)) throw new Error(`duplicate sensor kind ${definition.kind}`);
    registry.set(definition.kind, definition);
  }
  return registry;
}
