/**
 * The `flagd` target (plans of `kind: FlagRollout`): rolls a flag out by
 * rewriting the `fractional` split in an OpenFeature flagd flag definition
 * file, one revision per stage, and seals a stage only when every evaluator
 * reports that it evaluates the new revision.
 *
 * ```yaml
 * target:
 *   kind: flagd
 *   file: flags/checkout.flagd.json
 *   flag: new-checkout
 *   variants: { new: "on", old: "off" }
 *   evaluators:
 *     - { name: web-a, url: "http://10.0.0.5:8080/metrics" }
 *     - { name: web-b, url: "http://10.0.0.6:8080/metrics" }
 * stages:
 *   - { name: one-percent, action: { type: split, percent: 1 } }
 *   - { name: ten-percent, action: { type: split, percent: 10 } }
 * ```
 *
 * Rollback is one step, `restore-split`: the targeting from before the
 * operation's first write, as a new revision, sealed when every evaluator
 * has it (a flag flip takes no capacity, so going straight back is safest).
 */
import { resolve } from "node:path";
import type { Condition, GatesSpec } from "../../plan/types.ts";
import type { ActionRequest, Observation, RollbackStep, Target, TargetDefinition, TargetResult } from "../target.ts";
import { applyFlagAction, observeFlag } from "./flagd-apply.ts";
import { type FlagdConfig, flagdActions, flagdConfigSchema, parseFlagdAction } from "./flagd-config.ts";
import { flagdSensors } from "./flagd-sensors.ts";

/** The default `propagated` gate: every evaluator evaluates the revision now in the file. Pure. */
export function propagatedGate(config: FlagdConfig): GatesSpec {
  const condition: Condition = {
    sensor: "target.propagated",
    aggregate: "every",
    op: ">=",
    threshold: 1,
    expectNodes: config.evaluators.map((evaluator) => evaluator.name),
    consecutive: 1,
    label: "evaluators on the new flag revision",
  };
  return { conditions: { propagated: [condition] } };
}

/** The `flagd` target kind. */
export const flagdTargetDefinition: TargetDefinition<FlagdConfig> = {
  kind: "flagd",
  description:
    "Roll a flag out through the fractional split of a flagd flag file, sealed when every evaluator reports the new revision",
  config: flagdConfigSchema,
  actions: flagdActions,
  sensorNames: () => ["revision", "propagated", "requests", "errors"],
  claims: (config) => [`flagd:${config.file}#${config.flag}`],
  defaultGates: (_action, config) => propagatedGate(config),
  rollback(applied, config): { readonly steps: readonly RollbackStep[] } {
    if (applied.length === 0) return { steps: [] };
    return {
      steps: [{ name: "restore-split", action: { type: "restore", params: {} }, gates: propagatedGate(config) }],
    };
  },
  create(config, ctx): Target {
    const path = resolve(ctx.planDir, config.file);
    const sensors = flagdSensors(config, path);
    return {
      async apply(request: ActionRequest): Promise<TargetResult<Observation | undefined>> {
        if (request.signal.aborted)
          return { ok: false, code: "aborted", message: "aborted before apply", retryable: true };
        const parsed = parseFlagdAction(request.action.type, request.action.params);
        if (!parsed.ok) return { ok: false, code: "config", message: parsed.message, retryable: false };
        return applyFlagAction(path, config, parsed.action, request);
      },
      observe: (expected) => observeFlag(path, config, expected),
      sensors: () => sensors,
    };
  },
};
