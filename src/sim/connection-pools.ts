/**
 * Every node's database connection pool against one database's connection
 * limit, as counts per node (never one object per connection). A pool opens
 * a connection only when the database has room (PostgreSQL refuses one above
 * `max_connections`), keeps its idle minimum while the node runs and has not
 * been quiesced (a refused idle connection is retried {@link MIN_IDLE_RETRY_MS}
 * later, as a real pool's filler does), and closes connections left idle for
 * the idle timeout (pg-pool's `idleTimeoutMillis`: with last-in-first-out
 * reuse, a pool keeps as many as it needed at once during that window).
 */

/** How long a pool waits before it retries opening an idle connection the database refused. */
export const MIN_IDLE_RETRY_MS = 1000;

/** Outcome of {@link ConnectionPools.acquire}: a connection, the pool at its size, or the database's refusal. */
export const ACQUIRED = 0;
/** The pool has `size` connections, all in use. */
export const POOL_FULL = 1;
/** The database is at `maxConnections`. */
export const REFUSED = 2;

/** Pool settings, counts and ms. */
export interface PoolSettings {
  readonly size: number;
  readonly minIdle: number;
  /** 0: an idle connection above the minimum closes when it is released. */
  readonly idleTimeoutMs: number;
  readonly maxConnections: number;
}

/** The pools of `nodes` nodes. Synchronous and deterministic. */
export class ConnectionPools {
  /** Connections open per node (idle and in use). */
  readonly open: Int32Array;
  /** Connections in use per node (requests, jobs, leaked). Never above `open`. */
  readonly busy: Int32Array;
  /** Connections open on the database, all nodes together; never above `maxConnections`. */
  total = 0;
  /** Highest {@link total} so far. */
  peak = 0;
  /** Idle connections the database refused (each retried later). */
  idleRefused = 0;

  readonly #settings: PoolSettings;
  readonly #retryAtMs: Float64Array;
  /** Per node, the most connections in use at once in each of the last `#windowS` seconds. */
  readonly #busyPeaks: Int32Array;
  readonly #secondPeak: Int32Array;
  readonly #windowS: number;
  #second = 0;

  /** Every pool empty. */
  constructor(nodes: number, settings: PoolSettings) {
    this.#settings = settings;
    this.open = new Int32Array(nodes);
    this.busy = new Int32Array(nodes);
    this.#retryAtMs = new Float64Array(nodes);
    this.#windowS = Math.ceil(settings.idleTimeoutMs / 1000);
    this.#busyPeaks = new Int32Array(nodes * Math.max(1, this.#windowS));
    this.#secondPeak = new Int32Array(nodes);
  }

  /** Counts peaks and refusals from now on. */
  resetCounts(): void {
    this.peak = this.total;
    this.idleRefused = 0;
  }

  /** Takes a connection on node `i`: an idle one, else a new one if the pool's size and the database allow. */
  acquire(i: number): number {
    const open = this.open[i] ?? 0;
    const busy = (this.busy[i] ?? 0) + 1;
    if (busy > open) {
      if (open >= this.#settings.size) return POOL_FULL;
      if (this.total >= this.#settings.maxConnections) return REFUSED;
      this.open[i] = open + 1;
      this.total += 1;
      if (this.total > this.peak) this.peak = this.total;
    }
    this.busy[i] = busy;
    if (busy > (this.#secondPeak[i] ?? 0)) this.#secondPeak[i] = busy;
    return ACQUIRED;
  }

  /** Whether node `i` has an idle connection now. */
  hasIdle(i: number): boolean {
    return (this.busy[i] ?? 0) < (this.open[i] ?? 0);
  }

  /** Gives `count` connections of node `i` back, idle; a quiesced node (`keepMin` 0) closes them. */
  release(i: number, count: number, keepMin: number): void {
    this.busy[i] = (this.busy[i] ?? 0) - count;
    if (keepMin === 0 || this.#windowS === 0) this.closeIdle(i, keepMin);
  }

  /** Opens node `i`'s missing idle minimum where the database has room; a refusal is retried later. */
  fill(i: number, nowMs: number): void {
    const { minIdle } = this.#settings;
    let open = this.open[i] ?? 0;
    if (open >= minIdle || nowMs < (this.#retryAtMs[i] ?? 0)) return;
    const max = this.#settings.maxConnections;
    for (; open < minIdle; open += 1) {
      if (this.total >= max) {
        this.idleRefused += 1;
        this.#retryAtMs[i] = nowMs + MIN_IDLE_RETRY_MS;
        break;
      }
      this.total += 1;
    }
    this.open[i] = open;
    if (this.total > this.peak) this.peak = this.total;
  }

  /**
   * Once per simulated second: closes the connections each node has not
   * needed for the idle timeout, down to `keepMin(i)`.
   */
  sweep(keepMin: (i: number) => number): void {
    const window = this.#windowS;
    if (window === 0) return;
    const column = this.#second;
    this.#second = (column + 1) % window;
    for (let i = 0; i < this.open.length; i += 1) {
      const base = i * window;
      this.#busyPeaks[base + column] = this.#secondPeak[i] ?? 0;
      const busy = this.busy[i] ?? 0;
      this.#secondPeak[i] = busy;
      if ((this.open[i] ?? 0) <= busy) continue;
      let needed = busy;
      for (let s = 0; s < window; s += 1) needed = Math.max(needed, this.#busyPeaks[base + s] ?? 0);
      this.closeIdle(i, Math.max(keepMin(i), needed));
    }
  }

  /** Closes every connection of node `i` (the process stopped). */
  closeAll(i: number): void {
    this.total -= this.open[i] ?? 0;
    this.open[i] = 0;
    this.busy[i] = 0;
    this.#secondPeak[i] = 0;
    const window = this.#windowS;
    this.#busyPeaks.fill(0, i * window, (i + 1) * window);
  }

  /** Closes node `i`'s idle connections above `keep` open (never one in use). Idempotent. */
  closeIdle(i: number, keep: number): void {
    const open = this.open[i] ?? 0;
    const target = Math.max(keep, this.busy[i] ?? 0);
    if (open <= target) return;
    this.open[i] = target;
    this.total -= open - target;
  }
}
