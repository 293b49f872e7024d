/**
 * The store's lock rules as pure functions, shared by every implementation so
 * that SQLite, PostgreSQL and the in-memory fake decide alike. Each backend
 * reads the rows inside its own transaction, asks these functions, and writes.
 * Every `nowMs` here is the store's clock.
 */
import type { Fence, OperationStatus, RunnerLease, StoreResult } from "./store.ts";

/** Statuses after which an operation never acts again. */
export const TERMINAL_STATUSES: readonly OperationStatus[] = ["completed", "rolled_back", "failed", "abandoned"];

/** A waiter not seen for this long (store clock) has stopped retrying and no longer holds its place. */
export const WAITER_STALE_MS = 30_000;

/** True while an operation may still act (not completed, rolled back, failed or abandoned). */
export function isLive(status: OperationStatus): boolean {
  return !TERMINAL_STATUSES.includes(status);
}

/** A failed store result. */
export type StoreFailure = Extract<StoreResult<never>, { ok: false }>;

/** Builds a failed result; `blockedBy` only when given (exact optional properties). */
export function fail(
  code: StoreFailure["code"],
  message: string,
  blockedBy?: NonNullable<StoreFailure["blockedBy"]>,
): StoreFailure {
  return blockedBy === undefined ? { ok: false, code, message } : { ok: false, code, message, blockedBy };
}

/** Builds a successful result. */
export function ok<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value };
}

/** A runner lease row as stored; `holder` null once released (the token is kept so the next grant exceeds it). */
export interface RunnerLeaseRow {
  readonly holder: string | null;
  readonly token: number;
  readonly expiresAtMs: number;
}

/** The lease visible to callers: undefined when never granted or released. */
export function visibleLease(operationId: string, row: RunnerLeaseRow | undefined): RunnerLease | undefined {
  if (row === undefined || row.holder === null) return undefined;
  return { operationId, holder: row.holder, token: row.token, expiresAtMs: row.expiresAtMs };
}

/**
 * Decides a runner-lease request: the current holder renews an unexpired
 * lease (same token); anyone takes a free or expired lease with a greater
 * token; others are refused while it is unexpired.
 */
export function decideRunnerLease(
  operationId: string,
  row: RunnerLeaseRow | undefined,
  holder: string,
  ttlMs: number,
  nowMs: number,
): StoreResult<RunnerLease> {
  const expiresAtMs = nowMs + ttlMs;
  const current = row !== undefined && row.holder !== null && row.expiresAtMs > nowMs ? row : undefined;
  if (current?.holder === holder) return ok({ operationId, holder, token: current.token, expiresAtMs });
  if (current !== undefined) {
    return fail("conflict", `runner lease of ${operationId} is held by ${current.holder} until ${current.expiresAtMs}`);
  }
  return ok({ operationId, holder, token: (row?.token ?? 0) + 1, expiresAtMs });
}

/** Checks a commit's fence: same holder and token, and at least `marginMs` left on the lease. */
export function checkFence(
  operationId: string,
  row: RunnerLeaseRow | undefined,
  fence: Fence,
  nowMs: number,
): StoreFailure | undefined {
  if (row === undefined || row.holder !== fence.holder || row.token !== fence.token) {
    return fail(
      "lease-lost",
      `runner lease of ${operationId} is not held by ${fence.holder} with token ${fence.token}`,
    );
  }
  const remainingMs = row.expiresAtMs - nowMs;
  if (remainingMs < fence.marginMs) {
    return fail(
      "lease-lost",
      `runner lease of ${operationId} has ${remainingMs} ms left, less than the ${fence.marginMs} ms margin`,
    );
  }
  return undefined;
}

/** The operation holding a domain, joined with its plan name. */
export interface DomainHolderRow {
  readonly operationId: string;
  readonly planName: string;
  readonly stage: string;
  readonly sinceMs: number;
}

/** A domain waiter, joined with its operation's plan name and status. */
export interface DomainWaiterRow {
  readonly operationId: string;
  readonly planName: string;
  readonly status: OperationStatus;
  readonly priority: "normal" | "rollback";
  readonly sinceMs: number;
  readonly lastSeenMs: number;
}

/** A waiter keeps its place only while it retries and its operation is live. */
export function isWaiterLive(waiter: DomainWaiterRow, nowMs: number): boolean {
  return isLive(waiter.status) && nowMs - waiter.lastSeenMs < WAITER_STALE_MS;
}

/** Live waiters in the order they will be granted: rollback before normal, then first come first served. */
export function queueOrder(waiters: readonly DomainWaiterRow[], nowMs: number): DomainWaiterRow[] {
  return waiters.filter((w) => isWaiterLive(w, nowMs)).sort(compareWaiters);
}

function compareWaiters(a: { priority: string; sinceMs: number }, b: { priority: string; sinceMs: number }): number {
  return priorityRank(b.priority) - priorityRank(a.priority) || a.sinceMs - b.sinceMs;
}

function priorityRank(priority: string): number {
  return priority === "rollback" ? 1 : 0;
}

/** Outcome of a domain request: `held` (already the holder), `grant`, or `refuse` naming who is in the way. */
export type DomainDecision =
  | { readonly kind: "held" }
  | { readonly kind: "grant" }
  | { readonly kind: "refuse"; readonly failure: StoreFailure };

/**
 * Decides a domain request. The holder is never pre-empted; a free domain
 * goes to the requester only if no live waiter ranks before it (a
 * `rollback` waiter ranks before every `normal` one; equal priorities are
 * served in arrival order).
 */
export function decideDomain(input: {
  readonly domain: string;
  readonly operationId: string;
  readonly priority: "normal" | "rollback";
  readonly holder: DomainHolderRow | undefined;
  readonly waiters: readonly DomainWaiterRow[];
  readonly nowMs: number;
}): DomainDecision {
  const { domain, operationId, holder } = input;
  if (holder?.operationId === operationId) return { kind: "held" };
  if (holder !== undefined) {
    const message = `domain ${domain} is in transition by ${holder.planName} (${holder.operationId}) stage ${holder.stage}`;
    return {
      kind: "refuse",
      failure: fail("domain-busy", message, {
        operationId: holder.operationId,
        planName: holder.planName,
        stage: holder.stage,
      }),
    };
  }
  const own = input.waiters.find((w) => w.operationId === operationId);
  const me = { priority: input.priority, sinceMs: own?.sinceMs ?? input.nowMs };
  const ahead = queueOrder(input.waiters, input.nowMs).find(
    (w) => w.operationId !== operationId && compareWaiters(w, me) < 0,
  );
  if (ahead === undefined) return { kind: "grant" };
  const message = `domain ${domain} is queued: ${ahead.planName} (${ahead.operationId}, ${ahead.priority}) waits ahead`;
  return {
    kind: "refuse",
    failure: fail("domain-busy", message, { operationId: ahead.operationId, planName: ahead.planName }),
  };
}

/** A claim held by another operation. */
export interface ClaimRow {
  readonly claim: string;
  readonly operationId: string;
  readonly planName: string;
}

/** The first claim another operation holds, as a failure; undefined when every claim is free or already ours. */
export function claimConflict(operationId: string, held: readonly ClaimRow[]): StoreFailure | undefined {
  const other = held.find((c) => c.operationId !== operationId);
  if (other === undefined) return undefined;
  return fail("claim-conflict", `${other.claim} is claimed by ${other.planName} (${other.operationId})`, {
    operationId: other.operationId,
    planName: other.planName,
    claim: other.claim,
  });
}

/** Refusal for lock acquisitions by an operation that is (or is becoming) terminal. */
export function terminalAcquireFailure(operationId: string, status: OperationStatus): StoreFailure {
  return fail("conflict", `operation ${operationId} is ${status}; it cannot take a domain or claims`);
}
