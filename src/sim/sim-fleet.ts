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

import { CompletionRings } from "./completion-rings.ts";
import { ACQUIRED, ConnectionPools, POOL_FULL } from "./connection-pools.ts";
import { type FleetCounters, type FleetSample, FleetSeries, zeroCounters } from "./fleet-counters.ts";
import { type FleetSpec, nodeNames } from "./fleet-spec.ts";
import { LatencyHistogram } from "./latency-histogram.ts";
import type { Prng } from "./prng.ts";
import { RequestDurations, shareThreshold, stepsOf } from "./request-durations.ts";
import { WaitQueues } from "./wait-queues.ts";

/** Administrative state codes, as the router knows them. */
export const ADMIN_STATES = ["ready", "drain", "maint"] as const;

/** Simulation time step, ms. */
export const STEP_MS = 100;

const NONE = Number.POSITIVE_INFINITY;

/** The world. Every method is synchronous and deterministic given the PRNG. */
export class SimFleet {
  readonly names: readonly string[];
  readonly index: ReadonlyMap<string, number>;
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
  nowMs: number;
  /** Bumped on every step and state change (caches key on it). */
  version = 0;

  readonly #spec: FleetSpec;
  readonly #prng: Prng;
  readonly #rings: CompletionRings;
  readonly #waits: WaitQueues;
  readonly #nextJobAtMs: Float64Array;
  readonly #durations: RequestDurations;
  readonly #dbShareThreshold: number;
  /** Steps a database request holds its connection; -1: its whole duration. */
  readonly #holdSteps: number;
  /** Queries running on the database (requests holding a connection, jobs). */
  #activeQueries = 0;
  readonly #series = new FleetSeries();

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
    this.#rings = new CompletionRings(n, Math.ceil(spec.traffic.maxDuration / STEP_MS) + 1);
    this.#durations = new RequestDurations(spec.traffic, STEP_MS, this.#rings.slots - 1);
    this.#dbShareThreshold = shareThreshold(spec.traffic.dbShare);
    const { dbHold } = spec.traffic;
    this.#holdSteps = dbHold === "request" ? -1 : Math.round(dbHold / STEP_MS);
    this.#waits = new WaitQueues(n, Math.ceil(spec.pool.acquireTimeout / STEP_MS));
    this.#nextJobAtMs = new Float64Array(n).fill(NONE);
    for (let i = 0; i < legacy.length; i += 1) this.#scheduleJob(i, startMs);
    for (let i = 0; i < legacy.length; i += 1) this.pools.fill(i, startMs);
  }

  /** Per simulated second since counting started. */
  get samples(): readonly FleetSample[] {
    return this.#series.samples;
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
    this.pools.resetCounts();
    this.#series.reset(this.counters, this.pools.total);
  }

  /** From now on, every request in flight counts as started before the current action (see `oldInflight`). */
  mark(): void {
    this.#rings.mark();
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

  /** SIGTERM now (in-flight requests cut at once with `onSigterm: cut`), SIGKILL after `graceMs` unless its work finished first. */
  terminate(i: number, graceMs: number): void {
    if (this.running[i] !== 1) return;
    this.quiesce(i);
    if (this.#spec.nodes.onSigterm === "cut") this.#cutRequests(i);
    this.killAtMs[i] = Math.min(this.killAtMs[i] ?? NONE, this.nowMs + graceMs);
  }

  /** Advances the world by one {@link STEP_MS}. */
  step(): void {
    this.nowMs += STEP_MS;
    this.#rings.advance();
    this.#waits.advance();
    this.version += 1;
    let routableWeight = 0;
    for (let i = 0; i < this.names.length; i += 1) {
      if (this.running[i] !== 1) continue;
      if ((this.inflight[i] ?? 0) + (this.jobs[i] ?? 0) > 0) this.#complete(i);
      const killAt = this.killAtMs[i] ?? NONE;
      if (killAt <= this.nowMs || (killAt < NONE && (this.inflight[i] ?? 0) + (this.jobs[i] ?? 0) === 0)) {
        this.#kill(i);
        continue;
      }
      if (this.quiesced[i] === 0) this.pools.fill(i, this.nowMs);
      if (this.routable(i)) routableWeight += this.weight[i] ?? 0;
    }
    const newSecond = this.nowMs % 1000 === 0;
    if (newSecond) this.pools.sweep((i) => (this.running[i] === 1 ? this.#keepMin(i) : 0));
    this.#arrivals(routableWeight);
    this.#startJobs();
    this.#series.observe(this.counters, this.pools.total, newSecond);
  }

  /** Work of node `i` due now: finished requests and jobs give their connections to waiters, then back to the pool. */
  #complete(i: number): void {
    const rings = this.#rings;
    const k = rings.due(i);
    const fresh = rings.fresh[k] ?? 0;
    const old = rings.old[k] ?? 0;
    if (fresh + old > 0) {
      this.inflight[i] = (this.inflight[i] ?? 0) - fresh - old;
      this.oldInflight[i] = (this.oldInflight[i] ?? 0) - old;
      rings.fresh[k] = 0;
      rings.old[k] = 0;
    }
    const waits = this.#waits;
    if ((waits.waiting[i] ?? 0) > 0) {
      const expired = waits.expire(i);
      if (expired > 0) this.#timeOut(i, expired, waits.expiredOld);
    }
    const requestsDone = rings.release[k] ?? 0;
    const jobsDone = rings.jobEnds[k] ?? 0;
    if (requestsDone + jobsDone === 0) return;
    rings.release[k] = 0;
    rings.jobEnds[k] = 0;
    this.dbInUse[i] = (this.dbInUse[i] ?? 0) - requestsDone;
    this.jobs[i] = (this.jobs[i] ?? 0) - jobsDone;
    this.#activeQueries -= requestsDone + jobsDone;
    let freed = requestsDone + jobsDone;
    while (freed > 0 && (waits.waiting[i] ?? 0) > 0) {
      const waitedSteps = waits.takeOldest(i);
      if (this.#runQuery(i, waits.tookOld ? rings.old : rings.fresh, waitedSteps * STEP_MS)) freed -= 1;
    }
    if (freed > 0) this.pools.release(i, freed, this.#keepMin(i));
  }

  #timeOut(i: number, count: number, old: number): void {
    this.inflight[i] = (this.inflight[i] ?? 0) - count;
    this.oldInflight[i] = (this.oldInflight[i] ?? 0) - old;
    this.counters.poolExhausted += count;
    this.latency.add(this.#spec.pool.acquireTimeout, count);
    this.#fail(i, count);
  }

  /** Fails every request of node `i` in flight (its connections go back to the pool); jobs run on. */
  #cutRequests(i: number): void {
    const cut = this.inflight[i] ?? 0;
    this.counters.killed += cut;
    this.#fail(i, cut);
    const holding = this.dbInUse[i] ?? 0;
    this.#activeQueries -= holding;
    this.pools.release(i, holding, this.#keepMin(i));
    this.#rings.clear(i, true);
    this.#waits.clear(i);
    for (const counts of [this.inflight, this.oldInflight, this.dbInUse]) counts[i] = 0;
  }

  #kill(i: number): void {
    this.#cutRequests(i);
    this.counters.jobsKilled += this.jobs[i] ?? 0;
    this.#activeQueries -= this.jobs[i] ?? 0;
    this.#rings.clear(i);
    this.jobs[i] = 0;
    this.leaked[i] = 0;
    this.pools.closeAll(i);
    this.running[i] = 0;
    this.killAtMs[i] = NONE;
    this.#nextJobAtMs[i] = NONE;
  }

  #fail(i: number, count: number): void {
    this.errorsTotal[i] = (this.errorsTotal[i] ?? 0) + count;
    this.counters.failedRequests += count;
  }

  #arrivals(routableWeight: number): void {
    const perStep = (this.#spec.traffic.requestsPerSecond * STEP_MS) / 1000;
    if (routableWeight === 0) {
      const lost = this.#prng.poisson(perStep);
      this.counters.requests += lost;
      this.counters.noServer += lost;
      this.counters.failedRequests += lost;
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
    const { badRelease } = this.#spec;
    this.requestsTotal[i] = (this.requestsTotal[i] ?? 0) + arrivals;
    this.counters.requests += arrivals;
    const bad = this.bad[i] === 1;
    if (bad) this.counters.badNodeRequests += arrivals;
    let served = arrivals;
    if (bad && badRelease.mode === "errors") {
      const errors = this.#prng.binomial(arrivals, badRelease.errorRate);
      this.counters.releaseErrors += errors;
      this.#fail(i, errors);
      served -= errors;
    }
    const slow = this.#slowFactor(i);
    for (let r = 0; r < served; r += 1) {
      this.inflight[i] = (this.inflight[i] ?? 0) + 1;
      if (this.#prng.uint32() >= this.#dbShareThreshold) {
        this.#schedule(i, this.#rings.fresh, slow, 0);
        continue;
      }
      // A pool serves its queue first: a new request never overtakes one waiting.
      const outcome = (this.#waits.waiting[i] ?? 0) > 0 ? POOL_FULL : this.pools.acquire(i);
      if (outcome === ACQUIRED) {
        if (!this.#runQuery(i, this.#rings.fresh, 0)) this.pools.release(i, 1, this.#keepMin(i));
      } else if (outcome === POOL_FULL && this.#waits.timeoutSteps > 0) this.#waits.enqueue(i);
      else {
        this.inflight[i] = (this.inflight[i] ?? 0) - 1;
        if (outcome === POOL_FULL) this.counters.poolExhausted += 1;
        else this.counters.connectionRefused += 1;
        this.#fail(i, 1);
      }
    }
  }

  /**
   * Runs a request of node `i` that has a connection (already counted in
   * flight) to its end, `waitedMs` after it arrived. Returns whether it
   * keeps the connection past this step: it gives it back after `dbHold`,
   * or never under a leaking release. Queries slow down when the database
   * runs more than `parallelQueries` at once.
   */
  #runQuery(i: number, ring: Int32Array, waitedMs: number): boolean {
    const { badRelease, database } = this.#spec;
    const stretch = this.#activeQueries > database.parallelQueries ? this.#activeQueries / database.parallelQueries : 1;
    const steps = this.#schedule(i, ring, this.#slowFactor(i) * stretch, waitedMs);
    if (this.bad[i] === 1 && badRelease.mode === "pool-leak" && this.#prng.next() < badRelease.leakRate) {
      this.leaked[i] = (this.leaked[i] ?? 0) + 1;
      return true;
    }
    const holdSteps = this.#holdSteps < 0 ? steps : Math.min(steps, this.#holdSteps);
    if (holdSteps === 0) return false;
    this.dbInUse[i] = (this.dbInUse[i] ?? 0) + 1;
    this.#activeQueries += 1;
    const k = this.#rings.ahead(i, holdSteps);
    const release = this.#rings.release;
    release[k] = (release[k] ?? 0) + 1;
    return true;
  }

  /** Connections node `i`'s pool keeps open when idle: its minimum, none once quiesced. */
  #keepMin(i: number): number {
    return this.quiesced[i] === 1 ? 0 : this.#spec.pool.minIdle;
  }

  #slowFactor(i: number): number {
    const { badRelease } = this.#spec;
    return this.bad[i] === 1 && badRelease.mode === "slow" ? badRelease.slowFactor : 1;
  }

  /**
   * Draws a request's duration (times `factor`), books its completion on
   * `ring` for node `i`, counts its latency (`waitedMs` for a connection
   * included) and returns its duration in steps.
   */
  #schedule(i: number, ring: Int32Array, factor: number, waitedMs: number): number {
    const durations = this.#durations;
    const q = durations.draw(this.#prng);
    let steps = durations.steps[q] ?? 1;
    if (factor === 1 && waitedMs === 0) this.latency.addToBucket(durations.bucket[q] ?? 0);
    else {
      const ms = (durations.ms[q] ?? 0) * factor;
      if (factor !== 1) steps = stepsOf(ms, STEP_MS, this.#rings.slots - 1);
      this.latency.add(waitedMs + ms);
    }
    const k = this.#rings.ahead(i, steps);
    ring[k] = (ring[k] ?? 0) + 1;
    return steps;
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
        const k = this.#rings.ahead(i, stepsOf(durationMs, STEP_MS, this.#rings.slots - 1));
        const jobEnds = this.#rings.jobEnds;
        jobEnds[k] = (jobEnds[k] ?? 0) + 1;
        this.jobs[i] = (this.jobs[i] ?? 0) + 1;
        this.#activeQueries += 1;
      }
      this.#nextJobAtMs[i] = atMs;
    }
  }
}
