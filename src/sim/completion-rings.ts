/**
 * Work in flight as counts per completion step and node (never one object
 * per request): requests started after and before the last mark,
 * connections they give back, and jobs. Laid out step-major, so one step's
 * completions for every node are contiguous and the next few steps (where
 * most requests end) stay in cache.
 */

/** Rings of `slots` steps for `nodes` nodes. Synchronous, allocation-free per request. */
export class CompletionRings {
  /** Requests started after the last {@link mark}. */
  readonly fresh: Int32Array;
  /** Requests started before the last {@link mark}. */
  readonly old: Int32Array;
  /** Connections given back by requests. */
  readonly release: Int32Array;
  /** Jobs ending (each gives its connection back). */
  readonly jobEnds: Int32Array;
  /** Steps the rings span: a duration is at most `slots - 1` steps. */
  readonly slots: number;
  readonly #nodes: number;
  #slot = 0;

  /** Empty rings. */
  constructor(nodes: number, slots: number) {
    this.#nodes = nodes;
    this.slots = slots;
    this.fresh = new Int32Array(nodes * slots);
    this.old = new Int32Array(nodes * slots);
    this.release = new Int32Array(nodes * slots);
    this.jobEnds = new Int32Array(nodes * slots);
  }

  /** One step of time passes. */
  advance(): void {
    this.#slot = (this.#slot + 1) % this.slots;
  }

  /** Index of node `i`'s entries due now. */
  due(i: number): number {
    return this.#slot * this.#nodes + i;
  }

  /** Index of node `i`'s entries due `steps` (1 to `slots - 1`) from now. */
  ahead(i: number, steps: number): number {
    return ((this.#slot + steps) % this.slots) * this.#nodes + i;
  }

  /** Every request in flight now counts as started before the current action. */
  mark(): void {
    for (let k = 0; k < this.fresh.length; k += 1) {
      this.old[k] = (this.old[k] ?? 0) + (this.fresh[k] ?? 0);
      this.fresh[k] = 0;
    }
  }

  /** Drops node `i`'s requests, and its jobs unless `keepJobs`. */
  clear(i: number, keepJobs = false): void {
    for (let k = i; k < this.fresh.length; k += this.#nodes) {
      this.fresh[k] = 0;
      this.old[k] = 0;
      this.release[k] = 0;
      if (!keepJobs) this.jobEnds[k] = 0;
    }
  }
}
