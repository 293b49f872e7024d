/**
 * `npx tsx bench/detector/diagnose.ts <scenario-key> <operations> <alpha> [first-operation]`:
 * runs Airlock's sequential detector alone on the benchmark's streams of one
 * scenario (same seeds as the benchmark) and tallies its halts by test
 * (changed node, untouched node, cohort), by component (the SPRT from the first
 * tick or a late start) and by whether the node was bursting — which test makes
 * the false halts or the slow detections. VERBOSE=1 prints every halt.
 * A tuning aid: read-only, deterministic, safe to rerun.
 */
import { detector } from "../../src/detect/detector.ts";
import { nodeIndex } from "../../src/detect/node-registry.ts";
import { advanceSequential } from "../../src/detect/sequential-detector.ts";
import type { SequentialData } from "../../src/detect/sequential-state.ts";
import type { TickInput } from "../../src/detect/tick-input.ts";
import type { DetectorConfig, Evidence, NodeBaseline, NodeTick } from "../../src/detect/types.ts";
import { tickInputOf } from "./contenders.ts";
import { FleetStream } from "./fleet-stream.ts";
import { Prng } from "./prng.ts";
import { OPERATION_TICKS, scenarios } from "./scenarios.ts";
import { operationSeed } from "./simulate.ts";
import { quantile } from "./summary.ts";

const [key = "burst/n=20", operationsText = "300", alphaText = "0.01", firstText = "0"] = process.argv.slice(2);
const scenario = scenarios(1).find((s) => s.key === key);
if (scenario === undefined) throw new Error(`unknown scenario ${key}`);
const config: DetectorConfig = {
  mode: "sequential",
  ratio: 5,
  minDelta: 0.005,
  referenceWindowMs: 60_000,
  alpha: Number(alphaText),
  minRequests: 0,
};
const verbose = process.env.VERBOSE === "1";
const labels = new Map<string, number>();
const requestsToDetect: number[] = [];

/** Which component of the detector carries a breach's evidence. */
function component(data: SequentialData, breach: Evidence): string {
  if (breach.test === "cohort") return breach.requests < (data.cohortCounts[0] ?? 0) ? "late" : "start";
  const i = nodeIndex(data.registry).get(breach.subject) ?? 0;
  return breach.requests < (data.bank.requests[i] ?? 0) ? "late" : "start";
}

function firstTick(stream: FleetStream, data: SequentialData): { data: SequentialData; breaches: readonly Evidence[] } {
  const ticks: NodeTick[] = [];
  for (let i = 0; i < stream.fleet; i++) {
    const candidate = stream.candidate[i] === 1;
    ticks.push({
      node: `n${i}`,
      cohort: candidate ? "candidate" : "legacy",
      changed: candidate,
      requests: stream.requests[i] ?? 0,
      errors: stream.errors[i] ?? 0,
      expectsTraffic: true,
    });
  }
  const result = detector.step({ version: 1, data }, config, 1000, ticks);
  return { data: result.state.data as SequentialData, breaches: result.verdict.breaches };
}

const first = Number(firstText);
for (let op = first; op < first + Number(operationsText); op++) {
  const stream = new FleetStream(new Prng(operationSeed(scenario.key, op)), scenario.fleet);
  stream.reset(scenario, OPERATION_TICKS);
  const baselines: NodeBaseline[] = [];
  for (let i = 0; i < stream.fleet; i++) {
    if (stream.candidate[i] === 1) continue;
    baselines.push({ node: `n${i}`, requests: stream.baselineRequests[i] ?? 0, errors: stream.baselineErrors[i] ?? 0 });
  }
  let data = detector.init(config, baselines).data as SequentialData;
  let input: TickInput | undefined;
  let faultyRequests = 0;
  for (let tick = 0; tick < OPERATION_TICKS; tick++) {
    stream.advance(tick);
    const faulty = stream.onsetTick >= 0 && tick >= stream.onsetTick;
    if (faulty)
      for (let i = 0; i < stream.fleet; i++) if (stream.bad[i] === 1) faultyRequests += stream.requests[i] ?? 0;
    let breaches: readonly Evidence[];
    if (input === undefined) {
      const result = firstTick(stream, data);
      data = result.data;
      breaches = result.breaches;
      input = tickInputOf(stream, data);
    } else breaches = advanceSequential(data, config, (tick + 1) * 1000, input, undefined).breaches;
    const breach = breaches[0];
    if (breach === undefined) continue;
    const node = breach.test === "cohort" ? -1 : Number(breach.subject.slice(1));
    const burst = node >= 0 && stream.inBurst(node, tick, 10) ? " during a burst" : "";
    const label = `${faulty ? "after onset" : "false"}: ${breach.test} ${component(data, breach)}${burst}`;
    labels.set(label, (labels.get(label) ?? 0) + 1);
    if (faulty) requestsToDetect.push(faultyRequests);
    if (verbose)
      process.stdout.write(
        `op ${op} tick ${tick} ${label} ${breach.subject} ${breach.errors}/${breach.requests} ref ${breach.referenceRate.toFixed(4)} score ${breach.score.toFixed(2)}/${breach.threshold.toFixed(2)}\n`,
      );
    break;
  }
}
const halts = [...labels.values()].reduce((a, b) => a + b, 0);
process.stdout.write(`${key} operations ${operationsText} alpha ${alphaText}: ${halts} halts\n`);
for (const [label, count] of labels) process.stdout.write(`  ${label}: ${count}\n`);
if (requestsToDetect.length > 0)
  process.stdout.write(
    `  requests to detect: median ${quantile(requestsToDetect, 0.5)}, p95 ${quantile(requestsToDetect, 0.95)}, p99 ${quantile(requestsToDetect, 0.99)} (${requestsToDetect.length} detections)\n`,
  );
