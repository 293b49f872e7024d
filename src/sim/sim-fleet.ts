/**
 * The simulated world: legacy and candidate nodes behind one router, Poisson
 * arrivals split by weight, in-flight work in per-node completion rings
 * (aggregated per time step, never one object per request), per-node
 * connection pools against one database's connection limit, background
 * jobs, and the bad release's failure mode. Advanced in fixed steps by
 * {@link SimFleet.step}; deterministic for a seed.
 */
import { type FleetSpec, type LogNormalSpec, nodeNames } from "./fleet-spec.ts";
import { LatencyHistogram } from "./latency-histogram.ts";
import type { Prng } from "./prng.ts";

/** Administrative state codes, as the router knows them. */
export const ADMIN_STATES = ["ready", "drain", "maint"] as const;

/** What failed or was counted since the start, fleet-wide. */
export interface FleetCounters {
  requests: number;
  failedRequests: number;
  /** New database connections refused because the database was at `maxConnections`. */
  connectionRefused: number;
  /** Requests that found their node's pool full. */
  poolExhausted: number;
  /** Requests cut off when their node was stopped. */
  killed: number;
  /** Requests failed by the bad release itself. */
  releaseErrors: number;
  /** Requests that found no routable server. */
  noServer: number;
  jobsKilled: number;
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

/** Simulation time step, ms. */
export const STEP_MS = 100;

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
  readonly inflight: Int32Array;
  /** In-flight requests that started before the last {@link mark}. */
  readonly oldInflight: Int32Array;
  readonly dbInUse: Int32Array;
  readonly jobs: Int32Array;
  readonly leaked: Int32Array;
  readonly counters: FleetCounters = {
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
  readonly latency = new LatencyHistogram();
  readonly samples: FleetSample[] = [];
  peakDbConnections = 0;
  nowMs: number;
  /** Bumped on every step and state change (caches key on it). */
  version = 0;
  dbConnections = 0;

  readonly #spec: FleetSpec;
  readonly #prng: Prng;
  readonly #slots: number;
  readonly #main: Int32Array;
  readonly #old: Int32Array;
  readonly #db: Int32Array;
  readonly #jobRing: Int32Array;
  #slot = 0;
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
    this.killAtMs = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
    this.requestsTotal = new Float64Array(n);
    this.errorsTotal = new Float64Array(n);
    this.inflight = new Int32Array(n);
    this.oldInflight = new Int32Array(n);
    this.dbInUse = new Int32Array(n);
    this.jobs = new Int32Array(n);
    this.leaked = new Int32Array(n);
    this.#slots = Math.ceil(spec.traffic.maxDuration / STEP_MS) + 1;
    this.#main = new Int32Array(n * this.#slots);
    this.#old = new Int32Array(n * this.#slots);
    this.#db = new Int32Array(n * this.#slots);
    this.#jobRing = new Int32Array(n * this.#slots);
    this.dbConnections = this.#countConnections();
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

  /** Connections node `i` holds open: every one in use, and its idle minimum unless quiesced. */
  openConnections(i: number): number {
    if (this.running[i] !== 1) return 0;
    const inUse = (this.dbInUse[i] ?? 0) + (this.jobs[i] ?? 0) + (this.leaked[i] ?? 0);
    return Math.max(this.quiesced[i] === 1 ? 0 : this.#spec.pool.minIdle, inUse);
  }

  /** The application's own drain report of node `i`: in-flight requests + jobs + open connections. */
  drainReport(i: number): number {
    return (this.inflight[i] ?? 0) + (this.jobs[i] ?? 0) + this.openConnections(i);
  }

  /** From now on, every request in flight counts as started before the current action (see `oldInflight`). */
  mark(): void {
    for (let k = 0; k < this.#main.length; k += 1) {
      this.#old[k] = (this.#old[k] ?? 0) + (this.#main[k] ?? 0);
      this.#main[k] = 0;
    }
    this.oldInflight.set(this.inflight);
    this.version += 1;
  }

  /** Starts node `i`: healthy after the fleet's startup time, pool open. Idempotent while running. */
  provision(i: number): void {
    if (this.running[i] === 1) return;
    this.running[i] = 1;
    this.quiesced[i] = 0;
    this.killAtMs[i] = Number.POSITIVE_INFINITY;
    this.readyAtMs[i] = this.nowMs + this.#spec.nodes.startup;
    this.version += 1;
  }

  /** Stop taking jobs and close idle connections (the quiesce hook, or SIGTERM). Idempotent. */
  quiesce(i: number): void {
    this.quiesced[i] = 1;
    this.version += 1;
  }

  /** SIGTERM now, SIGKILL after `graceMs` unless its work finished first. */
  terminate(i: number, graceMs: number): void {
    if (this.running[i] !== 1) return;
    this.quiesce(i);
    this.killAtMs[i] = Math.min(this.killAtMs[i] ?? Number.POSITIVE_INFINITY, this.nowMs + graceMs);
  }

  /** Advances the world by one {@link STEP_MS}. */
  step(): void {
    this.nowMs += STEP_MS;
    this.#slot = (this.#slot + 1) % this.#slots;
    this.version += 1;
    const n = this.names.length;
    for (let i = 0; i < n; i += 1) this.#complete(i);
    for (let i = 0; i < n; i += 1) {
      const killAt = this.killAtMs[i] ?? Number.POSITIVE_INFINITY;
      const idle = (this.inflight[i] ?? 0) + (this.jobs[i] ?? 0) === 0;
      if (this.running[i] === 1 && (killAt <= this.nowMs || (killAt < Number.POSITIVE_INFINITY && idle))) {
        this.#kill(i);
      }
    }
    this.dbConnections = this.#countConnections();
    this.#arrivals();
    this.#startJobs();
    this.peakDbConnections = Math.max(this.peakDbConnections, this.dbConnections);
    this.#second.peakDb = Math.max(this.#second.peakDb, this.dbConnections);
    if (this.nowMs % 1000 === 0) {
      this.samples.push({
        tS: this.samples.length + 1,
        requests: this.#second.requests,
        failed: this.#second.failed,
        dbConnections: this.#second.peakDb,
      });
      this.#second = { requests: 0, failed: 0, peakDb: this.dbConnections };
    }
  }

  #countConnections(): number {
    let total = 0;
    for (let i = 0; i < this.names.length; i += 1) total += this.openConnections(i);
    return total;
  }

  #complete(i: number): void {
    const k = i * this.#slots + this.#slot;
    const fresh = this.#main[k] ?? 0;
    const old = this.#old[k] ?? 0;
    if (fresh + old > 0) {
      this.inflight[i] = (this.inflight[i] ?? 0) - fresh - old;
      this.oldInflight[i] = (this.oldInflight[i] ?? 0) - old;
      this.#main[k] = 0;
      this.#old[k] = 0;
    }
    this.dbInUse[i] = (this.dbInUse[i] ?? 0) - (this.#db[k] ?? 0);
    this.jobs[i] = (this.jobs[i] ?? 0) - (this.#jobRing[k] ?? 0);
    this.#db[k] = 0;
    this.#jobRing[k] = 0;
  }

  #kill(i: number): void {
    const cut = this.inflight[i] ?? 0;
    this.counters.killed += cut;
    this.#fail(i, cut);
    this.counters.jobsKilled += this.jobs[i] ?? 0;
    const from = i * this.#slots;
    for (const ring of [this.#main, this.#old, this.#db, this.#jobRing]) ring.fill(0, from, from + this.#slots);
    for (const counts of [this.inflight, this.oldInflight, this.dbInUse, this.jobs, this.leaked]) counts[i] = 0;
    this.running[i] = 0;
    this.killAtMs[i] = Number.POSITIVE_INFINITY;
  }

  #fail(i: number, count: number): void {
    this.errorsTotal[i] = (this.errorsTotal[i] ?? 0) + count;
    this.counters.failedRequests += count;
    this.#second.failed += count;
  }

  #arrivals(): void {
    const perStep = (this.#spec.traffic.requestsPerSecond * STEP_MS) / 1000;
    let totalWeight = 0;
    for (let i = 0; i < this.names.length; i += 1) if (this.routable(i)) totalWeight += this.weight[i] ?? 0;
    if (totalWeight === 0) {
      const lost = this.#prng.poisson(perStep);
      this.counters.requests += lost;
      this.counters.noServer += lost;
      this.counters.failedRequests += lost;
      this.#second.requests += lost;
      this.#second.failed += lost;
      return;
    }
    let active = 0;
    for (let i = 0; i < this.names.length; i += 1) active += (this.dbInUse[i] ?? 0) + (this.jobs[i] ?? 0);
    const stretch = Math.max(1, active / this.#spec.database.parallelQueries);
    for (let i = 0; i < this.names.length; i += 1) {
      if (!this.routable(i)) continue;
      const arrivals = this.#prng.poisson((perStep * (this.weight[i] ?? 0)) / totalWeight);
      if (arrivals > 0) this.#admit(i, arrivals, stretch);
    }
  }

  #admit(i: number, arrivals: number, stretch: number): void {
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
    const slow = bad && badRelease.mode === "slow" ? badRelease.slowFactor : 1;
    const withDb = this.#prng.binomial(served, traffic.dbShare);
    for (let r = 0; r < served - withDb; r += 1) this.#start(i, this.#requestMs() * slow, this.#main);
    for (let r = 0; r < withDb; r += 1) {
      if (!this.#connect(i)) continue;
      if (bad && badRelease.mode === "pool-leak" && this.#prng.next() < badRelease.leakRate) {
        this.leaked[i] = (this.leaked[i] ?? 0) + 1;
        this.#start(i, this.#requestMs() * slow * stretch, this.#main);
        continue;
      }
      this.dbInUse[i] = (this.dbInUse[i] ?? 0) + 1;
      const slots = this.#start(i, this.#requestMs() * slow * stretch, this.#main);
      const k = i * this.#slots + slots;
      this.#db[k] = (this.#db[k] ?? 0) + 1;
    }
  }

  /** Takes a connection for node `i`: an idle one, else a new one if the pool and the database allow. */
  #connect(i: number, job = false): boolean {
    const inUse = (this.dbInUse[i] ?? 0) + (this.jobs[i] ?? 0) + (this.leaked[i] ?? 0);
    if (inUse < this.openConnections(i)) return true;
    const refusedBy =
      inUse >= this.#spec.pool.size
        ? "poolExhausted"
        : this.dbConnections >= this.#spec.database.maxConnections
          ? "connectionRefused"
          : undefined;
    if (refusedBy === undefined) {
      this.dbConnections += 1;
      this.peakDbConnections = Math.max(this.peakDbConnections, this.dbConnections);
      return true;
    }
    if (job) this.counters.jobsRefused += 1;
    else {
      this.counters[refusedBy] += 1;
      this.#fail(i, 1);
    }
    return false;
  }

  /** Puts one request of `durationMs` in flight on node `i`; returns its completion ring slot. */
  #start(i: number, durationMs: number, ring: Int32Array): number {
    this.latency.add(durationMs);
    const steps = Math.min(this.#slots - 1, Math.max(1, Math.ceil(durationMs / STEP_MS)));
    const slot = (this.#slot + steps) % this.#slots;
    const k = i * this.#slots + slot;
    ring[k] = (ring[k] ?? 0) + 1;
    this.inflight[i] = (this.inflight[i] ?? 0) + 1;
    return slot;
  }

  #requestMs(): number {
    const { duration, longTail } = this.#spec.traffic;
    const spec: LogNormalSpec =
      longTail !== undefined && this.#prng.next() < longTail.share ? longTail.duration : duration;
    return this.#prng.logNormal(spec.median, spec.sigma);
  }

  #startJobs(): void {
    const { perNodePerMinute, duration } = this.#spec.jobs;
    if (perNodePerMinute <= 0) return;
    const mean = (perNodePerMinute * STEP_MS) / 60_000;
    for (let i = 0; i < this.names.length; i += 1) {
      if (this.running[i] !== 1 || this.quiesced[i] === 1 || this.nowMs < (this.readyAtMs[i] ?? 0)) continue;
      const started = this.#prng.poisson(mean);
      for (let j = 0; j < started; j += 1) {
        if (!this.#connect(i, true)) continue;
        const steps = Math.min(
          this.#slots - 1,
          Math.max(1, Math.ceil(this.#prng.logNormal(duration.median, duration.sigma) / STEP_MS)),
        );
        const k = i * this.#slots + ((this.#slot + steps) % this.#slots);
        this.#jobRing[k] = (this.#jobRing[k] ?? 0) + 1;
        this.jobs[i] = (this.jobs[i] ?? 0) + 1;
      }
    }
  }
}
