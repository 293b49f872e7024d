/**
 * The checks of `Store.commit`, in their fixed order, as one pure function.
 * Each backend reads a snapshot of the rows inside its transaction (after
 * taking whatever locks it needs), calls `checkCommit`, and writes only when
 * it passes. The single write a refused commit makes is the waiter row.
 */
import {
  type ClaimRow,
  checkFence,
  claimConflict,
  type DomainHolderRow,
  type DomainWaiterRow,
  decideDomain,
  fail,
  isLive,
  type RunnerLeaseRow,
  type StoreFailure,
  terminalAcquireFailure,
} from "./rules.ts";
import type { CommitRequest, OperationStatus } from "./store.ts";

/** The rows a commit's checks read, as of inside the backend's transaction. */
export interface CommitSnapshot {
  readonly version: number;
  readonly status: OperationStatus;
  readonly lease: RunnerLeaseRow | undefined;
  /** Holder of `locks.acquireDomain.domain`, when the request acquires a domain. */
  readonly domainHolder?: DomainHolderRow | undefined;
  /** Waiters of that domain, when the request acquires a domain. */
  readonly domainWaiters?: readonly DomainWaiterRow[];
  /** Current holders of the requested claims (any operation, including this one). */
  readonly claimHolders?: readonly ClaimRow[];
}

/** A waiter row to insert or refresh. */
export interface WaiterWrite {
  readonly domain: string;
  readonly operationId: string;
  readonly priority: "normal" | "rollback";
  /** Kept from the existing row, so a waiter keeps its place while it retries. */
  readonly sinceMs: number;
  readonly lastSeenMs: number;
}

/** Outcome: pass, or a failure, possibly with the waiter row to record. */
export type CommitCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly failure: StoreFailure; readonly waiter?: WaiterWrite };

/**
 * Checks, in order: fence (lease held with margin), version, no lock
 * acquisition by an ending operation, domain grant (a refusal queues the
 * requester), claims free. Pure; `nowMs` is the store clock.
 */
export function checkCommit(request: CommitRequest, snapshot: CommitSnapshot, nowMs: number): CommitCheck {
  const id = request.operationId;
  const fenceFailure = checkFence(id, snapshot.lease, request.fence, nowMs);
  if (fenceFailure !== undefined) return { ok: false, failure: fenceFailure };
  if (snapshot.version !== request.expectedVersion) {
    const message = `operation ${id} is at version ${snapshot.version}, not ${request.expectedVersion}`;
    return { ok: false, failure: fail("version-conflict", message) };
  }
  const locks = request.locks ?? {};
  const acquiring = locks.acquireDomain !== undefined || (locks.acquireClaims?.length ?? 0) > 0;
  const endingStatus = [snapshot.status, request.status].find((status) => !isLive(status));
  if (acquiring && endingStatus !== undefined) return { ok: false, failure: terminalAcquireFailure(id, endingStatus) };
  if (locks.acquireDomain !== undefined) {
    const { domain, priority } = locks.acquireDomain;
    const waiters = snapshot.domainWaiters ?? [];
    const decision = decideDomain({ domain, operationId: id, priority, holder: snapshot.domainHolder, waiters, nowMs });
    if (decision.kind === "refuse") {
      const sinceMs = waiters.find((w) => w.operationId === id)?.sinceMs ?? nowMs;
      return {
        ok: false,
        failure: decision.failure,
        waiter: { domain, operationId: id, priority, sinceMs, lastSeenMs: nowMs },
      };
    }
  }
  const claimFailure = claimConflict(id, snapshot.claimHolders ?? []);
  return claimFailure === undefined ? { ok: true } : { ok: false, failure: claimFailure };
}
