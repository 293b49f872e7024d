/**
 * Requests queued for a database connection of their node's full pool, as
 * counts per expiry step and node (never one object per request). A queue is
 * first in, first out, and every request in it waits at most the same
 * acquire timeout, so a node's waiters expire in the order they came.
 * Waiters that arrived before the last {@link WaitQueues.mark} are kept
 * apart (the displaced-work count needs them) and are always the oldest.
 */

/** Per-node queues with a timeout of `timeoutSteps` simulation steps. Synchronous, allocation-free per request. */
export class WaitQueues {
  /** Requests waiting per node. */
  readonly waiting: Int32Array;
  /** 0: requests never wait (a full pool fails them at once). */
  readonly timeoutSteps: number;
  /** Whether the waiter {@link takeOldest} returned last arrived before the last mark. */
  tookOld = false;
  /** How many of the waiters {@link expire} returned last arrived before the last mark. */
  expiredOld = 0;

  readonly #size: number;
  readonly #nodes: number;
  readonly #fresh: Int32Array;
  readonly #old: Int32Array;
  #slot = 0;

  /** Empty queues for `nodes` nodes. */
  constructor(nodes: number, timeoutSteps: number) {
    this.timeoutSteps = timeoutSteps;
    this.#size = timeoutSteps + 1;
    this.#nodes = nodes;
    this.waiting = new Int32Array(nodes);
    this.#fresh = new Int32Array(nodes * this.#size);
    this.#old = new Int32Array(nodes * this.#size);
  }

  /** One step of time passes. */
  advance(): void {
    this.#slot = (this.#slot + 1) % this.#size;
  }

  /** Queues one request on node `i`; it expires `timeoutSteps` from now. */
  enqueue(i: number): void {
    const k = ((this.#slot + this.timeoutSteps) % this.#size) * this.#nodes + i;
    this.#fresh[k] = (this.#fresh[k] ?? 0) + 1;
    this.waiting[i] = (this.waiting[i] ?? 0) + 1;
  }

  /** Removes node `i`'s waiters whose timeout ends now; returns how many (of which {@link expiredOld} are old). */
  expire(i: number): number {
    const k = this.#slot * this.#nodes + i;
    const fresh = this.#fresh[k] ?? 0;
    const old = this.#old[k] ?? 0;
    this.#fresh[k] = 0;
    this.#old[k] = 0;
    this.waiting[i] = (this.waiting[i] ?? 0) - fresh - old;
    this.expiredOld = old;
    return fresh + old;
  }

  /**
   * Removes node `i`'s oldest waiter and returns how many steps it waited
   * ({@link tookOld} says whether it arrived before the last mark). Only
   * when `waiting[i]` > 0.
   */
  takeOldest(i: number): number {
    this.waiting[i] = (this.waiting[i] ?? 0) - 1;
    let expiresInSteps = this.#takeFrom(this.#old, i);
    this.tookOld = expiresInSteps > 0;
    if (expiresInSteps === 0) expiresInSteps = this.#takeFrom(this.#fresh, i);
    if (expiresInSteps === 0) throw new Error(`takeOldest: node ${i} has no waiter`);
    return this.timeoutSteps - expiresInSteps;
  }

  /** Takes the waiter of `ring` closest to its timeout; returns the steps it had left, 0 when there is none. */
  #takeFrom(ring: Int32Array, i: number): number {
    for (let s = 1; s <= this.timeoutSteps; s += 1) {
      const k = ((this.#slot + s) % this.#size) * this.#nodes + i;
      const count = ring[k] ?? 0;
      if (count === 0) continue;
      ring[k] = count - 1;
      return s;
    }
    return 0;
  }

  /** Every waiter now counts as arrived before the current action. */
  mark(): void {
    for (let k = 0; k < this.#fresh.length; k += 1) {
      this.#old[k] = (this.#old[k] ?? 0) + (this.#fresh[k] ?? 0);
      this.#fresh[k] = 0;
    }
  }

  /** Drops every waiter of node `i` (its process stopped). */
  clear(i: number): void {
    for (let k = i; k < this.#fresh.length; k += this.#nodes) {
      this.#fresh[k] = 0;
      this.#old[k] = 0;
    }
    this.waiting[i] = 0;
  }
}
