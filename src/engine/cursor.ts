/**
 * What a cursor points at: a forward stage of the plan or a step of the
 * rollback, seen through one shape (name, action, gates, timeouts).
 */
import type { GatesSpec, Plan, Timeouts } from "../plan/types.ts";
import type { ActionSpec, Json } from "../targets/target.ts";
import type { Cursor, OperationState } from "./types.ts";

/** The parts of a state (or draft) that locate steps. */
export interface StepSource {
  readonly applied: OperationState["applied"];
  readonly rollbackSteps?: OperationState["rollbackSteps"] | undefined;
}

/** One forward stage or rollback step. */
export interface Step {
  readonly name: string;
  readonly action: ActionSpec;
  readonly gates: GatesSpec;
  readonly timeouts: Timeouts;
  /** Stages (or steps) on this track. */
  readonly total: number;
}

/**
 * The timeouts that apply while rolling back: those of the last forward
 * stage that was applied (the rollback undoes it), else the first stage's.
 */
export function rollbackTimeouts(plan: Plan, appliedCount: number): Timeouts | undefined {
  const index = Math.max(0, Math.min(appliedCount, plan.stages.length) - 1);
  return plan.stages[index]?.timeouts;
}

const forwardSteps = new WeakMap<Plan, readonly Step[]>();

/** The stage or step at `cursor`; undefined when the cursor is outside the plan (a bug or an edited plan). */
export function stepAt(cursor: Cursor, state: StepSource, plan: Plan): Step | undefined {
  if (cursor.track === "forward") {
    let steps = forwardSteps.get(plan);
    if (steps === undefined) {
      steps = plan.stages.map((stage) => ({ ...stage, total: plan.stages.length }));
      forwardSteps.set(plan, steps);
    }
    return steps[cursor.index];
  }
  const steps = state.rollbackSteps ?? [];
  const step = steps[cursor.index];
  const timeouts = rollbackTimeouts(plan, state.applied.length);
  if (step === undefined || timeouts === undefined) return undefined;
  return { name: step.name, action: step.action, gates: step.gates, timeouts, total: steps.length };
}

/** `stage 2/4 canary-25` or `rollback step 1/3 restore-legacy`. */
export function stepLabel(cursor: Cursor, step: Pick<Step, "name" | "total">): string {
  const where = `${cursor.index + 1}/${step.total} ${step.name}`;
  return cursor.track === "forward" ? `stage ${where}` : `rollback step ${where}`;
}

/** Event data that locates a stage or step: `{ track, index, stage }`. */
export function cursorData(cursor: Cursor, step: Pick<Step, "name">): { readonly [key: string]: Json } {
  return { track: cursor.track, index: cursor.index, stage: step.name };
}

/** The key counting intents per cursor: `forward:2`. */
export function cursorKey(cursor: Cursor): string {
  return `${cursor.track}:${cursor.index}`;
}
