/**
 * The simulated world: legacy and candidate nodes behind one router, Poisson
 * arrivals split by weight, in-flight work in per-node completion rings
 * (aggregated per time step, never one object per request), per-node
 * connection pools against one database's connection limit (requests queue
 * for a connection up to the pool's acquire timeout; the database refuses a
 * connection above its limit), background jobs, and the bad release's failure
 * mode. Advanced in fixed steps by {@link SimFleet.step}; deterministic for a
 * seed.
 */
import { ACQUIRED, ConnectionPools, POOL_FULL } from "./connection-pools.ts";
import { type FleetSpec, nodeNames } from "./fleet-spec.ts";
import { LatencyHistogram } from "./latency-histogram.ts";
import type { Prng } from "./prng.ts";
import { WaitQueues } from "./wait-queues.ts";

/** Administrative state codes, as the router knows them. */
export const ADMIN_STATES = ["ready", "drain", "maint"] as const;

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

/** One second of the world, for charts. */
export interface FleetSample {
  readonly tS: number;
  readonly requests: number;
  readonly failed: number;
  readonly dbConnections: number;
}

function zeroCounters(): FleetCounters {
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

/** Simulation time step, ms. */
export const STEP_MS = 100;

const NONE = Number.POSITIVE_INFINITY;

/** The world. Every method is synchronous and deterministic given the PRNG. */
export class SimFleet {
  readonly names: readonly string[];
  readonly index: ReadonlyMap<string, number>;
  readonly isCandidate: Uint8Array;
  readonly weight: Int32Array;
  /** Index into {@link ADMIN_STATES}. */
  readonly admin: Uint8Array;
  readonly running: Uint8Array;
  readonly readyAtMs: Float64Array;
  readonly quiesced: Uint8Array;
  readonly bad: Uint8Array;
  readonly killAtMs: Float64Array;
  readonly requestsTotal: Float64Array;
  readonly errorsTotal: Float64Array;
  /** Requests in flight, those waiting for a connection included. */
  readonly inflight: Int32Array;
  /** In-flight requests that started before the last {@link mark}. */
  readonly oldInflight: Int32Array;
  /** Requests holding a connection. */
  readonly dbInUse: Int32Array;
  readonly jobs: Int32Array;
  readonly leaked: Int32Array;
  readonly pools: ConnectionPools;
  readonly counters: FleetCounters = zeroCounters();
  readonly latency = new LatencyHistogram();
  readonly samples: FleetSample[] = [];
  nowMs: number;
  /** Bumped on every step and state change (caches key on it). */
  version = 0;

  readonly #spec: FleetSpec;
  readonly #prng: Prng;
  readonly #slots: number;
  /** Completions per node and step: requests started after / before the last mark, connections, jobs. */
  readonly #fresh: Int32Array;
  readonly #old: Int32Array;
  readonly #release: Int32Array;
  readonly #jobEnds: Int32Array;
  readonly #waits: WaitQueues;
  readonly #nextJobAtMs: Float64Array;
  #slot = 0;
  /** Queries running on the database (requests holding a connection, jobs). */
  #activeQueries = 0;
  #second = { requests: 0, failed: 0, peakDb: 0 };

  /** Legacy nodes start running, ready and at full weight; candidates stopped in `maint`. */
  constructor(spec: FleetSpec, prng: Prng, startMs: number, fullWeight: number, release: "good" | "bad") {
    this.#spec = spec;
    this.#prng = prng;
    const legacy = nodeNames(spec.nodes.legacy);
    const candidate = nodeNames(spec.nodes.candidate);
    this.names = [...legacy, ...candidate];
    this.index = new Map(this.names.map((name, i) => [name, i]));
    const n = this.names.length;
    this.nowMs = startMs;
    this.isCandidate = new Uint8Array(n).fill(1, legacy.length);
    this.weight = new Int32Array(n).fill(fullWeight, 0, legacy.length);
    this.admin = new Uint8Array(n).fill(2, legacy.length);
    this.running = new Uint8Array(n).fill(1, 0, legacy.length);
    this.readyAtMs = new Float64Array(n).fill(startMs);
    this.quiesced = new Uint8Array(n);
    this.bad = new Uint8Array(n);
    if (release === "bad") {
      if (spec.badRelease.nodes === "all") this.bad.fill(1, legacy.length);
      else this.bad[legacy.length] = 1;
    }
    this.killAtMs = new Float64Array(n).fill(NONE);
    this.requestsTotal = new Float64Array(n);
    this.errorsTotal = new Float64Array(n);
    this.inflight = new Int32Array(n);
    this.oldInflight = new Int32Array(n);
    this.dbInUse = new Int32Array(n);
    this.jobs = new Int32Array(n);
    this.leaked = new Int32Array(n);
    this.pools = new ConnectionPools(n, {
      size: spec.pool.size,
      minIdle: spec.pool.minIdle,
      idleTimeoutMs: spec.pool.idleTimeout,
      maxConnections: spec.database.maxConnections,
    });
    this.#slots = Math.ceil(spec.traffic.maxDuration / STEP_MS) + 1;
    this.#fresh = new Int32Array(n * this.#slots);
    this.#old = new Int32Array(n * this.#slots);
    this.#release = new Int32Array(n * this.#slots);
    this.#jobEnds = new Int32Array(n * this.#slots);
    this.#waits = new WaitQueues(n, Math.ceil(spec.pool.acquireTimeout / STEP_MS));
    this.#nextJobAtMs = new Float64Array(n).fill(NONE);
    for (let i = 0; i < legacy.length; i += 1) this.#scheduleJob(i, startMs);
    for (let i = 0; i < legacy.length; i += 1) this.pools.fill(i, spec.pool.minIdle, startMs);
  }

  /** Database connections open now, all nodes together. */
  get dbConnections(): number {
    return this.pools.total;
  }

  /** The most database connections open at once so far (never above `maxConnections`). */
  get peakDbConnections(): number {
    return this.pools.peak;
  }

  /** Whether node `i` takes new requests now. */
  routable(i: number): boolean {
    return (
      this.running[i] === 1 &&
      this.admin[i] === 0 &&
      (this.weight[i] ?? 0) > 0 &&
      this.nowMs >= (this.readyAtMs[i] ?? 0)
    );
  }

  /** HAProxy-style status text of node `i`. */
  status(i: number): string {
    if (this.admin[i] === 2) return "MAINT";
    if (this.running[i] !== 1 || this.nowMs < (this.readyAtMs[i] ?? 0)) return "DOWN";
    return this.admin[i] === 1 ? "DRAIN" : "UP";
  }

  /** Database connections node `i` holds open, idle or in use. */
  openConnections(i: number): number {
    return this.pools.open[i] ?? 0;
  }

  /** The application's own drain report of node `i`: in-flight requests + jobs + open connections. */
  drainReport(i: number): number {
    return (this.inflight[i] ?? 0) + (this.jobs[i] ?? 0) + this.openConnections(i);
  }

  /** Counters, latencies, peaks and the series count from now on (after the warm-up). The routers' per-node counters go on. */
  startCounting(): void {
    Object.assign(this.counters, zeroCounters());
    this.latency.clear();
    this.samples.length = 0;
    this.pools.resetCounts();
    this.#second = { requests: 0, failed: 0, peakDb: this.pools.total };
  }

  /** From now on, every request in flight counts as started before the current action (see `oldInflight`). */
  mark(): void {
    for (let k = 0; k < this.#fresh.length; k += 1) {
      this.#old[k] = (this.#old[k] ?? 0) + (this.#fresh[k] ?? 0);
      this.#fresh[k] = 0;
    }
    this.#waits.mark();
    this.oldInflight.set(this.inflight);
    this.version += 1;
  }

  /** Starts node `i`: healthy after the fleet's startup time, its pool opening. Idempotent while running. */
  provision(i: number): void {
    if (this.running[i] === 1) return;
    this.running[i] = 1;
    this.quiesced[i] = 0;
    this.killAtMs[i] = NONE;
    this.readyAtMs[i] = this.nowMs + this.#spec.nodes.startup;
    this.#scheduleJob(i, this.readyAtMs[i] ?? this.nowMs);
    this.version += 1;
  }

  /** Stop taking jobs and close idle connections (the quiesce hook, or SIGTERM). Idempotent. */
  quiesce(i: number): void {
    this.quiesced[i] = 1;
    this.pools.closeIdle(i, 0);
    this.version += 1;
  }

  /** SIGTERM now, SIGKILL after `graceMs` unless its work finished first. */
  terminate(i: number, graceMs: number): void {
    if (this.running[i] !== 1) return;
    this.quiesce(i);
    this.killAtMs[i] = Math.min(this.killAtMs[i] ?? NONE, this.nowMs + graceMs);
  }

  /** Advances the world by one {@link STEP_MS}. */
  step(): void {
    this.nowMs += STEP_MS;
    this.#slot = (this.#slot + 1) % this.#slots;
    this.#waits.advance();
    this.version += 1;
    const { minIdle } = this.#spec.pool;
    let routableWeight = 0;
    for (let i = 0; i < this.names.length; i += 1) {
      if (this.running[i] !== 1) continue;
      this.#complete(i);
      const killAt = this.killAtMs[i] ?? NONE;
      if (killAt <= this.nowMs || (killAt < NONE && (this.inflight[i] ?? 0) + (this.jobs[i] ?? 0) === 0)) {
        this.#kill(i);
        continue;
      }
      if (this.quiesced[i] === 0) this.pools.fill(i, minIdle, this.nowMs);
      if (this.routable(i)) routableWeight += this.weight[i] ?? 0;
    }
    const newSecond = this.nowMs % 1000 === 0;
    if (newSecond) this.pools.sweep((i) => (this.running[i] === 1 && this.quiesced[i] === 0 ? minIdle : 0));
    this.#arrivals(routableWeight);
    this.#startJobs();
    this.#second.peakDb = Math.max(this.#second.peakDb, this.pools.total);
    if (newSecond) {
      this.samples.push({
        tS: this.samples.length + 1,
        requests: this.#second.requests,
        failed: this.#second.failed,
        dbConnections: this.#second.peakDb,
      });
      this.#second = { requests: 0, failed: 0, peakDb: this.pools.total };
    }
  }

  /** Work of node `i` due now: finished requests and jobs give their connections to waiters, then back to the pool. */
  #complete(i: number): void {
    const k = i * this.#slots + this.#slot;
    const fresh = this.#fresh[k] ?? 0;
    const old = this.#old[k] ?? 0;
    if (fresh + old > 0) {
      this.inflight[i] = (this.inflight[i] ?? 0) - fresh - old;
      this.oldInflight[i] = (this.oldInflight[i] ?? 0) - old;
      this.#fresh[k] = 0;
      this.#old[k] = 0;
    }
    const waits = this.#waits;
    if ((waits.waiting[i] ?? 0) > 0) {
      const expired = waits.expire(i);
      if (expired > 0) this.#timeOut(i, expired, waits.expiredOld);
    }
    const requestsDone = this.#release[k] ?? 0;
    const jobsDone = this.#jobEnds[k] ?? 0;
    if (requestsDone + jobsDone === 0) return;
    this.#release[k] = 0;
    this.#jobEnds[k] = 0;
    this.dbInUse[i] = (this.dbInUse[i] ?? 0) - requestsDone;
    this.jobs[i] = (this.jobs[i] ?? 0) - jobsDone;
    this.#activeQueries -= requestsDone + jobsDone;
    let freed = requestsDone + jobsDone;
    while (freed > 0 && (waits.waiting[i] ?? 0) > 0) {
      const waitedSteps = waits.takeOldest(i);
      this.#runQuery(i, waits.tookOld ? this.#old : this.#fresh, waitedSteps * STEP_MS);
      freed -= 1;
    }
    if (freed > 0) this.pools.release(i, freed, this.quiesced[i] === 1 ? 0 : this.#spec.pool.minIdle);
  }

  #timeOut(i: number, count: number, old: number): void {
    this.inflight[i] = (this.inflight[i] ?? 0) - count;
    this.oldInflight[i] = (this.oldInflight[i] ?? 0) - old;
    this.counters.poolExhausted += count;
    this.latency.add(this.#spec.pool.acquireTimeout, count);
    this.#fail(i, count);
  }

  #kill(i: number): void {
    const cut = this.inflight[i] ?? 0;
    this.counters.killed += cut;
    this.#fail(i, cut);
    this.counters.jobsKilled += this.jobs[i] ?? 0;
    this.#activeQueries -= (this.dbInUse[i] ?? 0) + (this.jobs[i] ?? 0);
    const from = i * this.#slots;
    for (const ring of [this.#fresh, this.#old, this.#release, this.#jobEnds]) ring.fill(0, from, from + this.#slots);
    this.#waits.clear(i);
    for (const counts of [this.inflight, this.oldInflight, this.dbInUse, this.jobs, this.leaked]) counts[i] = 0;
    this.pools.closeAll(i);
    this.running[i] = 0;
    this.killAtMs[i] = NONE;
    this.#nextJobAtMs[i] = NONE;
  }

  #fail(i: number, count: number): void {
    this.errorsTotal[i] = (this.errorsTotal[i] ?? 0) + count;
    this.counters.failedRequests += count;
    this.#second.failed += count;
  }

  #arrivals(routableWeight: number): void {
    const perStep = (this.#spec.traffic.requestsPerSecond * STEP_MS) / 1000;
    if (routableWeight === 0) {
      const lost = this.#prng.poisson(perStep);
      this.counters.requests += lost;
      this.counters.noServer += lost;
      this.counters.failedRequests += lost;
      this.#second.requests += lost;
      this.#second.failed += lost;
      return;
    }
    const perWeight = perStep / routableWeight;
    for (let i = 0; i < this.names.length; i += 1) {
      if (!this.routable(i)) continue;
      const arrivals = this.#prng.poisson(perWeight * (this.weight[i] ?? 0));
      if (arrivals > 0) this.#admit(i, arrivals);
    }
  }

  #admit(i: number, arrivals: number): void {
    const { traffic, badRelease } = this.#spec;
    this.requestsTotal[i] = (this.requestsTotal[i] ?? 0) + arrivals;
    this.counters.requests += arrivals;
    this.#second.requests += arrivals;
    const bad = this.bad[i] === 1;
    if (bad) this.counters.badNodeRequests += arrivals;
    let served = arrivals;
    if (bad && badRelease.mode === "errors") {
      const errors = this.#prng.binomial(arrivals, badRelease.errorRate);
      this.counters.releaseErrors += errors;
      this.#fail(i, errors);
      served -= errors;
    }
    const withDb = this.#prng.binomial(served, traffic.dbShare);
    const slow = this.#slowFactor(i);
    for (let r = 0; r < served - withDb; r += 1) this.#start(i, this.#requestMs() * slow, this.#fresh);
    for (let r = 0; r < withDb; r += 1) {
      // A pool serves its queue first: a new request never overtakes one waiting.
      const outcome = (this.#waits.waiting[i] ?? 0) > 0 ? POOL_FULL : this.pools.acquire(i);
      if (outcome === ACQUIRED) {
        this.inflight[i] = (this.inflight[i] ?? 0) + 1;
        this.#runQuery(i, this.#fresh, 0);
      } else if (outcome === POOL_FULL && this.#waits.timeoutSteps > 0) {
        this.inflight[i] = (this.inflight[i] ?? 0) + 1;
        this.#waits.enqueue(i);
      } else {
        if (outcome === POOL_FULL) this.counters.poolExhausted += 1;
        else this.counters.connectionRefused += 1;
        this.#fail(i, 1);
      }
    }
  }

  #slowFactor(i: number): number {
    const { badRelease } = this.#spec;
    return this.bad[i] === 1 && badRelease.mode === "slow" ? badRelease.slowFactor : 1;
  }

  /**
   * Runs a request of node `i` that holds a connection (already counted in
   * flight) to its end, `waitedMs` after it arrived; a leaking release keeps
   * the connection for ever.
   */
  #runQuery(i: number, ring: Int32Array, waitedMs: number): void {
    const { badRelease, database } = this.#spec;
    const stretch = Math.max(1, this.#activeQueries / database.parallelQueries);
    const durationMs = waitedMs + this.#requestMs() * this.#slowFactor(i) * stretch;
    const slot = this.#schedule(i, durationMs, ring);
    if (this.bad[i] === 1 && badRelease.mode === "pool-leak" && this.#prng.next() < badRelease.leakRate) {
      this.leaked[i] = (this.leaked[i] ?? 0) + 1;
      return;
    }
    this.dbInUse[i] = (this.dbInUse[i] ?? 0) + 1;
    this.#activeQueries += 1;
    const k = i * this.#slots + slot;
    this.#release[k] = (this.#release[k] ?? 0) + 1;
  }

  /** Puts one new request without a connection in flight on node `i`. */
  #start(i: number, durationMs: number, ring: Int32Array): void {
    this.inflight[i] = (this.inflight[i] ?? 0) + 1;
    this.#schedule(i, durationMs, ring);
  }

  /** Counts a request's latency and books its completion `durationMs` from now; returns the ring slot. */
  #schedule(i: number, durationMs: number, ring: Int32Array): number {
    this.latency.add(durationMs);
    const steps = Math.min(this.#slots - 1, Math.max(1, Math.ceil(durationMs / STEP_MS)));
    const slot = (this.#slot + steps) % this.#slots;
    const k = i * this.#slots + slot;
    ring[k] = (ring[k] ?? 0) + 1;
    return slot;
  }

  #requestMs(): number {
    const { duration, longTail } = this.#spec.traffic;
    const spec = longTail !== undefined && this.#prng.next() < longTail.share ? longTail.duration : duration;
    return this.#prng.logNormal(spec.median, spec.sigma);
  }

  #scheduleJob(i: number, fromMs: number): void {
    const perMinute = this.#spec.jobs.perNodePerMinute;
    this.#nextJobAtMs[i] = perMinute > 0 ? fromMs + this.#prng.exponential(60_000 / perMinute) : NONE;
  }

  /** Jobs arrive per node as a Poisson process; each needs a connection at once (leaving one for requests, as the sample service does). */
  #startJobs(): void {
    const { pool, jobs } = this.#spec;
    const maxJobs = Math.max(1, pool.size - 1);
    for (let i = 0; i < this.names.length; i += 1) {
      let atMs = this.#nextJobAtMs[i] ?? NONE;
      if (atMs > this.nowMs) continue;
      if (this.running[i] !== 1 || this.quiesced[i] === 1) {
        this.#nextJobAtMs[i] = NONE;
        continue;
      }
      for (; atMs <= this.nowMs; atMs += this.#prng.exponential(60_000 / jobs.perNodePerMinute)) {
        const free =
          (this.jobs[i] ?? 0) < maxJobs && (this.#waits.waiting[i] ?? 0) === 0 && this.pools.acquire(i) === ACQUIRED;
        if (!free) {
          this.counters.jobsRefused += 1;
          continue;
        }
        const durationMs = this.#prng.logNormal(jobs.duration.median, jobs.duration.sigma);
        const steps = Math.min(this.#slots - 1, Math.max(1, Math.ceil(durationMs / STEP_MS)));
        const k = i * this.#slots + ((this.#slot + steps) % this.#slots);
        this.#jobEnds[k] = (this.#jobEnds[k] ?? 0) + 1;
        this.jobs[i] = (this.jobs[i] ?? 0) + 1;
        this.#activeQueries += 1;
      }
      this.#nextJobAtMs[i] = atMs;
    }
  }
}
