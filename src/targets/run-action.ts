/**
 * What the generic targets (`command`, `webhook`, `fake`) share: a single
 * `run` action whose params pass through untouched, and rollback by
 * re-applying the applied actions newest first with `rollback: true`.
 */
import { z } from "zod";
import type { GatesSpec } from "../plan/types.ts";
import type { ActionSpec, Json, RollbackStep } from "./target.ts";

/** Params of a `run` action: any JSON object, handed to the command or webhook as is. */
export const runActionParams: z.ZodType<Readonly<Record<string, Json>>> = z.record(z.string(), z.json());

/** The action types of the generic targets. */
export const runActions = { run: runActionParams } as const;

/** Gates without sensor conditions (generic targets have no sensors of their own to gate on). */
export const simpleGatesSchema = z
  .object({
    bakeMs: z.number().int().nonnegative().optional().describe("Minimum observation time after the action, in ms."),
    confirmedBy: z.array(z.string().min(1)).min(1).optional().describe("People or systems that must acknowledge."),
  })
  .strict();

/** Validated {@link simpleGatesSchema}. */
export type SimpleGates = z.infer<typeof simpleGatesSchema>;

/** The {@link GatesSpec} for simple gates; none when absent. Pure. */
export function toGatesSpec(gates: SimpleGates | undefined): GatesSpec {
  return {
    ...(gates?.bakeMs === undefined ? {} : { bakeMs: gates.bakeMs }),
    ...(gates?.confirmedBy === undefined ? {} : { confirmedBy: gates.confirmedBy }),
  };
}

/**
 * Rollback as the reverse replay of what was applied: one step per applied
 * action, newest first, each re-applying that action (the engine sends it
 * with `rollback: true`, so the target undoes it). Never one-way. Pure.
 */
export function reverseReplayRollback(
  applied: readonly ActionSpec[],
  gates: SimpleGates | undefined,
): { readonly steps: readonly RollbackStep[] } {
  const spec = toGatesSpec(gates);
  const steps = applied.map((action, index): RollbackStep => ({ name: `revert-${index + 1}`, action, gates: spec }));
  return { steps: steps.reverse() };
}
