/**
 * The injected clock. The engine itself never reads time; the runner asks a
 * Clock, so the same runner works in real time (CLI, server) and in virtual
 * time (tests, simulation, benchmarks).
 */

/** A source of time and sleeping. */
export interface Clock {
  /** Milliseconds since the epoch. */
  nowMs(): number;
  /** Resolves after `ms` of this clock's time, or early (without error) when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Wall-clock time. */
export const realClock: Clock = {
  nowMs: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = setTimeout(done, Math.max(0, ms));
      function done(): void {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      }
      signal?.addEventListener("abort", done, { once: true });
    }),
};

/**
 * Virtual time that only moves when `advance` is called. Sleepers wake in
 * deadline order as time passes them.
 */
export class VirtualClock implements Clock {
  #nowMs: number;
  #sleepers: { wakeAtMs: number; resolve: () => void }[] = [];

  /** Starts at `startMs` (ms since the epoch). */
  constructor(startMs: number) {
    this.#nowMs = startMs;
  }

  /** Current virtual time. */
  nowMs(): number {
    return this.#nowMs;
  }

  /** Resolves when virtual time reaches now + ms (or on abort). */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted || ms <= 0) return resolve();
      const sleeper = { wakeAtMs: this.#nowMs + ms, resolve };
      this.#sleepers.push(sleeper);
      signal?.addEventListener(
        "abort",
        () => {
          this.#sleepers = this.#sleepers.filter((s) => s !== sleeper);
          resolve();
        },
        { once: true },
      );
    });
  }

  /** Moves time forward by `ms`, waking every sleeper whose deadline passed. */
  advance(ms: number): void {
    this.#nowMs += ms;
    const due = this.#sleepers.filter((s) => s.wakeAtMs <= this.#nowMs);
    this.#sleepers = this.#sleepers.filter((s) => s.wakeAtMs > this.#nowMs);
    for (const sleeper of due.sort((a, b) => a.wakeAtMs - b.wakeAtMs)) sleeper.resolve();
  }
}
