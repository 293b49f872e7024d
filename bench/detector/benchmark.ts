/**
 * The detector benchmark of issue 3: every scenario's operations, split into
 * chunks run on worker threads (or in process), then the 10k-node timing.
 */
import { cpus, loadavg } from "node:os";
import { Worker } from "node:worker_threads";
import { evaluateStepMs } from "./evaluate-speed.ts";
import { OPERATION_TICKS, type Scenario, scenarios } from "./scenarios.ts";
import { simulate, type Tally } from "./simulate.ts";
import { type DetectorFigures, detectorFigures, quantile, type RawResults } from "./summary.ts";
import type { Chunk } from "./worker.ts";

/** Options of one benchmark run. */
export interface BenchmarkOptions {
  /** Multiplies operation counts (1: the counts). */
  readonly scale: number;
  /** Worker threads; 0 runs in process. */
  readonly workers: number;
  /** Operation length in ticks (the issue: 1800). */
  readonly ticks: number;
  /** Nodes of the timing fleet (the issue: 10,000). */
  readonly timingNodes: number;
  /** Keep only scenarios whose key passes (default: all). */
  readonly only?: (scenario: Scenario) => boolean;
  /** Called after each chunk with (done, total). */
  readonly progress?: (done: number, total: number) => void;
}

/** Everything the results file holds. */
export interface BenchmarkResults {
  readonly detectors: Record<string, DetectorFigures>;
  readonly evaluate10kNodesMsMedian: number;
  readonly evaluate10kNodesCpuMsMedian: number;
  /** 1-minute load average when the timing ran (the machine is shared). */
  readonly loadAverageAtTiming: number;
  /** 1-minute load averages sampled once a minute during the whole run (min, median, max). */
  readonly loadAverageDuringRun: { readonly min: number; readonly median: number; readonly max: number };
  readonly timingNodes: number;
  readonly machine: { readonly cpu: string; readonly cores: number; readonly node: string };
  readonly options: { readonly scale: number; readonly ticks: number };
  readonly elapsedSeconds: number;
}

function merge(into: Tally, from: Tally): void {
  into.operations += from.operations;
  into.falseHalts += from.falseHalts;
  into.detections += from.detections;
  into.detectedWithin5Min += from.detectedWithin5Min;
  into.requestsToDetect.push(...from.requestsToDetect);
  into.secondsToDetect.push(...from.secondsToDetect);
}

function chunksOf(list: readonly Scenario[], scale: number, ticks: number, parts: number): Chunk[] {
  const chunks: Chunk[] = [];
  for (const scenario of list) {
    const size = Math.max(1, Math.ceil(scenario.operations / parts));
    for (let first = 0; first < scenario.operations; first += size) {
      chunks.push({ key: scenario.key, scale, first, count: Math.min(size, scenario.operations - first), ticks });
    }
  }
  // Big chunks first keeps the two workers busy until the end.
  return chunks.sort((a, b) => b.count * fleetOf(list, b.key) - a.count * fleetOf(list, a.key));
}

function fleetOf(list: readonly Scenario[], key: string): number {
  return list.find((s) => s.key === key)?.fleet ?? 1;
}

// Node 20 does not hand tsx's loader to worker threads: the worker registers it itself.
const WORKER_BOOT = `import("tsx/esm/api").then(({ register }) => { register(); return import(${JSON.stringify(
  new URL("./worker.ts", import.meta.url).href,
)}); });`;

async function runChunks(chunks: Chunk[], list: readonly Scenario[], options: BenchmarkOptions): Promise<RawResults> {
  const raw: RawResults = new Map();
  const add = (key: string, tallies: Record<string, Tally>): void => {
    const into = raw.get(key);
    if (into === undefined) raw.set(key, tallies);
    else {
      for (const [name, tally] of Object.entries(tallies)) {
        const existing = into[name];
        if (existing === undefined) into[name] = tally;
        else merge(existing, tally);
      }
    }
  };
  let done = 0;
  if (options.workers === 0) {
    for (const chunk of chunks) {
      const scenario = list.find((s) => s.key === chunk.key);
      if (scenario !== undefined) add(chunk.key, simulate(scenario, chunk.first, chunk.count, chunk.ticks));
      options.progress?.(++done, chunks.length);
    }
    return raw;
  }
  const queue = [...chunks];
  const workers = Array.from({ length: options.workers }, () => new Worker(WORKER_BOOT, { eval: true }));
  try {
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            const next = (): void => {
              const chunk = queue.shift();
              if (chunk === undefined) resolve();
              else worker.postMessage(chunk);
            };
            worker.on("message", (message: { key: string; tallies: Record<string, Tally> }) => {
              add(message.key, message.tallies);
              options.progress?.(++done, chunks.length);
              next();
            });
            worker.on("error", reject);
            next();
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
  return raw;
}

/** Runs the benchmark. */
export async function runBenchmark(options: BenchmarkOptions): Promise<BenchmarkResults> {
  const started = performance.now();
  const loads = [loadavg()[0] ?? 0];
  const sampler = setInterval(() => loads.push(loadavg()[0] ?? 0), 60_000);
  const list = scenarios(options.scale).filter(options.only ?? (() => true));
  const chunks = chunksOf(list, options.scale, options.ticks, Math.max(1, options.workers) * 4);
  const raw = await runChunks(chunks, list, options).finally(() => clearInterval(sampler));
  const timing = evaluateStepMs(options.timingNodes);
  const load = loadavg()[0] ?? 0;
  const cpu = cpus();
  return {
    detectors: detectorFigures(list, raw),
    evaluate10kNodesMsMedian: timing.wallMs,
    evaluate10kNodesCpuMsMedian: timing.cpuMs,
    loadAverageAtTiming: load,
    loadAverageDuringRun: { min: Math.min(...loads), median: quantile(loads, 0.5), max: Math.max(...loads) },
    timingNodes: options.timingNodes,
    machine: { cpu: cpu[0]?.model ?? "unknown", cores: cpu.length, node: process.version },
    options: { scale: options.scale, ticks: options.ticks },
    elapsedSeconds: (performance.now() - started) / 1000,
  };
}

export { OPERATION_TICKS };
