/** A signal that aborts after a timeout, and the means to stop its timer. */
export interface Deadline {
  readonly signal: AbortSignal;
  /** Stops the timer (call once the work has settled). Idempotent. */
  clear(): void;
}

/**
 * Starts a deadline of `timeoutMs`. Unlike `AbortSignal.timeout`, whose timer
 * (and everything the signal reaches) stays alive for the whole timeout after
 * the work is done, this one is cleared by its owner: a controller observing a
 * thousand targets every two seconds would otherwise carry thousands of dead
 * timers.
 */
export function startDeadline(timeoutMs: number): Deadline {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException("timed out", "TimeoutError")), timeoutMs);
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}
