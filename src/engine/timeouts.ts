/**
 * Timeouts halt; they never advance. `stageMs` runs from the stage's start,
 * `drainMs` from its action while a condition gate fails, `sensorBlindMs`
 * while a gate sensor has had no fresh ok reading since the action. A resume
 * restarts the stage and drain clocks (the operator gave the stage more time).
 */
import type { Timeouts } from "../plan/types.ts";
import { formatDuration } from "./format.ts";
import type { EngineInternal } from "./internal.ts";
import type { HaltReason } from "./types.ts";

/** The first timeout exceeded at `atMs`, as a halt reason. */
export function exceededTimeout(
  timeouts: Timeouts,
  internal: EngineInternal,
  ctx: {
    readonly atMs: number;
    readonly stageName: string;
    /** Sealing only: whether every condition gate holds, and the first failing one (for the message). */
    readonly conditionsHold?: boolean;
    readonly failing?: string;
    readonly gateSensors?: readonly string[];
  },
): HaltReason | undefined {
  const { atMs, stageName } = ctx;
  const stageClock = internal.stageClockMs;
  if (stageClock !== null && atMs - stageClock > timeouts.stageMs) {
    return {
      code: "timeout-stage",
      message: `stage ${stageName} not sealed within its ${formatDuration(timeouts.stageMs)} timeout`,
      evidence: { stage: stageName, limitMs: timeouts.stageMs, sinceMs: stageClock },
    };
  }
  const drainClock = internal.drainClockMs;
  if (drainClock === null) return undefined;
  if (ctx.conditionsHold === false && atMs - drainClock > timeouts.drainMs) {
    const still = ctx.failing === undefined ? "" : `: ${ctx.failing}`;
    return {
      code: "timeout-drain",
      message: `stage ${stageName} not drained within ${formatDuration(timeouts.drainMs)}${still}`,
      evidence: { stage: stageName, limitMs: timeouts.drainMs, sinceMs: drainClock, failing: ctx.failing ?? null },
    };
  }
  for (const sensor of ctx.gateSensors ?? []) {
    const blindSinceMs = internal.blindSince[sensor];
    if (blindSinceMs === undefined) continue;
    const sinceMs = Math.max(blindSinceMs, drainClock);
    if (atMs - sinceMs > timeouts.sensorBlindMs) {
      return {
        code: "sensor-blind",
        message: `gate sensor ${sensor} of stage ${stageName} has had no fresh reading for ${formatDuration(atMs - sinceMs)} (limit ${formatDuration(timeouts.sensorBlindMs)})`,
        evidence: { stage: stageName, sensor, sinceMs, limitMs: timeouts.sensorBlindMs },
      };
    }
  }
  return undefined;
}
