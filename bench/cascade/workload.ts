/**
 * The cascade benchmark's workload and fleet, in one place: every run of
 * every strategy uses these numbers, the peers' timer settings are derived
 * from them (`drain-time.ts`), and `fleet-cascade.yaml` describes the same
 * world to the simulator.
 */

/** Fleet, traffic, database and timing of the benchmark. All durations in ms. */
export const WORKLOAD = {
  /** Legacy (`v1-0` …) and candidate (`v2-0` …) sample-service processes; the simulator's naming. */
  legacyNodes: 4,
  candidateNodes: 4,
  /** Open-loop load through the router, requests per second, held whatever the latency. */
  ratePerSecond: 160,
  /** Log-normal latency of an ordinary request. */
  latencyMs: { median: 10, p99: 40 },
  /** Share of requests that are long (reports, exports), and how long they take. */
  longRequestShare: 0.005,
  longRequestMs: 6000,
  /** Every request runs inside the database, holding one pooled connection for its whole duration. */
  dbHoldShare: 1,
  /** A background job starts every `intervalMs` on each node and holds a connection for `durationMs`. */
  jobs: { intervalMs: 2000, durationMs: 3000 },
  /** Fixed-size pool per node (HikariCP's default: minimumIdle = maximumPoolSize), opened at start. */
  poolSize: 8,
  /** PostgreSQL `max_connections`: legacy alone (32) fits with headroom; legacy + all candidates (64) does not. */
  maxConnections: 55,
  /** PostgreSQL's default `superuser_reserved_connections`. */
  superuserReserved: 3,
  /** Superuser connections of the benchmark itself: the DB sampler and Airlock's `postgres` sensor. */
  monitoringConnections: 2,
  /** Candidates provisioned per batch (Airlock) and the weight steps every strategy uses. */
  batchSize: 2,
  weightSteps: [50, 100],
  /** The bad release: this candidate fails this share of its requests. */
  badNode: "v2-0",
  badErrorRate: 0.5,
  /** Load before the rollout starts, so long requests and jobs are in their steady state. */
  warmUpMs: 7000,
  /** Failures and latency are counted over this window from the rollout's start (longer if the rollout is). */
  windowMs: 50_000,
  /** Load after a rollout that outlasts the window. */
  tailMs: 3000,
  /** Requests without an answer after this long count as failed (`timeout`). */
  requestTimeoutMs: 15_000,
} as const;

/** The workload's type. */
export type Workload = typeof WORKLOAD;

/** Connections the application may open: `max_connections` minus the reserved and the benchmark's own. */
export function appConnectionSlots(workload: Workload): number {
  return workload.maxConnections - workload.superuserReserved - workload.monitoringConnections;
}

/** Node names of the fleet, the simulator's way (prefix + index). Pure. */
export function nodeNamesOf(workload: Workload): { readonly legacy: string[]; readonly candidate: string[] } {
  const names = (prefix: string, count: number): string[] => Array.from({ length: count }, (_, i) => `${prefix}${i}`);
  return { legacy: names("v1-", workload.legacyNodes), candidate: names("v2-", workload.candidateNodes) };
}
