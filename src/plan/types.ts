/**
 * The validated, normalised plan the engine runs. Produced by `plan/parse.ts`
 * from YAML/JSON: durations are in milliseconds, plan-level defaults are
 * merged into every stage, and target default gates are already added.
 */
import type { ActionSpec, Json } from "../targets/target.ts";

/** Comparison a condition makes: `value op threshold` must hold. */
export type ComparisonOp = "<" | "<=" | ">" | ">=" | "==";

/** How a vector reading becomes the value(s) compared. `every` compares each node. */
export type Aggregate = "sum" | "max" | "min" | "avg" | "every";

/**
 * One threshold condition over a sensor, evaluated in `engine/evaluate.ts`.
 * For gates it must hold to seal; for threshold guards it must hold to stay healthy.
 */
export interface Condition {
  /** Sensor name from `plan.sensors`, or `target.<name>` for a target-provided sensor. */
  readonly sensor: string;
  /** Optional second sensor: the compared value is `sensor / divideBy` (e.g. candidate p99 / legacy p99). */
  readonly divideBy?: string;
  /** Restrict a vector to nodes whose label matches, e.g. `{ cohort: "legacy" }`. */
  readonly where?: Readonly<Record<string, string>>;
  /** Nodes that must be present in a vector reading (a missing node fails closed). */
  readonly expectNodes?: readonly string[];
  readonly aggregate: Aggregate;
  readonly op: ComparisonOp;
  readonly threshold: number;
  /** Consecutive passing evaluations required (the redis gate's "N times in a row"). Default 1. */
  readonly consecutive: number;
  /** Human label used in explanations, e.g. "displaced legacy requests". */
  readonly label?: string;
}

/** Gate names whose content is a list of conditions. */
export type ConditionGateName = "ready" | "drained" | "replicated" | "invalidated" | "propagated" | "adopted";

/** The gates that seal a stage. All must hold at once. */
export interface GatesSpec {
  readonly conditions?: Readonly<Partial<Record<ConditionGateName, readonly Condition[]>>>;
  /** Minimum observation time after the action; never a replacement for a drain gate. */
  readonly bakeMs?: number;
  /** Named people or systems that must acknowledge (also the manual approval step). */
  readonly confirmedBy?: readonly string[];
}

/** Timeouts that halt (never advance). */
export interface Timeouts {
  /** From the stage's first action to its seal. */
  readonly stageMs: number;
  /** From the action being applied until every condition gate holds. */
  readonly drainMs: number;
  /** How long a guard or gate may see only failed/stale readings before the operation halts. */
  readonly sensorBlindMs: number;
}

/** A stage: one action plus the gates that seal it. */
export interface Stage {
  readonly name: string;
  readonly action: ActionSpec;
  readonly gates: GatesSpec;
  readonly timeouts: Timeouts;
}

/** A threshold guard with Argo-style failure limits. */
export interface ThresholdGuard {
  readonly kind: "threshold";
  readonly name: string;
  /** The healthy condition; a failed evaluation counts as a failure. */
  readonly condition: Condition;
  /** Halt when failures exceed this count (0: the first failure halts). */
  readonly failureLimit: number;
  /** Halt when consecutive failures exceed this count; absent: only `failureLimit` applies. */
  readonly consecutiveFailureLimit?: number;
}

/** The supercriticality guard (see `detect/`). */
export interface SupercriticalityGuard {
  readonly kind: "supercriticality";
  readonly name: string;
  /** Vector sensor of per-node request counters (cumulative). */
  readonly requests: string;
  /** Vector sensor of per-node error counters (cumulative). */
  readonly errors: string;
  /** Label that splits legacy from candidate nodes, and its values. */
  readonly cohorts: { readonly label: string; readonly legacy: string; readonly candidate: string };
  readonly mode: "sequential" | "ratio";
  readonly ratio: number;
  readonly minDelta: number;
  readonly alpha: number;
  readonly referenceWindowMs: number;
  /** Only for `mode: ratio`: requests a node needs before the ratio rule applies. */
  readonly minRequests: number;
}

/** A condition watched for the operation's whole life; a breach halts. */
export type Guard = ThresholdGuard | SupercriticalityGuard;

/** A configured sensor: kind, freshness and kind-specific config. */
export interface SensorSpec {
  readonly kind: string;
  /** Readings older than this are stale and count as errors. */
  readonly maxAgeMs: number;
  /** Cumulative counter: the engine turns it into per-tick deltas (a reset is a new baseline). */
  readonly counter: boolean;
  readonly config: Json;
}

/** A weekly change window in a named IANA time zone; a stage only starts inside one. */
export interface ChangeWindow {
  /** 0 = Sunday … 6 = Saturday. */
  readonly days: readonly number[];
  /** Minutes after local midnight, start inclusive, end exclusive. */
  readonly startMinute: number;
  readonly endMinute: number;
  readonly timeZone: string;
}

/** Start only when another operation has completed, or reached (sealed) a named stage. */
export interface AfterSpec {
  readonly operation: string;
  readonly stage?: string;
}

/** The validated plan. */
export interface Plan {
  readonly name: string;
  /** Optional domain preset: Rollout, Migration, SecretRotation, CacheInvalidation, FlagRollout. */
  readonly kind?: string;
  readonly domain: string;
  /** Objects claimed for the operation's life: the plan's `targets` plus the target kind's own claims. */
  readonly claims: readonly string[];
  readonly sensors: Readonly<Record<string, SensorSpec>>;
  readonly target: { readonly kind: string; readonly config: Json };
  readonly stages: readonly Stage[];
  readonly guards: readonly Guard[];
  readonly onHalt: "pause" | "rollback";
  /** Sensor/guard evaluation interval. */
  readonly intervalMs: number;
  readonly windows: readonly ChangeWindow[];
  readonly after?: AfterSpec;
  /** Consumers that may acknowledge (`airlock ack --consumer`). */
  readonly consumers: readonly string[];
}
