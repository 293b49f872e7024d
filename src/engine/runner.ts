/**
 * The runner: the only impure part of the engine. It holds the operation's
 * runner lease, feeds inputs to the pure `transition()`, commits each result
 * atomically (fenced by the lease) and only then performs the effects.
 *
 * Crash safety: an `ActionIntended` event is committed before every apply and
 * `ActionApplied` after it; a runner that starts on an operation in
 * `applying` observes the target and re-applies the same intent (same
 * idempotency key) only if the target cannot show it landed.
 */
import type { Plan } from "../plan/types.ts";
import type { ReadContext, Sensor } from "../sensors/sensor.ts";
import type { OperationStatus, RunnerLease, Store, StoredCommand, StoredEvent } from "../store/store.ts";
import type { ActionRequest, Json, Target, TargetDefinition } from "../targets/target.ts";
import { type Clock, realClock } from "./clock.ts";
import { startDeadline } from "./deadline.ts";
import type { FaultInjector } from "./faults.ts";
import { holdsFreeze } from "./halt.ts";
import { readSensors } from "./read-sensors.ts";
import { rollbackRequested } from "./rollback.ts";
import type { Cursor, EngineApi, Input, Intent, OperationState, TransitionResult } from "./types.ts";
import { gatherWorld } from "./world.ts";

/** Everything a runner needs; built by `cli/wiring.ts`. */
export interface RunnerOptions {
  readonly store: Store;
  readonly engine: EngineApi;
  readonly plan: Plan;
  readonly operationId: string;
  readonly target: Target;
  readonly targetDefinition: TargetDefinition;
  /** Plan sensors and `target.<name>` sensors, by name. */
  readonly sensors: Readonly<Record<string, Sensor>>;
  /** Engine time (virtual in tests and simulation). Lease timing always uses wall-clock time. */
  readonly clock: Clock;
  /** Unique id of this controller process. */
  readonly holder: string;
  readonly leaseTtlMs?: number;
  /** A commit or apply needs at least this much lease left. */
  readonly leaseMarginMs?: number;
  readonly readTimeoutMs?: number;
  readonly applyTimeoutMs?: number;
  /** State is persisted at least this often even when nothing notable happened. */
  readonly checkpointMs?: number;
  /** Freezes set by this runner expire unless renewed within this time. */
  readonly freezeTtlMs?: number;
  /** Called with every committed event, in order. */
  readonly onEvent?: (event: StoredEvent, state: OperationState) => void;
  readonly faults?: FaultInjector;
}

/** Why a runner stopped acting. */
export type RunnerStop =
  | { readonly kind: "terminal"; readonly status: OperationStatus }
  | { readonly kind: "halted" }
  | { readonly kind: "lease-lost"; readonly message: string }
  | { readonly kind: "busy"; readonly holder: string }
  | { readonly kind: "aborted" };

class LeaseLost extends Error {}

/** Minimum time between two drift checks of a sealing stage. */
const DRIFT_CHECK_MS = 2_000;

/** Ticks in a row that may follow one another without waiting an interval. */
const MAX_QUICK_TICKS = 8;

/** Whether the phase moved to another kind or another stage/step. */
function movedOn(before: OperationState["phase"], after: OperationState["phase"]): boolean {
  if (before.kind !== after.kind) return true;
  const a = "cursor" in before ? before.cursor : undefined;
  const b = "cursor" in after ? after.cursor : undefined;
  return a?.track !== b?.track || a?.index !== b?.index;
}

const TERMINAL: ReadonlySet<OperationStatus> = new Set(["completed", "rolled_back", "failed", "abandoned"]);

/** Runs one operation for as long as it holds the runner lease. Not reusable across operations. */
export class Runner {
  readonly #o: RunnerOptions;
  readonly #ttlMs: number;
  readonly #marginMs: number;
  #lease: RunnerLease | undefined;
  #leaseRenewedAtMs = 0;
  #state!: OperationState;
  #status: OperationStatus = "pending";
  #version = 0;
  #lastCommitAtMs = 0;
  #lastDriftCheckMs = 0;

  /** @param options see {@link RunnerOptions}; defaults: lease TTL 15 s, margin 3 s. */
  constructor(options: RunnerOptions) {
    this.#o = options;
    this.#ttlMs = options.leaseTtlMs ?? 15_000;
    this.#marginMs = options.leaseMarginMs ?? Math.min(3_000, this.#ttlMs / 3);
  }

  /** The last committed (or in-memory newer) state. */
  get state(): OperationState {
    return this.#state;
  }

  /** The operation's status column. */
  get status(): OperationStatus {
    return this.#status;
  }

  /**
   * Takes the runner lease, loads the operation and recovers it (starts a
   * pending one; re-observes an interrupted intent). Returns a stop reason
   * when it cannot run (lease held elsewhere, operation already over).
   */
  async start(): Promise<RunnerStop | undefined> {
    const lease = await this.#o.store.acquireRunnerLease(this.#o.operationId, this.#o.holder, this.#ttlMs);
    if (!lease.ok) return { kind: "busy", holder: lease.blockedBy?.operationId ?? lease.message };
    this.#lease = lease.value;
    this.#leaseRenewedAtMs = realClock.nowMs();
    try {
      await this.#reload();
      if (TERMINAL.has(this.#status)) return { kind: "terminal", status: this.#status };
      const phase = this.#state.phase;
      if (phase.kind === "pending") await this.#feed({ type: "Started", atMs: this.#o.clock.nowMs() });
      else if (phase.kind === "applying") await this.#observe("recover-intent", phase.intent, phase.cursor);
      else if (phase.kind === "halted" && rollbackRequested(this.#state)) {
        await this.#feed({
          type: "Command",
          atMs: this.#o.clock.nowMs(),
          command: this.#withRollbackSteps(syntheticRollback(this.#o.operationId, this.#o.clock.nowMs())),
        });
      }
      return undefined;
    } catch (error) {
      return this.#stopFor(error);
    }
  }

  /** One evaluation: commands, sensors, world facts, one Tick. Returns a stop reason when the runner must stop. */
  async tick(): Promise<RunnerStop | undefined> {
    try {
      await this.#renewLeaseIfDue();
      const commands = await this.#o.store.pendingCommands(this.#o.operationId);
      for (const command of commands) {
        await this.#feed({ type: "Command", atMs: this.#o.clock.nowMs(), command: this.#withRollbackSteps(command) }, [
          command.id,
        ]);
      }
      if (TERMINAL.has(this.#status)) return { kind: "terminal", status: this.#status };
      const { engine, plan, clock } = this.#o;
      await this.#checkDriftIfDue();
      const phase = this.#state.phase;
      const stage: Pick<ReadContext, "stageAppliedAtMs" | "stageAction"> =
        phase.kind === "sealing"
          ? {
              stageAppliedAtMs: phase.appliedAtMs,
              stageAction: {
                type: phase.intent.action.type,
                params: phase.intent.action.params,
                rollback: phase.cursor.track === "rollback",
              },
            }
          : {};
      const readTimeoutMs = this.#o.readTimeoutMs ?? Math.max(5_000, plan.intervalMs);
      const names = engine.sensorsToRead(this.#state, plan);
      const readings = await readSensors(this.#o.sensors, names, () => clock.nowMs(), readTimeoutMs, stage);
      const world = await gatherWorld(this.#o.store, plan, this.#o.operationId, this.#state);
      if (phase.kind === "sealing") this.#o.faults?.at("while-sealing");
      await this.#feed({ type: "Tick", atMs: clock.nowMs(), readings, world });
      if (holdsFreeze(this.#state)) await this.#renewFreeze();
      return TERMINAL.has(this.#status) ? { kind: "terminal", status: this.#status } : undefined;
    } catch (error) {
      return this.#stopFor(error);
    }
  }

  /**
   * Runs until the operation ends, the lease is lost, or `signal` aborts.
   * With `stopWhenHalted`, returns on a halt (the CLI's foreground `run`).
   */
  async run(signal?: AbortSignal, stopWhenHalted = false): Promise<RunnerStop> {
    const started = await this.start();
    if (started !== undefined) return started;
    let quickTicks = 0;
    for (;;) {
      if (signal?.aborted) return this.#release({ kind: "aborted" });
      const before = this.#state.phase;
      const stop = await this.tick();
      if (stop !== undefined) return this.#release(stop);
      if (
        stopWhenHalted &&
        this.#status === "halted" &&
        (await this.#o.store.pendingCommands(this.#o.operationId)).length === 0
      ) {
        return this.#release({ kind: "halted" });
      }
      // A tick that moved the operation on (an action applied, a stage sealed, a rollback begun) is followed
      // at once by the next: the interval paces sensor polling while gates are awaited, it is not a pause
      // between steps. Bounded, so that a plan whose steps all pass at once still yields to the event loop.
      if (movedOn(before, this.#state.phase) && quickTicks < MAX_QUICK_TICKS) {
        quickTicks += 1;
        await new Promise((resolve) => setImmediate(resolve));
        continue;
      }
      quickTicks = 0;
      await this.#o.clock.sleep(this.#o.plan.intervalMs, signal);
    }
  }

  /**
   * While a forward stage seals, re-observes the target now and then: a weight
   * changed by hand or a reload that wiped runtime state is a halt reason
   * (the engine decides), never silently overwritten by the next stage.
   */
  async #checkDriftIfDue(): Promise<void> {
    const phase = this.#state.phase;
    if (phase.kind !== "sealing" || phase.cursor.track !== "forward") return;
    const nowMs = realClock.nowMs();
    if (nowMs - this.#lastDriftCheckMs < Math.max(this.#o.plan.intervalMs, DRIFT_CHECK_MS)) return;
    this.#lastDriftCheckMs = nowMs;
    await this.#observe("drift-check", phase.intent, phase.cursor);
  }

  /** Gives the runner lease up so another controller can take over at once. Idempotent. */
  async release(): Promise<void> {
    if (this.#lease === undefined) return;
    await this.#o.store.releaseRunnerLease(this.#o.operationId, this.#o.holder, this.#lease.token);
    this.#lease = undefined;
  }

  async #release(stop: RunnerStop): Promise<RunnerStop> {
    if (stop.kind !== "lease-lost") await this.release();
    return stop;
  }

  #stopFor(error: unknown): RunnerStop {
    if (error instanceof LeaseLost) return { kind: "lease-lost", message: error.message };
    throw error;
  }

  async #reload(): Promise<void> {
    const record = await this.#o.store.getOperation(this.#o.operationId);
    if (record === undefined) throw new Error(`operation ${this.#o.operationId} not found`);
    this.#state = record.state as unknown as OperationState;
    this.#status = record.status;
    this.#version = record.version;
  }

  /** Feeds one input, commits the result, then performs its effects. */
  async #feed(input: Input, consumedCommandIds: readonly number[] = []): Promise<void> {
    const result = this.#o.engine.transition(this.#state, input, this.#o.plan);
    const committed = await this.#commit(result, consumedCommandIds);
    if (!committed.ok) {
      await this.#feed(
        {
          type: "LocksRefused",
          atMs: input.atMs,
          code: committed.code,
          message: committed.message,
          ...blocked(committed.blockedBy),
        },
        consumedCommandIds,
      );
      return;
    }
    if (result.events.some((e) => e.type === "ActionIntended")) this.#o.faults?.at("after-intent");
    if (result.events.some((e) => e.type === "RollbackRequested")) {
      await this.#feed({
        type: "Command",
        atMs: input.atMs,
        command: this.#withRollbackSteps(syntheticRollback(this.#o.operationId, input.atMs)),
      });
    }
    for (const effect of result.effects) {
      switch (effect.type) {
        case "ApplyAction":
          await this.#apply(effect.cursor, effect.intent);
          break;
        case "ObserveTarget":
          await this.#observe(effect.purpose, effect.expected, effect.cursor);
          break;
        case "SetFreeze":
          await this.#renewFreeze(effect.reason);
          break;
        case "ClearFreeze":
          await this.#o.store.clearFreeze(effect.domain, this.#o.operationId);
          break;
        default: {
          const unreachable: never = effect;
          throw new Error(`unknown effect ${JSON.stringify(unreachable)}`);
        }
      }
    }
  }

  async #commit(
    result: TransitionResult,
    consumedCommandIds: readonly number[],
  ): Promise<{ ok: true } | { ok: false; code: "domain-busy" | "claim-conflict"; message: string; blockedBy?: Json }> {
    // Operation time, not wall time: a checkpoint bounds the evidence a takeover loses, in the operation's clock.
    const nowMs = this.#o.clock.nowMs();
    const notable =
      result.events.length > 0 ||
      result.locks !== undefined ||
      consumedCommandIds.length > 0 ||
      result.status !== this.#status;
    const checkpointDue = nowMs - this.#lastCommitAtMs >= (this.#o.checkpointMs ?? 5_000);
    if (!notable && !checkpointDue) {
      this.#state = result.state;
      return { ok: true };
    }
    await this.#renewLeaseIfDue();
    const lease = this.#requireLease();
    const committed = await this.#o.store.commit({
      operationId: this.#o.operationId,
      fence: { holder: lease.holder, token: lease.token, marginMs: this.#marginMs },
      expectedVersion: this.#version,
      status: result.status,
      state: result.state as unknown as Json,
      events: result.events,
      ...(result.locks === undefined ? {} : { locks: result.locks }),
      consumedCommandIds,
    });
    if (!committed.ok) {
      if (committed.code === "domain-busy" || committed.code === "claim-conflict") {
        return {
          ok: false,
          code: committed.code,
          message: committed.message,
          ...blocked(committed.blockedBy as Json | undefined),
        };
      }
      throw new LeaseLost(`${committed.code}: ${committed.message}`);
    }
    this.#version = committed.value.version;
    this.#lastCommitAtMs = nowMs;
    this.#state = result.state;
    this.#status = result.status;
    result.events.forEach((event, i) => {
      this.#o.onEvent?.(
        { ...event, operationId: this.#o.operationId, seq: committed.value.firstSeq + i },
        result.state,
      );
    });
    return { ok: true };
  }

  async #apply(cursor: Cursor, intent: Intent): Promise<void> {
    await this.#renewLease();
    const deadline = startDeadline(this.#o.applyTimeoutMs ?? 120_000);
    const request = this.#request(cursor, intent, deadline.signal);
    let outcome: Awaited<ReturnType<Target["apply"]>>;
    try {
      outcome = await this.#o.target.apply(request);
    } catch (error) {
      outcome = {
        ok: false,
        code: "exception",
        message: error instanceof Error ? error.message : String(error),
        retryable: false,
      };
    } finally {
      deadline.clear();
    }
    this.#o.faults?.at("after-apply");
    const atMs = this.#o.clock.nowMs();
    if (outcome.ok) {
      await this.#feed(
        outcome.value === undefined
          ? { type: "ActionApplied", atMs }
          : { type: "ActionApplied", atMs, observation: outcome.value },
      );
      this.#o.faults?.at("after-applied-event");
    } else {
      await this.#feed({
        type: "ActionFailed",
        atMs,
        code: outcome.code,
        message: outcome.message,
        retryable: outcome.retryable,
      });
    }
  }

  async #observe(
    purpose: "recover-intent" | "drift-check",
    expected: Intent | undefined,
    cursor: Cursor | undefined,
  ): Promise<void> {
    const deadline = startDeadline(this.#o.readTimeoutMs ?? 5_000);
    const request =
      expected !== undefined && cursor !== undefined ? this.#request(cursor, expected, deadline.signal) : undefined;
    let result: Awaited<ReturnType<Target["observe"]>>;
    try {
      result = await this.#o.target.observe(request, deadline.signal);
    } catch (error) {
      result = {
        ok: false,
        code: "exception",
        message: error instanceof Error ? error.message : String(error),
        retryable: true,
      };
    } finally {
      deadline.clear();
    }
    await this.#feed({ type: "TargetObserved", atMs: this.#o.clock.nowMs(), purpose, result });
  }

  #request(cursor: Cursor, intent: Intent, signal: AbortSignal): ActionRequest {
    const stageName =
      cursor.track === "forward"
        ? (this.#o.plan.stages[cursor.index]?.name ?? `stage-${cursor.index}`)
        : (this.#state.rollbackSteps?.[cursor.index]?.name ?? `rollback-${cursor.index}`);
    return {
      operationId: this.#o.operationId,
      stageName,
      stageIndex: cursor.index,
      action: intent.action,
      idempotencyKey: intent.idempotencyKey,
      fencingToken: this.#requireLease().token,
      rollback: cursor.track === "rollback",
      signal,
    };
  }

  #withRollbackSteps(command: StoredCommand): StoredCommand {
    if (command.type !== "rollback") return command;
    const planned = this.#o.targetDefinition.rollback(this.#state.applied, this.#o.plan.target.config);
    const data = {
      ...(isRecord(command.data) ? command.data : {}),
      steps: toJson(planned.steps),
      stopsAt: planned.stopsAt ?? null,
    };
    return { ...command, data };
  }

  #requireLease(): RunnerLease {
    if (this.#lease === undefined) throw new LeaseLost("runner lease not held");
    return this.#lease;
  }

  /** Renews once half of the lease time beyond the margin has passed, so a commit always has the margin left. */
  async #renewLeaseIfDue(): Promise<void> {
    if (realClock.nowMs() - this.#leaseRenewedAtMs >= (this.#ttlMs - this.#marginMs) / 2) await this.#renewLease();
  }

  /** Renews the lease; a refusal or a changed token means another controller took over. */
  async #renewLease(): Promise<void> {
    const current = this.#requireLease();
    const renewed = await this.#o.store.acquireRunnerLease(this.#o.operationId, this.#o.holder, this.#ttlMs);
    if (!renewed.ok || renewed.value.token !== current.token) {
      this.#lease = undefined;
      throw new LeaseLost(renewed.ok ? "lease expired and was granted anew; state may be stale" : renewed.message);
    }
    this.#lease = renewed.value;
    this.#leaseRenewedAtMs = realClock.nowMs();
  }

  async #renewFreeze(reason?: string): Promise<void> {
    const { store, plan, operationId } = this.#o;
    const phase = this.#state.phase;
    const why = reason ?? (phase.kind === "halted" ? phase.reason.message : "halted");
    const expiresAtMs = (await store.nowMs()) + (this.#o.freezeTtlMs ?? 60_000);
    await store.setFreeze({
      domain: plan.domain,
      reason: why,
      setBy: operationId,
      setAtMs: this.#o.clock.nowMs(),
      expiresAtMs,
    });
  }
}

function blocked(blockedBy: Json | undefined): { blockedBy?: Json } {
  return blockedBy === undefined ? {} : { blockedBy };
}

function syntheticRollback(operationId: string, atMs: number): StoredCommand {
  return {
    id: 0,
    operationId,
    type: "rollback",
    actor: "airlock",
    reason: "onHalt: rollback",
    data: {},
    createdAtMs: atMs,
  };
}

function isRecord(value: Json): value is { readonly [key: string]: Json } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Plain data → Json (drops undefined, as the store would). */
export function toJson(value: unknown): Json {
  return JSON.parse(JSON.stringify(value ?? null)) as Json;
}
