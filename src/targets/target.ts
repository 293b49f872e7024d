/**
 * The target (actuator) plug-in family: one interface, one folder per kind.
 *
 * A target is the system a stage's action changes: a traffic router, a
 * database, a secret store, a cache, a flag store. Every apply is idempotent
 * under its idempotency key, because delivery is at-least-once (the runner
 * re-applies an intent after a crash when `observe` cannot prove it landed).
 */
import type { z } from "zod";
import type { Sensor, SensorBuildContext } from "../sensors/sensor.ts";

/** JSON-compatible data, as stored in the event log. */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

/** A stage's action as written in the plan: `{ type: "weight", candidatePercent: 25 }`. */
export interface ActionSpec {
  /** Action type, one of the target kind's `actions`. */
  readonly type: string;
  /** The action's remaining fields, validated by the target kind's schema for that type. */
  readonly params: Readonly<Record<string, Json>>;
}

/** Everything a target needs to apply one action once. */
export interface ActionRequest {
  readonly operationId: string;
  readonly stageName: string;
  /** 0-based index of the stage (rollback steps count separately, with `rollback: true`). */
  readonly stageIndex: number;
  readonly action: ActionSpec;
  /** Same key on every retry of the same intent; different for every intent. */
  readonly idempotencyKey: string;
  /** The runner lease's fencing token; targets that can check it must reject stale tokens. */
  readonly fencingToken: number;
  readonly rollback: boolean;
  readonly signal: AbortSignal;
}

/** Result of an apply or observe: errors are values, never exceptions. */
export type TargetResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly code: string; readonly message: string; readonly retryable: boolean };

/** What `observe` reads back from the target. */
export interface Observation {
  readonly observedAtMs: number;
  /** A JSON summary of the target's state, recorded in events (never secrets). */
  readonly state: Json;
  /**
   * Whether the state reflects the `expected` action: `true`, `false`, or
   * `"unknown"` when the target cannot tell (the runner then re-applies; the
   * idempotency key makes that harmless).
   */
  readonly matches: boolean | "unknown";
  /**
   * Set when the state differs from what Airlock last applied for reasons of
   * its own (a weight changed by hand, a reload that wiped runtime state).
   * Drift is a halt reason, never silently overwritten.
   */
  readonly drift?: string;
}

/** One step of a rollback: an action and the gates that seal it. */
export interface RollbackStep {
  readonly name: string;
  readonly action: ActionSpec;
  /** Gate conditions over the target's own sensors (`target.<name>`), e.g. candidate drained. */
  readonly gates: import("../plan/types.ts").GatesSpec;
}

/** A configured target instance. */
export interface Target {
  /**
   * Apply one action. Idempotent: applying the same request twice leaves the
   * target as applying it once. Must check `fencingToken` where the target can.
   */
  apply(request: ActionRequest): Promise<TargetResult<Observation | undefined>>;
  /**
   * Read the target's current state and compare it with `expected` (the last
   * action Airlock applied or intends to apply). No side effects.
   */
  observe(expected: ActionRequest | undefined, signal: AbortSignal): Promise<TargetResult<Observation>>;
  /**
   * Sensors this target provides, addressable in plans as `target.<name>`
   * (e.g. `target.displaced`, `target.ready`, `target.requests`).
   */
  sensors(): Readonly<Record<string, Sensor>>;
  /** Release connections and timers. Idempotent. */
  close?(): Promise<void>;
}

/**
 * A target kind in the registry. Everything here except `create` is pure, so
 * plan validation and the engine can use it without I/O.
 */
export interface TargetDefinition<Config = unknown> {
  readonly kind: string;
  readonly description: string;
  /** Validates the target's config block (everything except `kind`). */
  readonly config: z.ZodType<Config>;
  /** Action types this target accepts, each with the schema of its params. */
  readonly actions: Readonly<Record<string, z.ZodType<Readonly<Record<string, Json>>>>>;
  /** Names of the sensors `create(...).sensors()` will provide (for plan validation). */
  sensorNames(config: Config): readonly string[];
  /** The objects this target changes, claimed for the operation's life (e.g. `haproxy:/run/h.sock#be_app`). */
  claims(config: Config): readonly string[];
  /** Gates added to a stage by default for this action (merged with the plan's, never replacing them). */
  defaultGates(action: ActionSpec, config: Config): import("../plan/types.ts").GatesSpec;
  /**
   * The airlocked rollback from the current stage back to the start, given
   * the actions applied so far (oldest first): restore legacy capacity first,
   * take the candidate out of service in one step, then drain it.
   * Returns an error string when a step is one-way and rollback must stop there.
   */
  rollback(
    applied: readonly ActionSpec[],
    config: Config,
  ): { readonly steps: readonly RollbackStep[]; readonly stopsAt?: string };
  create(config: Config, ctx: SensorBuildContext): Target;
}
