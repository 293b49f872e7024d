/**
 * The engine as `airlock serve` runs it: the real pure engine, observed from
 * the outside. Each Tick's raw readings and the detector's per-node scores
 * (which the engine's state does not keep) go to {@link Telemetry}; the time
 * from a tick's `sensorsToRead` (the runner's first step of a tick) to its
 * transition is reported as the tick duration. Nothing here changes what the
 * engine decides: every call is passed through unchanged.
 */
import { performance } from "node:perf_hooks";
import { detector as realDetector } from "../detect/detector.ts";
import type { DetectorApi } from "../detect/types.ts";
import { createEngine } from "../engine/create-engine.ts";
import type { EngineApi } from "../engine/types.ts";
import type { Telemetry } from "./telemetry.ts";

/** Observers of an {@link instrumentedEngine}. */
export interface EngineObservers {
  readonly telemetry: Telemetry;
  /** Duration of one tick (sensor reads, world facts and the transition), in seconds. */
  readonly onTickSeconds?: (seconds: number) => void;
}

/**
 * Builds the observed engine around `detector` (default: the real one).
 * Relies on `transition` being synchronous: the scores of detector steps
 * made during one transition belong to that transition's operation.
 */
export function instrumentedEngine(observers: EngineObservers, detector: DetectorApi = realDetector): EngineApi {
  let scores: Record<string, number> | undefined;
  let inTick = false;
  const recording: DetectorApi = {
    init: (config, baselines) => detector.init(config, baselines),
    preflight: (config, baselines) => detector.preflight(config, baselines),
    step(state, config, atMs, nodes) {
      const result = detector.step(state, config, atMs, nodes);
      if (inTick) {
        scores ??= {};
        for (const [node, score] of Object.entries(result.verdict.scores)) {
          scores[node] = Math.max(scores[node] ?? 0, score);
        }
      }
      return result;
    },
  };
  const inner = createEngine(recording);
  const tickStartedAt = new Map<string, number>();
  return {
    initialState: (operationId, plan) => inner.initialState(operationId, plan),
    explain: (state, plan, nowMs) => inner.explain(state, plan, nowMs),
    sensorsToRead(state, plan) {
      tickStartedAt.set(state.operationId, performance.now());
      return inner.sensorsToRead(state, plan);
    },
    transition(state, input, plan) {
      if (input.type !== "Tick") return inner.transition(state, input, plan);
      inTick = true;
      scores = undefined;
      try {
        return inner.transition(state, input, plan);
      } finally {
        inTick = false;
        observers.telemetry.recordTick(state.operationId, input.atMs, input.readings, scores);
        const startedAt = tickStartedAt.get(state.operationId);
        tickStartedAt.delete(state.operationId);
        if (startedAt !== undefined) observers.onTickSeconds?.((performance.now() - startedAt) / 1000);
      }
    },
  };
}
