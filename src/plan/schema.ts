/**
 * The surface of a plan: what users write in YAML or JSON. Kind-specific
 * blocks (a sensor's or the target's config, a stage action's params) are
 * only checked for their `kind`/`type` here; `parse.ts` validates the rest
 * with the registered kind's own schema. Normalisation into `Plan` is in
 * `normalise.ts`; this file only describes and checks shapes.
 */
import { z } from "zod";
import { durationSchema } from "./duration.ts";
import type { ComparisonOp, ConditionGateName } from "./types.ts";

/** Plan names: lower-case letters, digits, `-`, `_`, `.`; starting with a letter or digit. */
export const PLAN_NAME_PATTERN = /^[a-z0-9][a-z0-9-_.]*$/;

/** Sensor names: a letter or `_`, then letters, digits, `_`, `-` (no `.`: `target.<name>` is reserved). */
export const SENSOR_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Prefix of sensors provided by the target kind: `target.ready`, `target.requests`. */
export const TARGET_SENSOR_PREFIX = "target.";

/** Gates whose content is a list of conditions, in display order. */
export const CONDITION_GATE_NAMES = [
  "ready",
  "drained",
  "replicated",
  "invalidated",
  "propagated",
  "adopted",
] as const satisfies readonly ConditionGateName[];

/** Comparison keys of a condition and the operator each one means. */
export const COMPARISON_KEYS = {
  max: "<=",
  min: ">=",
  below: "<",
  above: ">",
  equals: "==",
} as const satisfies Record<string, ComparisonOp>;

/** Day names in `windows[].days`; the index is the day number (0 = Sunday). */
export const DAY_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;

/** Plan presets (labels for now). */
export const PLAN_KINDS = ["Rollout", "Migration", "SecretRotation", "CacheInvalidation", "FlagRollout"] as const;

const text = () => z.string().min(1);

const sensorReference = (what: string) =>
  text().describe(`${what}: a name from \`sensors\`, or \`target.<name>\` for a sensor the target kind provides.`);

const comparisonKeyNames = Object.keys(COMPARISON_KEYS) as (keyof typeof COMPARISON_KEYS)[];

/** One threshold condition over a sensor, with exactly one comparison. */
export const conditionSchema = z
  .strictObject({
    sensor: sensorReference("Sensor whose reading is compared"),
    divideBy: sensorReference("Optional second sensor: the compared value is sensor / divideBy").optional(),
    where: z
      .record(z.string(), z.string())
      .describe("Only nodes whose labels match, e.g. { cohort: legacy }.")
      .optional(),
    expectNodes: z
      .array(text())
      .describe("Nodes that must be present in a vector reading; a missing node fails closed.")
      .optional(),
    aggregate: z
      .enum(["sum", "max", "min", "avg", "every"])
      .default("every")
      .describe("How a vector reading is reduced before comparing; `every` compares each node."),
    consecutive: z.int().min(1).default(1).describe("Passing evaluations in a row required."),
    label: text().describe('Human label for explanations, e.g. "displaced legacy requests".').optional(),
    max: z.number().describe("Holds when value <= max.").optional(),
    min: z.number().describe("Holds when value >= min.").optional(),
    below: z.number().describe("Holds when value < below.").optional(),
    above: z.number().describe("Holds when value > above.").optional(),
    equals: z.number().describe("Holds when value == equals.").optional(),
  })
  .superRefine((condition, ctx) => {
    const given = comparisonKeyNames.filter((key) => condition[key] !== undefined);
    if (given.length === 1) return;
    ctx.addIssue({
      code: "custom",
      message:
        given.length === 0
          ? `expected exactly one of ${comparisonKeyNames.join(", ")}, found none`
          : `expected exactly one of ${comparisonKeyNames.join(", ")}, found ${given.join(" and ")}`,
    });
  })
  .describe("A condition: { sensor, <one of max|min|below|above|equals>: number, ... }.");

const conditionList = (gate: string) =>
  z.array(conditionSchema).min(1).describe(`Conditions of the ${gate} gate; all must hold.`).optional();

const gatesSchema = z
  .strictObject({
    ready: conditionList("ready (the new side can take work)"),
    drained: conditionList("drained (the displaced work is finished)"),
    replicated: conditionList("replicated (every replica has the change)"),
    invalidated: conditionList("invalidated (every cache node dropped the old entry)"),
    propagated: conditionList("propagated (every evaluator runs the new revision)"),
    adopted: conditionList("adopted (every consumer uses the new secret)"),
    bake: durationSchema(false)
      .describe("Minimum observation time after the action; never a replacement for a drain gate.")
      .optional(),
    confirmed: z
      .array(text())
      .min(1)
      .describe("People or systems that must acknowledge (`airlock ack`); also the manual approval step.")
      .optional(),
  })
  .describe("Gates that seal the stage; the target kind adds its default gates to these.");

const timeoutsSchema = z
  .strictObject({
    stage: durationSchema(true).describe("From the stage's first action to its seal (default 1h).").optional(),
    drain: durationSchema(true).describe("From the action until every condition gate holds (default 30m).").optional(),
    sensorBlind: durationSchema(true)
      .describe("How long only failed or stale readings are tolerated (default 2m).")
      .optional(),
  })
  .describe("Timeouts halt the operation; they never advance it.");

const stageSchema = z
  .strictObject({
    name: text().describe("Stage name, unique within the plan."),
    action: z
      .looseObject({ type: text().describe("One of the target kind's action types.") })
      .describe("What the stage does; fields besides `type` are validated by the target kind."),
    gates: gatesSchema.optional(),
    timeouts: timeoutsSchema.describe("Overrides `defaults.timeouts` per field.").optional(),
  })
  .describe("One stage: an action plus the gates that seal it.");

const supercriticalitySchema = z
  .strictObject({
    requests: sensorReference("Vector sensor of per-node request counters"),
    errors: sensorReference("Vector sensor of per-node error counters"),
    cohorts: z
      .strictObject({
        label: text().describe("Node label that tells the cohorts apart."),
        legacy: text().describe("Label value of legacy nodes."),
        candidate: text().describe("Label value of candidate nodes."),
      })
      .default({ label: "cohort", legacy: "legacy", candidate: "candidate" }),
    mode: z
      .enum(["sequential", "ratio"])
      .default("sequential")
      .describe("`sequential`: anytime-valid test; `ratio`: the literal ratio rule."),
    ratio: z.number().min(1).default(5).describe("Halt when a node's error rate is credibly above ratio × reference."),
    minDelta: z.number().min(0).default(0.005).describe("... and above reference + minDelta (a fraction)."),
    alpha: z.number().gt(0).lt(1).default(0.001).describe("False-halt probability per operation."),
    referenceWindow: durationSchema(true).default("60s").describe("Window of the fleet's reference rate."),
    minRequests: z.int().min(0).default(20).describe("`ratio` mode: requests a node needs before the rule applies."),
  })
  .describe("Halts when a changed node's error rate is credibly above the fleet's.");

const guardSchema = z
  .strictObject({
    name: text().describe("Guard name, unique within the plan."),
    threshold: conditionSchema.describe("Threshold guard: the condition that must keep holding.").optional(),
    supercriticality: supercriticalitySchema.optional(),
    failureLimit: z.int().min(0).describe("Threshold guards: halt when failures exceed this (default 0).").optional(),
    consecutiveFailureLimit: z
      .int()
      .min(0)
      .describe("Threshold guards: halt when consecutive failures exceed this.")
      .optional(),
  })
  .superRefine((guard, ctx) => {
    const hasThreshold = guard.threshold !== undefined;
    if (hasThreshold === (guard.supercriticality !== undefined)) {
      ctx.addIssue({
        code: "custom",
        message: `expected exactly one of threshold, supercriticality, found ${hasThreshold ? "both" : "neither"}`,
      });
      return;
    }
    for (const key of ["failureLimit", "consecutiveFailureLimit"] as const) {
      if (!hasThreshold && guard[key] !== undefined) {
        ctx.addIssue({ code: "custom", path: [key], message: `${key} applies to threshold guards only` });
      }
    }
  })
  .describe("Watched for the operation's whole life, between stages too; a breach halts.");

/** `HH:MM` on a 24-hour clock; `24:00` only where `allowEndOfDay`. */
const timeOfDay = (allowEndOfDay: boolean) =>
  z.string().regex(allowEndOfDay ? /^(?:(?:[01]\d|2[0-3]):[0-5]\d|24:00)$/ : /^(?:[01]\d|2[0-3]):[0-5]\d$/, {
    error: (issue) =>
      `expected a time HH:MM from 00:00 to ${allowEndOfDay ? "24:00" : "23:59"}, found ${JSON.stringify(issue.input)}`,
  });

/** Canonical names of the time zones seen so far; only known zones are kept, so it stays small. */
const canonicalTimeZones = new Map<string, string>();

/**
 * The canonical IANA name of `timeZone` (`europe/berlin` → `Europe/Berlin`),
 * or `undefined` when `Intl` does not know it. Pure (memoised: building a
 * formatter per call is slow).
 */
export function canonicalTimeZone(timeZone: string): string | undefined {
  const cached = canonicalTimeZones.get(timeZone);
  if (cached !== undefined) return cached;
  try {
    const canonical = new Intl.DateTimeFormat("en-US", { timeZone }).resolvedOptions().timeZone;
    canonicalTimeZones.set(timeZone, canonical);
    return canonical;
  } catch {
    return undefined;
  }
}

const windowSchema = z
  .strictObject({
    days: z.array(z.enum(DAY_NAMES)).min(1).describe("Days on which the window opens."),
    from: timeOfDay(false).describe("Local opening time, HH:MM (inclusive)."),
    to: timeOfDay(true).describe("Local closing time, HH:MM (exclusive); before `from`: closes the next day."),
    timeZone: z
      .string()
      .refine((timeZone) => canonicalTimeZone(timeZone) !== undefined, {
        error: (issue) => `expected an IANA time zone like Europe/Berlin, found ${JSON.stringify(issue.input)}`,
      })
      .describe("IANA time zone, e.g. Europe/Berlin or UTC."),
  })
  .superRefine((window, ctx) => {
    if (window.from === window.to) {
      ctx.addIssue({ code: "custom", path: ["to"], message: `expected a time other than from (${window.from})` });
    }
  })
  .describe("A weekly change window: a stage only starts inside one.");

/** The surface schema of a whole plan. */
export const planSurfaceSchema = z
  .strictObject({
    $schema: z.string().describe("JSON Schema address for editors; ignored.").optional(),
    name: z
      .string()
      .max(128)
      .regex(PLAN_NAME_PATTERN, {
        error: (issue) =>
          `expected a name of lower-case letters, digits, -, _ and . (starting with a letter or digit), found ${JSON.stringify(issue.input)}`,
      })
      .describe("Plan name, e.g. checkout-v2."),
    kind: z.enum(PLAN_KINDS).describe("Optional preset (a label for now).").optional(),
    domain: text().describe("The lock scope: one stage in transition per domain."),
    targets: z
      .array(text())
      .default([])
      .describe("Extra objects claimed for the operation's life (the target kind adds its own)."),
    interval: durationSchema(true).default("1s").describe("Evaluation tick."),
    onHalt: z.enum(["pause", "rollback"]).default("pause").describe("What a halt does."),
    defaults: z
      .strictObject({
        maxAge: durationSchema(true).describe("Sensor staleness limit (default 3 × interval).").optional(),
        timeouts: timeoutsSchema.optional(),
      })
      .describe("Plan-level defaults that stages and sensors may override.")
      .optional(),
    windows: z.array(windowSchema).default([]).describe("Change windows; none: stages may start any time."),
    after: z
      .strictObject({
        operation: text().describe("Name of the operation that must have completed ..."),
        stage: text().describe("... or sealed this stage.").optional(),
      })
      .describe("Start only after another operation.")
      .optional(),
    consumers: z.array(text()).default([]).describe("Names allowed to `airlock ack --consumer`."),
    sensors: z
      .record(
        z.string().regex(SENSOR_NAME_PATTERN, {
          error: (issue) =>
            `expected a sensor name of letters, digits, _ and - (starting with a letter or _), found ${JSON.stringify(issue.input)}`,
        }),
        z
          .looseObject({
            kind: text().describe("Sensor kind."),
            maxAge: durationSchema(true).describe("Readings older than this are stale (errors).").optional(),
            counter: z.boolean().describe("Cumulative counter: turned into per-tick deltas.").optional(),
          })
          .describe("A named sensor; fields besides kind, maxAge and counter are validated by the kind."),
      )
      .default({})
      .describe("Named sensors."),
    target: z
      .looseObject({ kind: text().describe("Target kind.") })
      .describe("The system the actions change; fields besides kind are validated by the kind."),
    stages: z.array(stageSchema).min(1).describe("Stages, in order."),
    guards: z.array(guardSchema).default([]).describe("Guards watched for the operation's whole life."),
  })
  .describe("An Airlock plan: one operation's target, sensors, stages and guards.");

/** A plan as written, after the surface schema (defaults filled, kind-specific blocks unchecked). */
export type PlanSurface = z.output<typeof planSurfaceSchema>;

/** A condition as written, after the surface schema. */
export type ConditionSurface = z.output<typeof conditionSchema>;
