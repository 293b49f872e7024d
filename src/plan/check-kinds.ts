/**
 * Validates the kind-specific parts of a plan with the registered kinds'
 * own schemas: the target's config, each sensor's config and each stage's
 * action params. Works on the raw parsed document, so it reports its
 * errors alongside the surface schema's (all errors at once); parts that
 * are malformed at the surface level are left to the surface schema.
 */
import type { SensorRegistry } from "../sensors/registry.ts";
import type { TargetRegistry } from "../targets/registry.ts";
import type { Json, TargetDefinition } from "../targets/target.ts";
import { closestName } from "./closest-name.ts";
import type { PathSegment } from "./source-map.ts";
import { type PlanIssue, validateWith } from "./validate-with.ts";

/** The kinds a plan may use. */
export interface PlanRegistries {
  readonly sensors: SensorRegistry;
  readonly targets: TargetRegistry;
}

/** The plan's target kind with its config as parsed by the kind's schema. */
export interface ResolvedTarget {
  readonly definition: TargetDefinition;
  readonly config: unknown;
}

/** Result of {@link checkKinds}. */
export interface KindCheck {
  readonly issues: readonly PlanIssue[];
  /** Present when the target kind is known and its config valid. */
  readonly target?: ResolvedTarget;
  /** Parsed action params by stage index, for the stages whose action is valid. */
  readonly actionParams: ReadonlyMap<number, Readonly<Record<string, Json>>>;
  /** Parsed sensor configs by sensor name, for the sensors whose kind and config are valid. */
  readonly sensorConfigs: ReadonlyMap<string, unknown>;
}

/** Fields of a sensor entry that belong to the plan, not to the sensor kind. */
const SENSOR_PLAN_FIELDS = ["kind", "maxAge", "counter"] as const;

/** Checks kinds, configs and action params of the raw document `data`. Pure. */
export function checkKinds(data: unknown, registries: PlanRegistries): KindCheck {
  const issues: PlanIssue[] = [];
  const plan = isRecord(data) ? data : {};
  const sensorConfigs = checkSensors(plan.sensors, registries.sensors, issues);
  const target = checkTarget(plan.target, registries.targets, issues);
  const actionParams = target === undefined ? new Map() : checkActions(plan.stages, target, issues);
  return { issues, actionParams, sensorConfigs, ...(target === undefined ? {} : { target }) };
}

function checkSensors(sensors: unknown, registry: SensorRegistry, issues: PlanIssue[]): Map<string, unknown> {
  const configs = new Map<string, unknown>();
  if (!isRecord(sensors)) return configs;
  for (const [name, entry] of Object.entries(sensors)) {
    const kind = kindOf(entry, "kind");
    if (kind === undefined || !isRecord(entry)) continue;
    const definition = registry.get(kind);
    const path = ["sensors", name];
    if (definition === undefined) {
      issues.push(unknownKind([...path, "kind"], "sensor kind", kind, [...registry.keys()]));
      continue;
    }
    const result = validateWith(definition.config, omit(entry, SENSOR_PLAN_FIELDS), path);
    if (result.ok) configs.set(name, result.data);
    else issues.push(...result.issues);
  }
  return configs;
}

function checkTarget(target: unknown, registry: TargetRegistry, issues: PlanIssue[]): ResolvedTarget | undefined {
  const kind = kindOf(target, "kind");
  if (kind === undefined || !isRecord(target)) return undefined;
  const definition = registry.get(kind);
  if (definition === undefined) {
    issues.push(unknownKind(["target", "kind"], "target kind", kind, [...registry.keys()]));
    return undefined;
  }
  const result = validateWith(definition.config, omit(target, ["kind"]), ["target"]);
  if (!result.ok) {
    issues.push(...result.issues);
    return undefined;
  }
  return { definition, config: result.data };
}

function checkActions(
  stages: unknown,
  target: ResolvedTarget,
  issues: PlanIssue[],
): Map<number, Readonly<Record<string, Json>>> {
  const params = new Map<number, Readonly<Record<string, Json>>>();
  if (!Array.isArray(stages)) return params;
  const { actions, kind } = target.definition;
  for (const [index, stage] of stages.entries()) {
    const action: unknown = isRecord(stage) ? stage.action : undefined;
    const type = kindOf(action, "type");
    if (type === undefined || !isRecord(action)) continue;
    const path = ["stages", index, "action"];
    const schema = Object.hasOwn(actions, type) ? actions[type] : undefined;
    if (schema === undefined) {
      issues.push(unknownKind([...path, "type"], `action type for target kind "${kind}"`, type, Object.keys(actions)));
      continue;
    }
    const result = validateWith(schema, omit(action, ["type"]), path);
    if (result.ok) params.set(index, result.data);
    else issues.push(...result.issues);
  }
  return params;
}

function unknownKind(path: PathSegment[], what: string, found: string, known: readonly string[]): PlanIssue {
  const choices = known.length === 0 ? "none are registered" : `known: ${[...known].sort().join(", ")}`;
  return {
    path,
    message: `unknown ${what} ${JSON.stringify(found)}${didYouMean(found, known)} (${choices})`,
    pointAt: "value",
  };
}

/** `; did you mean "x"?` for a near miss, otherwise nothing. */
export function didYouMean(found: string, known: Iterable<string>): string {
  const suggestion = closestName(found, known);
  return suggestion === undefined ? "" : `; did you mean ${JSON.stringify(suggestion)}?`;
}

/** The non-empty string at `value[key]`, if `value` is a mapping that has one. */
function kindOf(value: unknown, key: string): string | undefined {
  if (!isRecord(value)) return undefined;
  const kind = value[key];
  return typeof kind === "string" && kind !== "" ? kind : undefined;
}

function omit(value: Readonly<Record<string, unknown>>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([key]) => !keys.includes(key)));
}

/** True for a plain mapping (not a list, not null). */
export function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
