/**
 * A long-running controller (`airlock serve`, and HA setups with several of
 * them on one PostgreSQL store): it keeps a runner on every live operation
 * that no other live controller holds, so a survivor takes an operation over
 * within the runner lease's TTL plus one poll after its runner dies.
 */

import type { Plan } from "../plan/types.ts";
import type { Sensor } from "../sensors/sensor.ts";
import type { OperationRecord, Store, StoredEvent } from "../store/store.ts";
import type { Target, TargetDefinition } from "../targets/target.ts";
import type { Clock } from "./clock.ts";
import { Runner, type RunnerStop } from "./runner.ts";
import type { EngineApi, OperationState } from "./types.ts";

/** The live parts of a plan, built by the wiring layer. */
export interface OperationRuntime {
  readonly plan: Plan;
  readonly target: Target;
  readonly targetDefinition: TargetDefinition;
  readonly sensors: Readonly<Record<string, Sensor>>;
  close(): Promise<void>;
}

/** Options of a {@link Controller}. */
export interface ControllerOptions {
  readonly store: Store;
  readonly engine: EngineApi;
  readonly clock: Clock;
  /** Unique id of this controller process. */
  readonly holder: string;
  /** Builds the runtime from an operation's pinned plan; an error string when it cannot. */
  readonly runtimeFor: (record: OperationRecord) => OperationRuntime | string;
  /** How often to look for operations without a live runner. Default 1 s. */
  readonly pollMs?: number;
  readonly leaseTtlMs?: number;
  /** Freezes set by halted operations expire unless renewed within this time. */
  readonly freezeTtlMs?: number;
  readonly onEvent?: (event: StoredEvent, state: OperationState) => void;
  /** Called when an operation cannot be run here (its plan does not load), or a runner stops. */
  readonly onNotice?: (operationId: string, message: string) => void;
}

/** Runs every live operation it can hold. `start` once, `stop` once. */
export class Controller {
  readonly #o: ControllerOptions;
  readonly #running = new Map<string, { runner: Runner; abort: AbortController; done: Promise<RunnerStop> }>();
  readonly #refused = new Set<string>();
  readonly #abort = new AbortController();
  #loop: Promise<void> | undefined;
  #polling: Promise<void> = Promise.resolve();

  /** @param options see {@link ControllerOptions} */
  constructor(options: ControllerOptions) {
    this.#o = options;
  }

  /** Operation ids this controller is running now. */
  get running(): readonly string[] {
    return [...this.#running.keys()];
  }

  /** The in-memory state of an operation this controller runs (fresher than the store between checkpoints). */
  stateOf(operationId: string): OperationState | undefined {
    return this.#running.get(operationId)?.runner.state;
  }

  /** Starts polling. */
  start(): void {
    this.#loop ??= this.#poll();
  }

  /**
   * One poll now (tests; and `wake` after a submit): picks up live operations
   * without a local runner. Polls are serialised, so concurrent calls never
   * launch two runners for one operation.
   */
  pollOnce(): Promise<void> {
    const next = this.#polling.then(() => this.#pollLive());
    this.#polling = next.catch(() => undefined);
    return next;
  }

  /** Looks for new operations now instead of at the next poll (e.g. right after a submit). */
  wake(): void {
    this.pollOnce().catch((error: unknown) => {
      this.#o.onNotice?.("*", `poll failed: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  async #pollLive(): Promise<void> {
    const live = await this.#o.store.listOperations({ live: true, limit: 10_000 });
    for (const record of live) {
      if (this.#running.has(record.id) || this.#refused.has(record.id)) continue;
      const lease = await this.#o.store.getRunnerLease(record.id);
      if (lease !== undefined && lease.holder !== this.#o.holder && lease.expiresAtMs > (await this.#o.store.nowMs()))
        continue;
      this.#launch(record);
    }
  }

  /** Stops every runner (their leases are released so another controller can take over at once). */
  async stop(): Promise<void> {
    this.#abort.abort();
    for (const entry of this.#running.values()) entry.abort.abort();
    await Promise.allSettled([this.#loop, ...[...this.#running.values()].map((e) => e.done)]);
  }

  async #poll(): Promise<void> {
    while (!this.#abort.signal.aborted) {
      try {
        await this.pollOnce();
      } catch (error) {
        this.#o.onNotice?.("*", `poll failed: ${error instanceof Error ? error.message : String(error)}`);
      }
      await this.#o.clock.sleep(this.#o.pollMs ?? 1_000, this.#abort.signal);
    }
  }

  #launch(record: OperationRecord): void {
    const runtime = this.#o.runtimeFor(record);
    if (typeof runtime === "string") {
      this.#refused.add(record.id);
      this.#o.onNotice?.(record.id, `cannot run: ${runtime}`);
      return;
    }
    const abort = new AbortController();
    const runner = new Runner({
      store: this.#o.store,
      engine: this.#o.engine,
      plan: runtime.plan,
      operationId: record.id,
      target: runtime.target,
      targetDefinition: runtime.targetDefinition,
      sensors: runtime.sensors,
      clock: this.#o.clock,
      holder: this.#o.holder,
      ...(this.#o.leaseTtlMs === undefined ? {} : { leaseTtlMs: this.#o.leaseTtlMs }),
      ...(this.#o.freezeTtlMs === undefined ? {} : { freezeTtlMs: this.#o.freezeTtlMs }),
      ...(this.#o.onEvent === undefined ? {} : { onEvent: this.#o.onEvent }),
    });
    const done = runner
      .run(abort.signal, false)
      .catch((error: unknown): RunnerStop => {
        this.#o.onNotice?.(
          record.id,
          `runner failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        );
        return { kind: "aborted" };
      })
      .then(async (stop) => {
        this.#running.delete(record.id);
        await runtime.close();
        if (stop.kind === "lease-lost" || stop.kind === "busy") this.#o.onNotice?.(record.id, `stopped: ${stop.kind}`);
        return stop;
      });
    this.#running.set(record.id, { runner, abort, done });
  }
}
