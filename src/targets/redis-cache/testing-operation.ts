/**
 * For end-to-end tests (cache and flag rollouts): loads a plan with the real
 * parser, runs it with the real engine and runner on an in-memory store, in
 * real time, and lets the test wait for states and count sensor reads. Not
 * specific to caches; it lives here because the cache tests came first.
 */
import { readFileSync } from "node:fs";
import { loadPlanSource } from "../../cli/load-plan.ts";
import { buildRuntime, type Registries, type Runtime } from "../../cli/wiring.ts";
import { realClock } from "../../engine/clock.ts";
import { engine } from "../../engine/engine.ts";
import { Runner, type RunnerStop, toJson } from "../../engine/runner.ts";
import type { OperationState } from "../../engine/types.ts";
import type { Plan } from "../../plan/types.ts";
import type { Reading, Sensor } from "../../sensors/sensor.ts";
import { MemoryStore } from "../../store/memory/memory-store.ts";

/** Loads `file` (after `edit`, e.g. to fill in ports) with the real parser; throws with every error. */
export function loadTestPlan(file: string, registries: Registries, edit: (source: string) => string = (s) => s): Plan {
  const loaded = loadPlanSource(edit(readFileSync(file, "utf8")), file, registries);
  if (!loaded.ok) throw new Error(loaded.lines.join("\n"));
  return loaded.loaded.plan;
}

/** One sensor read as the test saw it. */
export interface SensorRead {
  readonly sensor: string;
  readonly startedAtMs: number;
  readonly reading: Reading;
}

/** A running operation. */
export interface TestOperation {
  readonly runner: Runner;
  readonly store: MemoryStore;
  /** Every read of the runtime's sensors, in completion order. */
  readonly reads: readonly SensorRead[];
  /** Resolves when the runner stops (terminal, halted, aborted). */
  readonly stopped: Promise<RunnerStop>;
  /** Polls the runner's state every 20 ms until `predicate` holds; throws with the last state after `timeoutMs`. */
  waitFor(what: string, predicate: (state: OperationState) => boolean, timeoutMs?: number): Promise<OperationState>;
  /** Aborts the runner and closes the runtime. Idempotent. */
  stop(): Promise<void>;
}

function recorded(name: string, sensor: Sensor, reads: SensorRead[]): Sensor {
  return {
    async read(ctx) {
      const startedAtMs = Date.now();
      const reading = await sensor.read(ctx);
      reads.push({ sensor: name, startedAtMs, reading });
      return reading;
    },
  };
}

/** Creates the operation for `plan` and runs it until it completes, rolls back, halts (without rollback) or is stopped. */
export async function startTestOperation(plan: Plan, planFile: string, registries: Registries): Promise<TestOperation> {
  const store = new MemoryStore();
  const id = `op-${plan.name}`;
  const created = await store.createOperation({
    id,
    planName: plan.name,
    domain: plan.domain,
    planHash: "test",
    planSource: "",
    planFile,
    state: toJson(engine.initialState(id, plan)),
  });
  if (!created.ok) throw new Error(created.message);
  const runtime: Runtime = buildRuntime(plan, planFile, registries);
  const reads: SensorRead[] = [];
  const sensors = Object.fromEntries(
    Object.entries(runtime.sensors).map(([name, sensor]) => [name, recorded(name, sensor, reads)]),
  );
  const runner = new Runner({
    store,
    engine,
    plan,
    operationId: id,
    target: runtime.target,
    targetDefinition: runtime.targetDefinition,
    sensors,
    clock: realClock,
    holder: "test",
  });
  const controller = new AbortController();
  const stopped = runner.run(controller.signal, true);
  return {
    runner,
    store,
    reads,
    stopped,
    async waitFor(what, predicate, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const state = runner.state;
        if (state !== undefined && predicate(state)) return state;
        if (Date.now() > deadline) {
          throw new Error(
            `timed out waiting for ${what}; last state: ${JSON.stringify({ phase: state?.phase, gates: state?.gateChecks })}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async stop() {
      controller.abort();
      await stopped.catch(() => undefined);
      await runtime.close();
    },
  };
}
