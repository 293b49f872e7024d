/**
 * Deterministic crash injection for tests: the runner calls `faults.at(point)`
 * at every boundary that matters for crash safety; a test's injector throws
 * {@link SimulatedCrash} at the chosen one. Production passes no injector.
 */

/** Boundaries where a crash must never skip a gate or apply an action twice (after de-duplication). */
export type FaultPoint = "after-intent" | "after-apply" | "after-applied-event" | "while-sealing";

/** A crash-injection hook. */
export interface FaultInjector {
  /** Called at each boundary; throw {@link SimulatedCrash} to crash there. */
  at(point: FaultPoint): void;
}

/** Thrown by test injectors; the runner lets it escape without cleanup, like a SIGKILL. */
export class SimulatedCrash extends Error {
  /** @param point where the crash was injected */
  constructor(readonly point: FaultPoint) {
    super(`simulated crash at ${point}`);
    this.name = "SimulatedCrash";
  }
}
