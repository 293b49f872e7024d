/**
 * Synthetic per-node request streams for one operation of a scenario, tick by
 * tick (1 s). Errors are placed request by request (geometric gaps, redrawn
 * whenever a node's rate changes: the process is memoryless), so the
 * consecutive-5xx peer sees true runs. Typed arrays, no allocation per tick.
 */

import { PoissonTable, type Prng } from "./prng.ts";
import { BASELINE_SECONDS, OPERATION_TICKS, type Scenario } from "./scenarios.ts";

const HEALTHY_MEAN = 0.02;
const HEALTHY_SD = 0.01;
const BURST_RATE = 0.2;
const BURST_TICKS = 10;
const BURST_CHANCE_PER_MINUTE = 0.01;
const BLIP_RATE = 0.15;
const BLIP_TICKS = 30;
const RUN_LENGTH = 5;

/** One operation's fleet: per-op draws, then `advance` once per tick. */
export class FleetStream {
  readonly requests: Float64Array;
  readonly errors: Float64Array;
  /** 1 when the node completed a run of 5 consecutive errors during the tick. */
  readonly runHit: Uint8Array;
  /** 1 for nodes that are faulty now (counted for requests-to-detect). */
  readonly bad: Uint8Array;
  readonly candidate: Uint8Array;
  readonly baselineRequests: Float64Array;
  readonly baselineErrors: Float64Array;
  /** Tick at which the fault started (−1: none yet). */
  onsetTick = -1;
  fleet = 0;
  private readonly opRate: Float64Array;
  private readonly minuteRate: Float64Array;
  private readonly currentRate: Float64Array;
  private readonly countdown: Float64Array;
  private readonly run: Float64Array;
  private readonly burstStart: Float64Array;
  private readonly faultRate: Float64Array;
  private readonly servedRequests: Float64Array;
  private tables: PoissonTable[] = [];
  private blipStart = -1;
  private scenario: Scenario | undefined;

  constructor(
    private readonly rng: Prng,
    maxFleet: number,
  ) {
    this.requests = new Float64Array(maxFleet);
    this.errors = new Float64Array(maxFleet);
    this.runHit = new Uint8Array(maxFleet);
    this.bad = new Uint8Array(maxFleet);
    this.candidate = new Uint8Array(maxFleet);
    this.baselineRequests = new Float64Array(maxFleet);
    this.baselineErrors = new Float64Array(maxFleet);
    this.opRate = new Float64Array(maxFleet);
    this.minuteRate = new Float64Array(maxFleet);
    this.currentRate = new Float64Array(maxFleet);
    this.countdown = new Float64Array(maxFleet);
    this.run = new Float64Array(maxFleet);
    this.burstStart = new Float64Array(maxFleet);
    this.faultRate = new Float64Array(maxFleet);
    this.servedRequests = new Float64Array(maxFleet);
  }

  /** Draws a new operation of `scenario` lasting `ticks` ticks. */
  reset(scenario: Scenario, ticks = OPERATION_TICKS): void {
    const rng = this.rng;
    this.scenario = scenario;
    const n = scenario.fleet;
    this.fleet = n;
    const legacy = Math.floor(n / 2);
    this.tables = [];
    this.onsetTick = scenario.fault.kind === "none" || scenario.fault.kind === "turns-bad" ? -1 : 0;
    this.blipStart = scenario.blip ? Math.floor(rng.uniform() * Math.max(1, ticks - BLIP_TICKS)) : -1;
    for (let i = 0; i < n; i++) {
      const mean = scenario.requestsPerSecond * Math.exp(0.5 * rng.normal());
      this.tables.push(new PoissonTable(mean));
      this.candidate[i] = i >= legacy ? 1 : 0;
      this.opRate[i] =
        i === 0 && scenario.badLegacyRate > 0 ? scenario.badLegacyRate : rng.betaMeanSd(HEALTHY_MEAN, HEALTHY_SD);
      this.faultRate[i] = this.initialFaultRate(scenario, i, legacy);
      this.bad[i] = (this.faultRate[i] ?? 0) > 0 && this.onsetTick === 0 ? 1 : 0;
      this.currentRate[i] = -1;
      this.run[i] = 0;
      this.burstStart[i] = -1e9;
      this.servedRequests[i] = 0;
      this.baselineRequests[i] = 0;
      this.baselineErrors[i] = 0;
      if (i < legacy) this.drawBaseline(i, mean);
    }
  }

  private initialFaultRate(scenario: Scenario, i: number, legacy: number): number {
    const fault = scenario.fault;
    if (fault.kind === "bad-candidates") return i >= legacy && i < legacy + fault.count ? fault.rate : 0;
    if (fault.kind === "cohort") return i >= legacy ? fault.rate : 0;
    return 0;
  }

  private drawBaseline(i: number, meanPerSecond: number): void {
    let requests = 0;
    let errors = 0;
    for (let minute = 0; minute < BASELINE_SECONDS / 60; minute++) {
      const n = this.rng.poisson(meanPerSecond * 60);
      const rate = this.rng.betaMeanSd(this.opRate[i] ?? 0, (this.opRate[i] ?? 0) / 2);
      requests += n;
      errors += this.rng.binomial(n, rate);
    }
    this.baselineRequests[i] = requests;
    this.baselineErrors[i] = errors;
  }

  /** True when node i is bursting at tick `tick`, or stopped less than `afterTicks` before. */
  inBurst(i: number, tick: number, afterTicks = 0): boolean {
    // A burst is drawn at a minute's start for a second within that minute: no errors before it starts.
    const sinceBurst = tick - (this.burstStart[i] ?? 0);
    return sinceBurst >= 0 && sinceBurst < BURST_TICKS + afterTicks;
  }

  private rateAt(i: number, tick: number): number {
    if (this.blipStart >= 0 && tick >= this.blipStart && tick < this.blipStart + BLIP_TICKS) return BLIP_RATE;
    if (this.inBurst(i, tick)) return BURST_RATE;
    const fault = this.faultRate[i] ?? 0;
    return fault > 0 && this.bad[i] === 1 ? fault : (this.minuteRate[i] ?? 0);
  }

  /** Fills requests, errors and runHit for tick `tick` (0-based). */
  advance(tick: number): void {
    const rng = this.rng;
    const scenario = this.scenario;
    if (scenario === undefined) throw new Error("reset first");
    const newMinute = tick % 60 === 0;
    for (let i = 0; i < this.fleet; i++) {
      if (newMinute) {
        const op = this.opRate[i] ?? 0;
        this.minuteRate[i] = rng.betaMeanSd(op, op / 2);
        if (scenario.bursts && rng.uniform() < BURST_CHANCE_PER_MINUTE)
          this.burstStart[i] = tick + Math.floor(rng.uniform() * 60);
      }
      const rate = this.rateAt(i, tick);
      if (rate !== this.currentRate[i]) {
        this.currentRate[i] = rate;
        this.countdown[i] = rng.geometric(rate);
      }
      const n = (this.tables[i] as PoissonTable).draw(rng.uniform());
      let position = this.countdown[i] ?? 0;
      let cursor = 0;
      let errors = 0;
      let run = this.run[i] ?? 0;
      let hit = 0;
      while (position < n) {
        run = position > cursor ? 1 : run + 1;
        if (run >= RUN_LENGTH) hit = 1;
        errors++;
        cursor = position + 1;
        position = cursor + rng.geometric(rate);
      }
      if (n > cursor) run = 0;
      this.countdown[i] = position - n;
      this.run[i] = run;
      this.requests[i] = n;
      this.errors[i] = errors;
      this.runHit[i] = hit;
      this.servedRequests[i] = (this.servedRequests[i] ?? 0) + n;
    }
    this.checkTurn(tick);
  }

  /** turns-bad: the first legacy node fails from the next tick once it has served enough. */
  private checkTurn(tick: number): void {
    const fault = this.scenario?.fault;
    if (fault?.kind !== "turns-bad" || this.onsetTick >= 0) return;
    if ((this.servedRequests[0] ?? 0) < fault.afterRequests) return;
    this.faultRate[0] = fault.rate;
    this.bad[0] = 1;
    this.onsetTick = tick + 1;
  }
}
