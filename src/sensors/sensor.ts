/**
 * The sensor plug-in family: one interface, one folder per kind.
 *
 * A sensor turns the outside world into {@link Reading}s. It never decides
 * whether a value is good or bad: thresholds are evaluated in one place
 * (`engine/evaluate.ts`), never inside a sensor.
 */
import type { z } from "zod";

/** Per-node values keyed by node name (a server, a replica, a consumer). */
export type NodeValues = Readonly<Record<string, number>>;

/** Labels per node, e.g. `{ "v2-a": { cohort: "candidate", version: "2.0" } }`. */
export type NodeLabels = Readonly<Record<string, Readonly<Record<string, string>>>>;

/**
 * One observation. Never a bare number: it always says when it was observed,
 * and a failed observation is a reading with an `error` (errors are data).
 */
export type Reading =
  | {
      readonly ok: true;
      /** Wall-clock time the value was true, in ms since the epoch. */
      readonly observedAtMs: number;
      readonly value:
        | { readonly type: "scalar"; readonly value: number }
        | { readonly type: "vector"; readonly values: NodeValues; readonly labels?: NodeLabels };
      /** Free-form detail for explanations (e.g. the names of blocking sessions). Never secrets. */
      readonly detail?: string;
    }
  | {
      readonly ok: false;
      readonly observedAtMs: number;
      /** Stable machine code: `timeout`, `unreachable`, `empty`, `parse`, `stale`, `missing-node`, ... */
      readonly code: string;
      /** Human explanation; must never contain tokens, passwords or secret values. */
      readonly message: string;
    };

/** Context given to every read: the clock, and what the operation is doing. */
export interface ReadContext {
  /** Current time in ms since the epoch (virtual in simulation). */
  readonly nowMs: number;
  /** When the current stage's action was applied, if it has been (for "displaced work" sensors). */
  readonly stageAppliedAtMs?: number;
  /** The current stage's (or rollback step's) action, for sensors that measure what it displaced. */
  readonly stageAction?: {
    readonly type: string;
    readonly params: Readonly<Record<string, unknown>>;
    readonly rollback: boolean;
  };
  /** Abort when the read must give up (the engine's per-read timeout). */
  readonly signal: AbortSignal;
}

/**
 * A configured sensor instance. `read` must not throw for expected failures
 * (unreachable, timeout, parse error): it returns a failed {@link Reading}.
 * Safe to call concurrently and repeatedly; it has no side effects on the
 * observed system.
 */
export interface Sensor {
  /** Take one reading. Resolves within the signal's deadline. */
  read(ctx: ReadContext): Promise<Reading>;
  /** Release connections, child processes, timers. Idempotent. */
  close?(): Promise<void>;
}

/** Options the engine passes when building a sensor from a plan. */
export interface SensorBuildContext {
  /** Directory of the plan file: relative paths in a sensor's config resolve against it. */
  readonly planDir: string;
}

/**
 * A sensor kind in the registry: its config schema (validated as part of the
 * plan, so errors carry the plan's file/line/field) and a factory.
 */
export interface SensorDefinition<Config = unknown> {
  /** The `kind:` value in the plan, e.g. `http`, `command`, `prometheus`. */
  readonly kind: string;
  /** One line for `airlock schema` and docs. */
  readonly description: string;
  /** Validates the sensor's fields (everything except `kind`, `maxAge`, `counter`). */
  readonly config: z.ZodType<Config>;
  /** Builds the sensor. May not do I/O until `read` is called. */
  create(config: Config, ctx: SensorBuildContext): Sensor;
}
