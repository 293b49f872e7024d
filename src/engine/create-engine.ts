/**
 * Assembles the pure engine around a supercriticality detector, so that tests
 * can pass a scripted one. Production uses `engine` from `engine.ts`.
 */
import type { DetectorApi } from "../detect/types.ts";
import type { Plan } from "../plan/types.ts";
import { explain } from "./explain.ts";
import { FRESH_INTERNAL } from "./internal.ts";
import { sensorsToRead } from "./sensors-to-read.ts";
import { createTransition } from "./transition.ts";
import type { EngineApi, OperationState } from "./types.ts";

/** A fresh operation: phase `pending`, nothing applied. */
function initialState(operationId: string, _plan: Plan): OperationState {
  return {
    operationId,
    phase: { kind: "pending" },
    applied: [],
    gateChecks: [],
    stageTimes: [],
    internal: FRESH_INTERNAL,
  };
}

/** The engine around `detector`. Every function is pure. */
export function createEngine(detector: DetectorApi): EngineApi {
  return { initialState, transition: createTransition(detector), sensorsToRead, explain };
}
