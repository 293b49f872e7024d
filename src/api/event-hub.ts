/**
 * Wakes event streams when the local controller commits events, so a
 * stream answers at once instead of at its next store poll. Streams still
 * poll the store: events committed by other processes (another controller,
 * `airlock run`) arrive that way.
 */

/** Per-operation wake-ups. */
export class EventHub {
  readonly #waiters = new Map<string, Set<() => void>>();

  /** Wakes everyone waiting on `operationId`. Cheap; safe to call from the runner's `onEvent`. */
  publish(operationId: string): void {
    const waiters = this.#waiters.get(operationId);
    if (waiters === undefined) return;
    this.#waiters.delete(operationId);
    for (const wake of waiters) wake();
  }

  /** Resolves on the next publish for `operationId`, after `timeoutMs`, or when `signal` aborts. Never rejects. */
  wait(operationId: string, timeoutMs: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const waiters = this.#waiters.get(operationId) ?? new Set<() => void>();
      this.#waiters.set(operationId, waiters);
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        waiters.delete(done);
        if (waiters.size === 0 && this.#waiters.get(operationId) === waiters) this.#waiters.delete(operationId);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal.addEventListener("abort", done, { once: true });
      waiters.add(done);
    });
  }
}
