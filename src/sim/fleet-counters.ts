/**
 * What the simulated world counts: fleet-wide counters since the start of
 * counting, and a per-second series of them for charts.
 */

/** What failed or was counted since the start, fleet-wide. */
export interface FleetCounters {
  requests: number;
  failedRequests: number;
  /** Requests whose new database connection was refused because the database was at `maxConnections`. */
  connectionRefused: number;
  /** Requests that waited for a connection of their node's full pool longer than its acquire timeout. */
  poolExhausted: number;
  /** Requests cut off when their node was stopped. */
  killed: number;
  /** Requests failed by the bad release itself. */
  releaseErrors: number;
  /** Requests that found no routable server. */
  noServer: number;
  jobsKilled: number;
  /** Jobs not started because no connection was free (pool full, or refused by the database). */
  jobsRefused: number;
  /** Requests served (successfully or not) by nodes running the bad release. */
  badNodeRequests: number;
}

/** Every counter at 0. */
export function zeroCounters(): FleetCounters {
  return {
    requests: 0,
    failedRequests: 0,
    connectionRefused: 0,
    poolExhausted: 0,
    killed: 0,
    releaseErrors: 0,
    noServer: 0,
    jobsKilled: 0,
    jobsRefused: 0,
    badNodeRequests: 0,
  };
}

/** One second of the world, for charts. */
export interface FleetSample {
  readonly tS: number;
  readonly requests: number;
  readonly failed: number;
  /** The most database connections open at the end of a step in this second. */
  readonly dbConnections: number;
}

/** Per-second samples, taken from the cumulative counters (nothing is counted twice on the hot path). */
export class FleetSeries {
  readonly samples: FleetSample[] = [];
  #requests = 0;
  #failed = 0;
  #peakDb = 0;

  /** Starts the series over from `counters` now. */
  reset(counters: FleetCounters, dbConnections: number): void {
    this.samples.length = 0;
    this.#requests = counters.requests;
    this.#failed = counters.failedRequests;
    this.#peakDb = dbConnections;
  }

  /** Called at the end of every step; closes the current second's sample when `secondEnded`. */
  observe(counters: FleetCounters, dbConnections: number, secondEnded: boolean): void {
    if (dbConnections > this.#peakDb) this.#peakDb = dbConnections;
    if (!secondEnded) return;
    this.samples.push({
      tS: this.samples.length + 1,
      requests: counters.requests - this.#requests,
      failed: counters.failedRequests - this.#failed,
      dbConnections: this.#peakDb,
    });
    this.#requests = counters.requests;
    this.#failed = counters.failedRequests;
    this.#peakDb = dbConnections;
  }
}
