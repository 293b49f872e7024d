/**
 * Every detector the benchmark compares, behind one small interface, all fed
 * the same `FleetStream`. Airlock runs through its real kernels: the first tick
 * goes through `detector.step` (which registers the nodes), later ticks call the
 * kernel in place on the same data — the API would copy the state each tick,
 * which is what `evaluate10kNodesMsMedian` measures separately.
 */
import { detector } from "../../src/detect/detector.ts";
import { nodeIndex } from "../../src/detect/node-registry.ts";
import { advanceRatio, type RatioData } from "../../src/detect/ratio-rule.ts";
import { advanceSequential } from "../../src/detect/sequential-detector.ts";
import type { SequentialData } from "../../src/detect/sequential-state.ts";
import type { TickInput } from "../../src/detect/tick-input.ts";
import type { DetectorConfig, Evidence, NodeBaseline, NodeTick } from "../../src/detect/types.ts";
import type { FleetStream } from "./fleet-stream.ts";

/** Flagged subject meaning "the candidate cohort". */
export const COHORT = -1;

/** One detector under test. */
export interface Contender {
  readonly name: string;
  /** Starts an operation. */
  reset(stream: FleetStream): void;
  /** Feeds tick `tick`; true when it halts now, with `flagged` set. */
  step(tick: number, stream: FleetStream): boolean;
  /** Node indices (or COHORT) behind the halt. */
  readonly flagged: number[];
}

const TICK_MS = 1000;

function nodeName(i: number): string {
  return `n${i}`;
}

/**
 * The columnar input of the fast path (`advanceSequential` / `advanceRatio`)
 * for `stream`'s nodes, mapped to `data`'s registry after the first tick. Its
 * arrays are the stream's own, so it stays valid as the stream advances.
 */
export function tickInputOf(stream: FleetStream, data: SequentialData | RatioData): TickInput {
  const index = nodeIndex(data.registry);
  const mapping = new Float64Array(stream.fleet);
  for (let i = 0; i < stream.fleet; i++) mapping[i] = index.get(nodeName(i)) ?? 0;
  return {
    count: stream.fleet,
    index: mapping,
    requests: stream.requests,
    errors: stream.errors,
    changed: stream.candidate,
    candidate: stream.candidate,
    expectsTraffic: new Uint8Array(stream.fleet).fill(1),
  };
}

function subjectIndex(evidence: Evidence): number {
  return evidence.subject.startsWith("cohort:") ? COHORT : Number(evidence.subject.slice(1));
}

/** Airlock's own detector (either mode). */
class AirlockContender implements Contender {
  readonly flagged: number[] = [];
  private data: SequentialData | RatioData | undefined;
  private input: TickInput | undefined;

  constructor(
    readonly name: string,
    private readonly config: DetectorConfig,
  ) {}

  reset(stream: FleetStream): void {
    const baselines: NodeBaseline[] = [];
    for (let i = 0; i < stream.fleet; i++) {
      if (stream.candidate[i] === 1) continue;
      baselines.push({
        node: nodeName(i),
        requests: stream.baselineRequests[i] ?? 0,
        errors: stream.baselineErrors[i] ?? 0,
      });
    }
    this.data = detector.init(this.config, baselines).data as SequentialData | RatioData;
    this.input = undefined;
  }

  step(tick: number, stream: FleetStream): boolean {
    this.flagged.length = 0;
    const atMs = (tick + 1) * TICK_MS;
    let breaches: readonly Evidence[];
    if (this.input === undefined) {
      const ticks: NodeTick[] = [];
      for (let i = 0; i < stream.fleet; i++) {
        const candidate = stream.candidate[i] === 1;
        ticks.push({
          node: nodeName(i),
          cohort: candidate ? "candidate" : "legacy",
          changed: candidate,
          requests: stream.requests[i] ?? 0,
          errors: stream.errors[i] ?? 0,
          expectsTraffic: true,
        });
      }
      const result = detector.step({ version: 1, data: this.data }, this.config, atMs, ticks);
      this.data = result.state.data as SequentialData | RatioData;
      this.input = tickInputOf(stream, this.data);
      breaches = result.verdict.breaches;
    } else if (this.data?.mode === "ratio") {
      breaches = advanceRatio(this.data, this.config, atMs, this.input, undefined).breaches;
    } else if (this.data !== undefined) {
      breaches = advanceSequential(this.data, this.config, atMs, this.input, undefined).breaches;
    } else throw new Error("reset first");
    for (const evidence of breaches) this.flagged.push(subjectIndex(evidence));
    return this.flagged.length > 0;
  }
}

/** Envoy outlier detection, success-rate flavour: every 10 s, hosts with ≥ 100 requests, ≥ 5 such hosts, eject below mean − 1.9σ. */
class EnvoySuccessRate implements Contender {
  readonly name = "envoy-success-rate";
  readonly flagged: number[] = [];
  private requests = new Float64Array(0);
  private errors = new Float64Array(0);

  reset(stream: FleetStream): void {
    this.requests = new Float64Array(stream.fleet);
    this.errors = new Float64Array(stream.fleet);
  }

  step(tick: number, stream: FleetStream): boolean {
    this.flagged.length = 0;
    const n = stream.fleet;
    for (let i = 0; i < n; i++) {
      this.requests[i] = (this.requests[i] ?? 0) + (stream.requests[i] ?? 0);
      this.errors[i] = (this.errors[i] ?? 0) + (stream.errors[i] ?? 0);
    }
    if (tick % 10 !== 9) return false;
    let hosts = 0;
    let sum = 0;
    let sumSquares = 0;
    for (let i = 0; i < n; i++) {
      const requests = this.requests[i] ?? 0;
      if (requests < 100) continue;
      const successRate = 1 - (this.errors[i] ?? 0) / requests;
      hosts++;
      sum += successRate;
      sumSquares += successRate * successRate;
    }
    if (hosts >= 5) {
      const mean = sum / hosts;
      const sd = Math.sqrt(Math.max(0, sumSquares / hosts - mean * mean));
      for (let i = 0; i < n; i++) {
        const requests = this.requests[i] ?? 0;
        if (requests >= 100 && 1 - (this.errors[i] ?? 0) / requests < mean - 1.9 * sd) this.flagged.push(i);
      }
    }
    this.requests.fill(0);
    this.errors.fill(0);
    return this.flagged.length > 0;
  }
}

/** Halts on the first node with 5 consecutive errors. */
class ConsecutiveErrors implements Contender {
  readonly name = "consecutive-5xx";
  readonly flagged: number[] = [];

  reset(): void {}

  step(_tick: number, stream: FleetStream): boolean {
    this.flagged.length = 0;
    for (let i = 0; i < stream.fleet; i++) if (stream.runHit[i] === 1) this.flagged.push(i);
    return this.flagged.length > 0;
  }
}

const BASE: Omit<DetectorConfig, "mode" | "alpha" | "minRequests"> = {
  ratio: 5,
  minDelta: 0.005,
  referenceWindowMs: 60_000,
};

/** Name of Airlock's sequential detector at `alpha` in the raw results. */
export function airlockName(alpha: number): string {
  return `airlock-sequential@${alpha}`;
}

/** The contenders of one scenario run: Airlock at each alpha, then the peers. */
export function contenders(alphas: readonly number[]): Contender[] {
  return [
    ...alphas.map(
      (alpha) => new AirlockContender(airlockName(alpha), { ...BASE, mode: "sequential", alpha, minRequests: 0 }),
    ),
    new AirlockContender("seed-ratio-min0", { ...BASE, mode: "ratio", alpha: 0.001, minRequests: 0 }),
    new AirlockContender("seed-ratio-min20", { ...BASE, mode: "ratio", alpha: 0.001, minRequests: 20 }),
    new EnvoySuccessRate(),
    new ConsecutiveErrors(),
  ];
}
