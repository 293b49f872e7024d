/**
 * Creates an operation in the store for a controller to pick up (the demo's
 * in-process `airlock serve`), then follows its events until it ends.
 */
import { randomUUID } from "node:crypto";
import type { LoadedPlan } from "../cli/load-plan.ts";
import { engine } from "../engine/engine.ts";
import { rollbackRequested } from "../engine/rollback.ts";
import { toJson } from "../engine/runner.ts";
import type { OperationState } from "../engine/types.ts";
import type { OperationRecord, OperationStatus, Store, StoredEvent } from "../store/store.ts";

/** Statuses after which nothing more happens. */
const ENDED: ReadonlySet<OperationStatus> = new Set(["completed", "rolled_back", "failed", "abandoned"]);

/** Creates a new operation for `loaded` (status `pending`). Throws when the store refuses. */
export async function createOperation(store: Store, loaded: LoadedPlan): Promise<OperationRecord> {
  const id = `${loaded.plan.name}-${Date.now().toString(36)}-${randomUUID().slice(0, 4)}`;
  const created = await store.createOperation({
    id,
    planName: loaded.plan.name,
    domain: loaded.plan.domain,
    planHash: loaded.hash,
    planSource: loaded.source,
    planFile: loaded.file,
    state: toJson(engine.initialState(id, loaded.plan)),
  });
  if (!created.ok) throw new Error(`cannot create the operation: ${created.message}`);
  return created.value.operation;
}

/** Callbacks of {@link followOperation}. */
export interface FollowHandlers {
  /** Every event, in order, once. */
  readonly onEvent: (event: StoredEvent) => void;
  /** The operation's explanation, after every poll. */
  readonly onStatus?: (explanation: string) => void;
}

/**
 * Polls the operation's events every `pollMs` until it has ended (completed,
 * rolled back, failed, abandoned), or halted without a rollback to follow,
 * or `deadlineMs` (epoch ms) passes, or `signal` aborts. Resolves to its
 * last status and every event.
 */
export async function followOperation(
  store: Store,
  loaded: LoadedPlan,
  operationId: string,
  handlers: FollowHandlers,
  options: { readonly pollMs: number; readonly deadlineMs: number; readonly signal: AbortSignal },
): Promise<{ readonly status: OperationStatus; readonly events: readonly StoredEvent[] }> {
  const events: StoredEvent[] = [];
  for (;;) {
    const record = await store.getOperation(operationId);
    for (const event of await store.listEvents(operationId, events.at(-1)?.seq ?? 0, 10_000)) {
      events.push(event);
      handlers.onEvent(event);
    }
    const status = record?.status ?? "failed";
    const state = record?.state as unknown as OperationState | undefined;
    if (state !== undefined) handlers.onStatus?.(engine.explain(state, loaded.plan, Date.now()));
    const paused = status === "halted" && state !== undefined && !rollbackRequested(state);
    if (ENDED.has(status) || paused || Date.now() > options.deadlineMs || options.signal.aborted)
      return { status, events };
    await new Promise((resolve) => setTimeout(resolve, options.pollMs));
  }
}

/** Waits until no freeze covers `domain` (a halted operation's freeze lapses after the controller's freeze TTL). */
export async function waitForThaw(
  store: Store,
  domain: string,
  signal: AbortSignal,
  onWait: (reason: string) => void,
): Promise<void> {
  let told = false;
  for (;;) {
    const [freeze] = await store.activeFreezes([domain]);
    if (freeze === undefined || signal.aborted) return;
    if (!told) onWait(`domain ${domain} is frozen (${freeze.reason}); waiting for the freeze to lapse`);
    told = true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
