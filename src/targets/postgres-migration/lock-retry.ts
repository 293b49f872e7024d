/**
 * Statements under `lock_timeout`, retried with exponential backoff: a DDL
 * statement never queues behind a long transaction (and blocks every query
 * queued behind it); it gives up, waits, and tries again, a bounded number
 * of times.
 */
import { classifyPgError, type PgFailure } from "../../sensors/postgres/pg-connection.ts";

/** Backoff policy in ms. */
export interface RetryPolicy {
  readonly attempts: number;
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
}

/** Outcome of a retried statement; `lockTimeouts` counts the tries that hit `lock_timeout`. */
export type RetryOutcome<T> =
  | { readonly ok: true; readonly value: T; readonly lockTimeouts: number }
  | { readonly ok: false; readonly failure: PgFailure; readonly lockTimeouts: number };

/** Delay before try `attempt` (0-based; 0 has none). Pure. */
export function backoffMs(policy: RetryPolicy, attempt: number): number {
  if (attempt <= 0) return 0;
  return Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** (attempt - 1));
}

/**
 * Runs `work` until it succeeds, fails with anything but `lock-timeout`, or
 * used every attempt. Never rejects. An abort ends the wait early and fails.
 */
export async function withLockRetry<T>(
  work: () => Promise<T>,
  policy: RetryPolicy,
  endpoint: { readonly label: string; readonly secrets: readonly string[] },
  signal: AbortSignal,
): Promise<RetryOutcome<T>> {
  let lockTimeouts = 0;
  for (let attempt = 0; ; attempt += 1) {
    await sleep(backoffMs(policy, attempt), signal);
    if (signal.aborted) {
      return {
        ok: false,
        failure: { code: "timeout", message: `postgres ${endpoint.label}: apply aborted` },
        lockTimeouts,
      };
    }
    try {
      return { ok: true, value: await work(), lockTimeouts };
    } catch (error) {
      const failure = classifyPgError(error, endpoint);
      if (failure.code !== "lock-timeout") return { ok: false, failure, lockTimeouts };
      lockTimeouts += 1;
      if (attempt + 1 >= policy.attempts) return { ok: false, failure, lockTimeouts };
    }
  }
}

/** Resolves after `delayMs`, or at once when `signal` aborts. */
export function sleep(delayMs: number, signal: AbortSignal): Promise<void> {
  if (delayMs <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, delayMs);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
