/**
 * Config and action schemas of the `flagd` target. Pure.
 */
import { z } from "zod";
import type { Json } from "../target.ts";

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** One evaluator: a process that evaluates the flag in-process and reports its revision and counters. */
const evaluatorSchema = z.strictObject({
  name: z.string().regex(NAME).describe("Evaluator name (the vector key, and the name in explanations)."),
  url: z.url({ protocol: /^https?$/ }).describe("Its Prometheus metrics URL, e.g. http://10.0.0.5:8080/metrics."),
});

/** Metric names an evaluator exposes; every series carries `flag` (and `variant` for the counters). */
const metricNamesSchema = z.strictObject({
  revision: z.string().min(1).default("sample_flag_revision").describe("Gauge: the flag revision it evaluates."),
  requests: z.string().min(1).default("sample_flag_requests_total").describe("Counter: evaluations per variant."),
  errors: z.string().min(1).default("sample_flag_errors_total").describe("Counter: failed requests per variant."),
});

/** Config of a `flagd` target. */
export const flagdConfigSchema = z.strictObject({
  file: z.string().min(1).describe("The flagd flag definition file (JSON), relative to the plan's directory."),
  flag: z.string().min(1).describe("Key of the flag in the file."),
  variants: z
    .strictObject({
      new: z.string().min(1).describe("The variant being rolled out (its cohort is `candidate`)."),
      old: z.string().min(1).describe("The variant it replaces (its cohort is `legacy`)."),
    })
    .refine((v) => v.new !== v.old, { error: "new and old must be different variants" }),
  evaluators: z
    .array(evaluatorSchema)
    .min(1)
    .superRefine((evaluators, ctx) => {
      const seen = new Set<string>();
      for (const [index, evaluator] of evaluators.entries()) {
        if (seen.has(evaluator.name)) {
          ctx.addIssue({ code: "custom", path: [index, "name"], message: `duplicate evaluator ${evaluator.name}` });
        }
        seen.add(evaluator.name);
      }
    })
    .describe("Every process that evaluates the flag; each must report the new revision to seal a stage."),
  metrics: metricNamesSchema.default({
    revision: "sample_flag_revision",
    requests: "sample_flag_requests_total",
    errors: "sample_flag_errors_total",
  }),
  timeoutMs: z.int().positive().default(2000).describe("Per metrics request, in ms."),
});

/** Validated `flagd` config. */
export type FlagdConfig = z.infer<typeof flagdConfigSchema>;

/** Params of `split`: the share of targeting keys that get the new variant. */
export const splitParamsSchema = z.strictObject({
  percent: z
    .number()
    .min(0)
    .max(100)
    .refine((p) => Math.round(p * 1000) === p * 1000, { error: "expected at most 3 decimals" })
    .describe("Percent of targeting keys served the new variant, e.g. 1, 10, 50, 100."),
});

/** Params of `restore` (planned by rollback): the flag's targeting as it was before the operation. */
const restoreParamsSchema = z.strictObject({});

/** Action types and their params, as the plan validates them. */
export const flagdActions: Readonly<Record<string, z.ZodType<Readonly<Record<string, Json>>>>> = {
  split: splitParamsSchema,
  restore: restoreParamsSchema,
};

/** A parsed action. */
export type FlagdAction = { readonly type: "split"; readonly percent: number } | { readonly type: "restore" };

/** Parses an action's type and params, or says why it is not one. Pure. */
export function parseFlagdAction(
  type: string,
  params: Readonly<Record<string, unknown>>,
): { readonly ok: true; readonly action: FlagdAction } | { readonly ok: false; readonly message: string } {
  if (type === "restore") return { ok: true, action: { type } };
  if (type !== "split") return { ok: false, message: `unknown flagd action ${JSON.stringify(type)}` };
  const parsed = splitParamsSchema.safeParse(params);
  return parsed.success
    ? { ok: true, action: { type, percent: parsed.data.percent } }
    : { ok: false, message: `invalid split params: ${z.prettifyError(parsed.error)}` };
}
