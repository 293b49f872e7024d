/**
 * Requests held open on purpose until released: the demo's and the tests'
 * long-lived requests ("a request in flight on this server").
 */

/** How a held request ended. */
export type HoldOutcome = "released" | "expired" | "aborted";

/** Held requests by key. */
export class HoldRegistry {
  private readonly held = new Map<string, () => void>();

  /**
   * Hold until {@link release} is called with `key`, `maxMs` passes, or
   * `signal` aborts. A second hold with a key already held ends the first.
   */
  hold(key: string, maxMs: number, signal: AbortSignal): Promise<HoldOutcome> {
    this.held.get(key)?.();
    if (signal.aborted) return Promise.resolve("aborted");
    return new Promise((resolve) => {
      const finish = (outcome: HoldOutcome): void => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        if (this.held.get(key) === release) this.held.delete(key);
        resolve(outcome);
      };
      const release = (): void => finish("released");
      const onAbort = (): void => finish("aborted");
      const timer = setTimeout(() => finish("expired"), maxMs);
      signal.addEventListener("abort", onAbort, { once: true });
      this.held.set(key, release);
    });
  }

  /** Release the request held under `key`. Returns whether one was held. Idempotent. */
  release(key: string): boolean {
    const release = this.held.get(key);
    release?.();
    return release !== undefined;
  }

  /** Keys held now. */
  keys(): readonly string[] {
    return [...this.held.keys()];
  }

  /** Release every held request. */
  releaseAll(): void {
    for (const release of [...this.held.values()]) release();
  }
}
