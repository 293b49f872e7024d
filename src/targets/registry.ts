/**
 * Target kinds by name. `cli/wiring.ts` is the one place that fills it with
 * the concrete kinds; an unknown kind is a plan validation error.
 */
import type { TargetDefinition } from "./target.ts";

/** Target definitions keyed by `kind`. */
export type TargetRegistry = ReadonlyMap<string, TargetDefinition>;

/** Builds a registry; throws on a duplicate kind (a wiring bug, not user input). */
export function targetRegistry(definitions: readonly TargetDefinition[]): TargetRegistry {
  const registry = new Map<string, TargetDefinition>();
  for (const definition of definitions) {
    if (registry.has(definition.kind)) throw new Error(`duplicate target kind ${definition.kind}`);
    registry.set(definition.kind, definition);
  }
  return registry;
}
