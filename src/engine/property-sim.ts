/**
 * Test helper: several operations run by simulated runners that follow the
 * real runner's protocol (commit the transition with its locks atomically or
 * feed `LocksRefused` to the old state; then hand over rollback steps; then
 * perform effects), sharing one {@link LockTable}, freezes and targets.
 * Every result is handed to a checker before anything else happens.
 */
import type { Plan } from "../plan/types.ts";
import type { Reading } from "../sensors/sensor.ts";
import type { Ack, Freeze } from "../store/store.ts";
import type { Json, RollbackStep } from "../targets/target.ts";
import { holdsFreeze } from "./halt.ts";
import { LockTable } from "./lock-table.ts";
import { command, condition } from "./test-kit.ts";
import type { EngineApi, Input, Intent, OperationState, TransitionResult } from "./types.ts";

/** How the target answers the next apply. `crash-*`: the runner dies before (or after) the apply lands. */
export type ApplyOutcome = "ok" | "retryable" | "permanent" | "drift" | "crash-before" | "crash-after";

/** One simulated operation and what its target has seen. */
export interface SimOperation {
  readonly id: string;
  readonly plan: Plan;
  state: OperationState;
  /** Idempotency keys the target has applied, in order (with duplicates). */
  readonly targetLog: string[];
  /** The runner died mid-apply; the next step restarts it. */
  needsRecovery: boolean;
}

/** Called with every committed transition (before its effects run). */
export type Checker = (op: SimOperation, before: OperationState, input: Input, result: TransitionResult) => void;

/** The rollback a target definition would plan: restore legacy, candidate out, then drain it. */
export function plannedRollback(applied: OperationState["applied"]): RollbackStep[] {
  if (applied.length === 0) return [];
  return [
    { name: "restore-legacy", action: { type: "restore", params: {} }, gates: {} },
    { name: "candidate-out", action: { type: "weight", params: { candidatePercent: 0 } }, gates: {} },
    {
      name: "drain-candidate",
      action: { type: "drain", params: {} },
      gates: { conditions: { drained: [condition("g1", "<=", 8)] } },
    },
  ];
}

/** Operations sharing locks, freezes and time. */
export class Simulation {
  readonly locks = new LockTable();
  readonly freezes = new Map<string, Freeze>();
  readonly ops: SimOperation[];

  constructor(
    readonly engine: EngineApi,
    plans: readonly Plan[],
    readonly check: Checker,
  ) {
    this.ops = plans.map((plan, i) => ({
      id: `op-${i}`,
      plan,
      state: engine.initialState(`op-${i}`, plan),
      targetLog: [],
      needsRecovery: false,
    }));
  }

  /** Freezes visible to an operation (its domain and `*`). */
  freezesFor(op: SimOperation): Freeze[] {
    return [...this.freezes.values()].filter((f) => f.domain === op.plan.domain || f.domain === "*");
  }

  /** Feeds one input the way the runner does; `outcome` answers any apply it causes. */
  feed(op: SimOperation, input: Input, outcome: ApplyOutcome): void {
    const before = op.state;
    let result = this.engine.transition(before, input, op.plan);
    const refusal = result.locks === undefined ? undefined : this.locks.apply(op.id, result.locks);
    if (refusal !== undefined) {
      result = this.engine.transition(before, { type: "LocksRefused", atMs: input.atMs, ...refusal }, op.plan);
      if (result.locks !== undefined && this.locks.apply(op.id, result.locks) !== undefined) {
        throw new Error("a LocksRefused result asked for locks again");
      }
    }
    op.state = result.state;
    this.check(op, before, input, result);
    if (result.events.some((e) => e.type === "RollbackRequested")) this.rollback(op, input.atMs, "airlock");
    for (const effect of result.effects) {
      switch (effect.type) {
        case "ApplyAction":
          this.apply(op, effect.intent, input.atMs, outcome);
          break;
        case "ObserveTarget":
          this.observe(op, effect.expected, input.atMs, outcome);
          break;
        case "SetFreeze":
          this.freezes.set(`${effect.domain}|${op.id}`, {
            domain: effect.domain,
            reason: effect.reason,
            setBy: op.id,
            setAtMs: input.atMs,
            expiresAtMs: null,
          });
          break;
        case "ClearFreeze":
          this.freezes.delete(`${effect.domain}|${op.id}`);
          break;
      }
    }
    if (!holdsFreeze(op.state)) this.freezes.delete(`${op.plan.domain}|${op.id}`);
  }

  /** A `rollback` command with the steps the runner would plan. */
  rollback(op: SimOperation, atMs: number, actor: string): void {
    const steps = plannedRollback(op.state.applied) as unknown as Json;
    const data = { steps, stopsAt: null };
    this.feed(
      op,
      { type: "Command", atMs, command: command("rollback", op.id, { actor, reason: "test", data }) },
      "ok",
    );
  }

  /** A restarted runner observes the target for an operation that was applying. */
  recover(op: SimOperation, atMs: number, outcome: ApplyOutcome, unsure: boolean): void {
    op.needsRecovery = false;
    if (op.state.phase.kind === "applying") this.observe(op, op.state.phase.intent, atMs, outcome, unsure);
  }

  private observe(op: SimOperation, expected: Intent | undefined, atMs: number, outcome: ApplyOutcome, unsure = false) {
    const landed = expected !== undefined && op.targetLog.includes(expected.idempotencyKey);
    const matches: boolean | "unknown" = landed ? (unsure ? "unknown" : true) : false;
    const result = { ok: true as const, value: { observedAtMs: atMs, state: null, matches } };
    this.feed(op, { type: "TargetObserved", atMs, purpose: "recover-intent", result }, outcome);
  }

  private apply(op: SimOperation, intent: Intent, atMs: number, outcome: ApplyOutcome): void {
    if (outcome === "retryable" || outcome === "permanent") {
      const failed: Input = { type: "ActionFailed", atMs, code: "x", message: "x", retryable: outcome === "retryable" };
      this.feed(op, failed, "ok");
      return;
    }
    if (outcome !== "crash-before") op.targetLog.push(intent.idempotencyKey);
    if (outcome === "crash-before" || outcome === "crash-after") {
      op.needsRecovery = true;
      return;
    }
    const drift = outcome === "drift" ? { drift: "weight changed by hand" } : {};
    this.feed(
      op,
      { type: "ActionApplied", atMs, observation: { observedAtMs: atMs, state: null, matches: true, ...drift } },
      "ok",
    );
  }
}

/** Acks from every party the current stage of `op` waits for. */
export function acksFor(op: SimOperation, atMs: number): Ack[] {
  const phase = op.state.phase;
  if (phase.kind !== "sealing") return [];
  const gates =
    phase.cursor.track === "forward"
      ? op.plan.stages[phase.cursor.index]?.gates
      : op.state.rollbackSteps?.[phase.cursor.index]?.gates;
  const name =
    phase.cursor.track === "forward"
      ? op.plan.stages[phase.cursor.index]?.name
      : op.state.rollbackSteps?.[phase.cursor.index]?.name;
  return (gates?.confirmedBy ?? []).map((party) => ({
    operationId: op.id,
    stage: name ?? "",
    consumer: party,
    actor: party,
    atMs,
  }));
}

/** Readings by sensor name, for a Tick. */
export type Readings = Record<string, Reading>;
