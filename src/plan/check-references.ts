/**
 * Cross-field checks on the raw parsed document: every sensor a condition
 * or guard names must exist, and stage and guard names must be unique.
 * Where the referenced side is itself malformed (no `sensors` mapping, an
 * unknown or invalid target) the check is skipped rather than guessed, so
 * one mistake gives one error.
 */

import { didYouMean, isRecord, type ResolvedTarget } from "./check-kinds.ts";
import { CONDITION_GATE_NAMES, TARGET_SENSOR_PREFIX } from "./schema.ts";
import type { PathSegment } from "./source-map.ts";
import type { PlanIssue } from "./validate-with.ts";

interface Reference {
  readonly path: readonly PathSegment[];
  readonly name: string;
}

/** Checks sensor references and name uniqueness of the raw document `data`. Pure. */
export function checkReferences(data: unknown, target: ResolvedTarget | undefined): PlanIssue[] {
  const plan = isRecord(data) ? data : {};
  const planSensors = plan.sensors === undefined ? [] : isRecord(plan.sensors) ? Object.keys(plan.sensors) : undefined;
  const targetSensors = target?.definition.sensorNames(target.config);
  const issues: PlanIssue[] = [];
  for (const reference of referencesIn(plan)) {
    const issue = checkReference(reference, planSensors, targetSensors, target?.definition.kind);
    if (issue !== undefined) issues.push(issue);
  }
  issues.push(...duplicateNames(plan.stages, "stages", "stage"), ...duplicateNames(plan.guards, "guards", "guard"));
  return issues;
}

function checkReference(
  { path, name }: Reference,
  planSensors: readonly string[] | undefined,
  targetSensors: readonly string[] | undefined,
  targetKind: string | undefined,
): PlanIssue | undefined {
  if (name.startsWith(TARGET_SENSOR_PREFIX)) {
    const own = name.slice(TARGET_SENSOR_PREFIX.length);
    if (targetSensors === undefined || targetSensors.includes(own)) return undefined;
    const provided =
      targetSensors.length === 0 ? "none" : targetSensors.map((s) => TARGET_SENSOR_PREFIX + s).join(", ");
    return {
      path,
      message: `target kind "${targetKind}" provides no sensor "${own}"${didYouMean(
        name,
        targetSensors.map((s) => TARGET_SENSOR_PREFIX + s),
      )} (it provides: ${provided})`,
      pointAt: "value",
    };
  }
  if (planSensors === undefined || planSensors.includes(name)) return undefined;
  const defined = planSensors.length === 0 ? "no sensors are defined" : `defined: ${planSensors.join(", ")}`;
  return {
    path,
    message: `undefined sensor "${name}"${didYouMean(name, planSensors)} (${defined}; target sensors are written target.<name>)`,
    pointAt: "value",
  };
}

/** Every sensor name the plan refers to, with its path. */
function referencesIn(plan: Readonly<Record<string, unknown>>): Reference[] {
  const references: Reference[] = [];
  const collect = (owner: unknown, path: readonly PathSegment[], keys: readonly string[]): void => {
    if (!isRecord(owner)) return;
    for (const key of keys) {
      const name = owner[key];
      if (typeof name === "string" && name !== "") references.push({ path: [...path, key], name });
    }
  };
  for (const [stageIndex, stage] of arrayOf(plan.stages).entries()) {
    const gates = isRecord(stage) ? stage.gates : undefined;
    if (!isRecord(gates)) continue;
    for (const gate of CONDITION_GATE_NAMES) {
      for (const [index, condition] of arrayOf(gates[gate]).entries()) {
        collect(condition, ["stages", stageIndex, "gates", gate, index], ["sensor", "divideBy"]);
      }
    }
  }
  for (const [index, guard] of arrayOf(plan.guards).entries()) {
    if (!isRecord(guard)) continue;
    collect(guard.threshold, ["guards", index, "threshold"], ["sensor", "divideBy"]);
    collect(guard.supercriticality, ["guards", index, "supercriticality"], ["requests", "errors"]);
  }
  return references;
}

function duplicateNames(list: unknown, field: string, what: string): PlanIssue[] {
  const firstIndex = new Map<string, number>();
  const issues: PlanIssue[] = [];
  for (const [index, item] of arrayOf(list).entries()) {
    const name = isRecord(item) ? item.name : undefined;
    if (typeof name !== "string" || name === "") continue;
    const first = firstIndex.get(name);
    if (first === undefined) firstIndex.set(name, index);
    else
      issues.push({
        path: [field, index, "name"],
        message: `duplicate ${what} name "${name}" (first used by ${field}[${first}])`,
        pointAt: "value",
      });
  }
  return issues;
}

function arrayOf(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}
