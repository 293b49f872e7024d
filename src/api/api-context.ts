/**
 * What the API's route handlers share: the store, the local controller's
 * view of the operations it runs, the pinned-plan cache, telemetry, and the
 * server's limits. Built once by `createApiServer`.
 */

import type { Registries } from "../cli/wiring.ts";
import { engine } from "../engine/engine.ts";
import type { OperationState } from "../engine/types.ts";
import type { Plan } from "../plan/types.ts";
import type { OperationRecord, Store } from "../store/store.ts";
import type { EventHub } from "./event-hub.ts";
import type { ApiMetrics } from "./metrics.ts";
import { detail, type OperationDetail, type OperationSummary, summarize } from "./operation-view.ts";
import type { PlanCache } from "./plan-cache.ts";
import type { PlanPolicy } from "./plan-policy.ts";
import type { Telemetry } from "./telemetry.ts";

/** The local controller, as far as the API needs it. */
export interface LiveOperations {
  /** Fresh in-memory state of an operation run here, or undefined. */
  stateOf(operationId: string): OperationState | undefined;
}

/** Shared by every handler. */
export interface ApiContext {
  readonly store: Store;
  readonly registries: Registries;
  readonly plans: PlanCache;
  readonly planPolicy: PlanPolicy;
  readonly live: LiveOperations;
  readonly hub: EventHub;
  readonly telemetry: Telemetry;
  readonly metrics: ApiMetrics;
  /** One line to the server log (never a token or a request's query string). */
  readonly log: (line: string) => void;
  readonly bodyLimitBytes: number;
  /** SSE heartbeat interval. */
  readonly heartbeatMs: number;
  /** How often an SSE stream polls the store for events written by other processes. */
  readonly streamPollMs: number;
  /** Aborted when the server shuts down: streams end. */
  readonly shutdown: AbortSignal;
}

/** The freshest state of a stored operation: the local runner's, else the stored one. */
export function stateOf(ctx: ApiContext, record: OperationRecord): OperationState {
  return ctx.live.stateOf(record.id) ?? (record.state as unknown as OperationState);
}

/** The pinned plan and the one-line explanation of an operation at `nowMs` (the store's time). */
function explained(
  ctx: ApiContext,
  record: OperationRecord,
  state: OperationState,
  nowMs: number,
): { plan: Plan | undefined; explanation: string } {
  const plan = ctx.plans.planOf(record);
  const explanation =
    plan === undefined
      ? "the pinned plan no longer validates with this version of airlock"
      : engine.explain(state, plan, nowMs);
  return { plan, explanation };
}

/** The list row of an operation, explained at `nowMs` (read the store's clock once per list). */
export function summaryOf(ctx: ApiContext, record: OperationRecord, nowMs: number): OperationSummary {
  const state = stateOf(ctx, record);
  const { plan, explanation } = explained(ctx, record, state, nowMs);
  return summarize(record, state, plan, explanation);
}

/** The detail view of an operation, explained at the store's time. */
export async function detailOf(ctx: ApiContext, record: OperationRecord): Promise<OperationDetail> {
  const state = stateOf(ctx, record);
  const { plan, explanation } = explained(ctx, record, state, await ctx.store.nowMs());
  return detail(record, state, plan, explanation, ctx.live.stateOf(record.id) !== undefined);
}
