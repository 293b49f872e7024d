/**
 * Median wall time of one `detector.step` (the public, copying API) over a
 * fleet of 10,000 nodes — half legacy with baselines, half candidates — with
 * Poisson traffic at 10 req/s and 2% errors.
 */
import { detector } from "../../src/detect/detector.ts";
import type { DetectorConfig, NodeBaseline, NodeTick } from "../../src/detect/types.ts";
import { PoissonTable, Prng } from "./prng.ts";
import { quantile } from "./summary.ts";

const CONFIG: DetectorConfig = {
  mode: "sequential",
  ratio: 5,
  minDelta: 0.005,
  alpha: 0.001,
  referenceWindowMs: 60_000,
  minRequests: 0,
};

/** Median wall and CPU milliseconds per step. */
export interface StepTiming {
  readonly wallMs: number;
  /** Process CPU time (user + system, all threads): less sensitive to other load on the machine. */
  readonly cpuMs: number;
}

/** Median milliseconds per step for `nodes` nodes, over `measured` ticks after `warmup` ticks. */
export function evaluateStepMs(nodes = 10_000, warmup = 30, measured = 100): StepTiming {
  const rng = new Prng(42);
  const arrivals = new PoissonTable(10);
  const baselines: NodeBaseline[] = [];
  for (let i = 0; i < nodes / 2; i++)
    baselines.push({ node: `n${i}`, requests: 36_000, errors: 700 + Math.floor(rng.uniform() * 40) });
  let state = detector.init(CONFIG, baselines);
  const times: number[] = [];
  const cpuTimes: number[] = [];
  for (let tick = 0; tick < warmup + measured; tick++) {
    const ticks: NodeTick[] = [];
    for (let i = 0; i < nodes; i++) {
      const requests = arrivals.draw(rng.uniform());
      let errors = 0;
      for (let r = 0; r < requests; r++) if (rng.uniform() < 0.02) errors++;
      const candidate = i >= nodes / 2;
      ticks.push({
        node: `n${i}`,
        cohort: candidate ? "candidate" : "legacy",
        changed: candidate,
        requests,
        errors,
        expectsTraffic: true,
      });
    }
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    state = detector.step(state, CONFIG, (tick + 1) * 1000, ticks).state;
    const wall = performance.now() - start;
    const cpu = process.cpuUsage(cpuStart);
    if (tick >= warmup) {
      times.push(wall);
      cpuTimes.push((cpu.user + cpu.system) / 1000);
    }
  }
  return { wallMs: quantile(times, 0.5), cpuMs: quantile(cpuTimes, 0.5) };
}
