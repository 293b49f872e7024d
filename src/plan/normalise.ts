/**
 * Turns a validated plan surface into the engine's {@link Plan}: durations
 * in ms, defaults merged into every stage and sensor, conditions as
 * `{ op, threshold, ... }`, target default gates added to the stage's own
 * (concatenated, never replacing), claims from the plan and the target kind.
 */
import type { ActionSpec } from "../targets/target.ts";
import type { KindCheck } from "./check-kinds.ts";
import { parseDurationMs } from "./duration.ts";
import { toJson } from "./plan-hash.ts";
import {
  COMPARISON_KEYS,
  CONDITION_GATE_NAMES,
  type ConditionSurface,
  canonicalTimeZone,
  DAY_NAMES,
  type PlanSurface,
} from "./schema.ts";
import type {
  AfterSpec,
  ChangeWindow,
  Condition,
  ConditionGateName,
  GatesSpec,
  Guard,
  Plan,
  SensorSpec,
  Stage,
  Timeouts,
} from "./types.ts";

/** Timeouts when neither the stage nor `defaults.timeouts` sets them. */
const DEFAULT_TIMEOUTS: Timeouts = { stageMs: 3_600_000, drainMs: 1_800_000, sensorBlindMs: 120_000 };

/** A sensor's default `maxAge` is this many evaluation intervals. */
const DEFAULT_MAX_AGE_INTERVALS = 3;

type StageSurface = PlanSurface["stages"][number];
type TimeoutsSurface = NonNullable<StageSurface["timeouts"]>;

/** The outcome of `checkKinds` for a plan without errors. */
export type ValidKinds = Required<Pick<KindCheck, "target" | "actionParams" | "sensorConfigs">>;

/**
 * Builds the {@link Plan}. Pure. Expects input that passed every check in
 * `parse.ts` (durations parse, every stage's action params are present).
 * Sensor and target configs are the kinds' parsed output (defaults filled),
 * so kinds' config schemas must map JSON to JSON.
 */
export function normalisePlan(surface: PlanSurface, kinds: ValidKinds): Plan {
  const { target, actionParams, sensorConfigs } = kinds;
  const intervalMs = ms(surface.interval);
  const defaultMaxAgeMs = optionalMs(surface.defaults?.maxAge) ?? DEFAULT_MAX_AGE_INTERVALS * intervalMs;
  const defaultTimeouts = mergeTimeouts(DEFAULT_TIMEOUTS, surface.defaults?.timeouts);
  const { definition, config } = target;
  // Stages with equal gates share one object: plans often repeat them, and a controller holds a plan per operation.
  const gatesByJson = new Map<string, GatesSpec>();
  const interned = (gates: GatesSpec): GatesSpec => {
    const json = JSON.stringify(gates);
    const known = gatesByJson.get(json);
    if (known !== undefined) return known;
    gatesByJson.set(json, gates);
    return gates;
  };
  const plan: Plan = {
    name: surface.name,
    domain: surface.domain,
    claims: unique([...surface.targets, ...definition.claims(config)]),
    sensors: Object.fromEntries(
      Object.entries(surface.sensors).map(([name, entry]): [string, SensorSpec] => {
        const { kind, maxAge, counter } = entry;
        const config = toJson(sensorConfigs.get(name));
        return [name, { kind, maxAgeMs: optionalMs(maxAge) ?? defaultMaxAgeMs, counter: counter ?? false, config }];
      }),
    ),
    target: { kind: definition.kind, config: toJson(config) },
    stages: surface.stages.map((stage, index): Stage => {
      const action: ActionSpec = { type: stage.action.type, params: actionParams.get(index) ?? {} };
      return {
        name: stage.name,
        action,
        gates: interned(mergeGates(definition.defaultGates(action, config), stageGates(stage.gates))),
        timeouts: mergeTimeouts(defaultTimeouts, stage.timeouts),
      };
    }),
    guards: surface.guards.map(normaliseGuard),
    onHalt: surface.onHalt,
    intervalMs,
    windows: surface.windows.map(
      (window): ChangeWindow => ({
        days: unique(window.days.map((day) => DAY_NAMES.indexOf(day))).sort((a, b) => a - b),
        startMinute: minutes(window.from),
        endMinute: minutes(window.to),
        timeZone: canonicalTimeZone(window.timeZone) ?? unreachable(`unchecked time zone ${window.timeZone}`),
      }),
    ),
    consumers: unique(surface.consumers),
  };
  const optional = {
    ...(surface.kind === undefined ? {} : { kind: surface.kind }),
    ...(surface.after === undefined ? {} : { after: normaliseAfter(surface.after) }),
  };
  return { ...plan, ...optional };
}

/** Converts a surface condition (`{ sensor, max: 0 }`) to a {@link Condition}. Pure. */
function normaliseCondition(surface: ConditionSurface): Condition {
  const { sensor, divideBy, where, expectNodes, aggregate, consecutive, label } = surface;
  const key = (Object.keys(COMPARISON_KEYS) as (keyof typeof COMPARISON_KEYS)[]).find(
    (name) => surface[name] !== undefined,
  );
  if (key === undefined) return unreachable(`condition on ${sensor} without a comparison`);
  return {
    sensor,
    aggregate,
    op: COMPARISON_KEYS[key],
    threshold: surface[key] ?? unreachable("comparison without a threshold"),
    consecutive,
    ...(divideBy === undefined ? {} : { divideBy }),
    ...(where === undefined ? {} : { where }),
    ...(expectNodes === undefined ? {} : { expectNodes }),
    ...(label === undefined ? {} : { label }),
  };
}

function normaliseGuard(guard: PlanSurface["guards"][number]): Guard {
  if (guard.threshold !== undefined) {
    return {
      kind: "threshold",
      name: guard.name,
      condition: normaliseCondition(guard.threshold),
      failureLimit: guard.failureLimit ?? 0,
      ...(guard.consecutiveFailureLimit === undefined
        ? {}
        : { consecutiveFailureLimit: guard.consecutiveFailureLimit }),
    };
  }
  // The surface schema guarantees exactly one of threshold and supercriticality.
  const { referenceWindow, cohorts, ...detector } = guard.supercriticality ?? unreachable("guard without a kind");
  return {
    kind: "supercriticality",
    name: guard.name,
    ...detector,
    cohorts: { ...cohorts },
    referenceWindowMs: ms(referenceWindow),
  };
}

function normaliseAfter({ operation, stage }: NonNullable<PlanSurface["after"]>): AfterSpec {
  return stage === undefined ? { operation } : { operation, stage };
}

function stageGates(gates: StageSurface["gates"]): GatesSpec {
  if (gates === undefined) return {};
  const conditions: Partial<Record<ConditionGateName, readonly Condition[]>> = {};
  for (const name of CONDITION_GATE_NAMES) {
    const list = gates[name];
    if (list !== undefined) conditions[name] = list.map(normaliseCondition);
  }
  return {
    conditions,
    ...(gates.bake === undefined ? {} : { bakeMs: ms(gates.bake) }),
    ...(gates.confirmed === undefined ? {} : { confirmedBy: gates.confirmed }),
  };
}

/** Target defaults first, then the stage's own: condition lists concatenate, bake takes the longer, confirmations unite. */
function mergeGates(defaults: GatesSpec, own: GatesSpec): GatesSpec {
  const conditions: Partial<Record<ConditionGateName, readonly Condition[]>> = {};
  for (const name of CONDITION_GATE_NAMES) {
    const merged = [...(defaults.conditions?.[name] ?? []), ...(own.conditions?.[name] ?? [])];
    if (merged.length > 0) conditions[name] = merged;
  }
  const bakes = [defaults.bakeMs, own.bakeMs].filter((bakeMs) => bakeMs !== undefined);
  const confirmedBy = unique([...(defaults.confirmedBy ?? []), ...(own.confirmedBy ?? [])]);
  return {
    ...(Object.keys(conditions).length === 0 ? {} : { conditions }),
    ...(bakes.length === 0 ? {} : { bakeMs: Math.max(...bakes) }),
    ...(confirmedBy.length === 0 ? {} : { confirmedBy }),
  };
}

function mergeTimeouts(base: Timeouts, override: TimeoutsSurface | undefined): Timeouts {
  return {
    stageMs: optionalMs(override?.stage) ?? base.stageMs,
    drainMs: optionalMs(override?.drain) ?? base.drainMs,
    sensorBlindMs: optionalMs(override?.sensorBlind) ?? base.sensorBlindMs,
  };
}

function ms(duration: string): number {
  return parseDurationMs(duration) ?? unreachable(`unchecked duration ${duration}`);
}

function optionalMs(duration: string | undefined): number | undefined {
  return duration === undefined ? undefined : ms(duration);
}

/** `HH:MM` → minutes after midnight (`24:00` → 1440). */
function minutes(time: string): number {
  const [hours, mins] = time.split(":").map(Number);
  return (hours ?? 0) * 60 + (mins ?? 0);
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

function unreachable(what: string): never {
  throw new Error(`plan normalisation reached an unchecked state: ${what}`);
}
