/**
 * Which sensors the next Tick needs: every guard's sensors always (both
 * sides of a `divideBy`), plus the gate sensors of the current stage or
 * rollback step while it waits (to set counter baselines) or seals.
 * Deduplicated; the arrays are memoised per plan, so calling this every tick
 * allocates nothing.
 */
import type { Plan } from "../plan/types.ts";
import { isTerminal } from "./draft.ts";
import { planIndex, rollbackReadSets } from "./plan-index.ts";
import type { OperationState, Phase } from "./types.ts";

const NOTHING: readonly string[] = [];

/** Sensor names the next Tick needs. Pure. */
export function sensorsToRead(
  state: { readonly phase: Phase; readonly rollbackSteps?: OperationState["rollbackSteps"] | undefined },
  plan: Plan,
): readonly string[] {
  const phase = state.phase;
  if (isTerminal(phase)) return NOTHING;
  const index = planIndex(plan);
  if (phase.kind !== "waiting" && phase.kind !== "sealing") return index.guardSensors;
  const { track, index: at } = phase.cursor;
  const sets = track === "forward" ? index.stageReadSets : rollbackReadSets(plan, state.rollbackSteps ?? []);
  return sets[at] ?? index.guardSensors;
}
