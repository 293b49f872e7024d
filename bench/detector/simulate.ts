/**
 * Runs operations of one scenario and tallies, per contender, false halts,
 * detections and how fast. Identical streams for every contender: one seeded
 * generator per operation, shared by all of them.
 */
import { COHORT, contenders } from "./contenders.ts";
import { FleetStream } from "./fleet-stream.ts";
import { Prng } from "./prng.ts";
import { OPERATION_TICKS, type Scenario } from "./scenarios.ts";

/** Raw tallies of one contender over some operations. */
export interface Tally {
  operations: number;
  falseHalts: number;
  detections: number;
  detectedWithin5Min: number;
  requestsToDetect: number[];
  secondsToDetect: number[];
}

/** Seed of operation `op` of a scenario: independent of chunking and worker. */
export function operationSeed(key: string, op: number): number {
  let hash = 2166136261;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 16777619);
  return (Math.imul(hash ^ op, 2654435761) ^ (op >>> 16)) >>> 0;
}

function isFaulty(stream: FleetStream, scenario: Scenario, flagged: readonly number[]): boolean {
  const cohortFault = scenario.fault.kind === "cohort" || scenario.fault.kind === "bad-candidates";
  return flagged.some((i) => (i === COHORT ? cohortFault : stream.bad[i] === 1));
}

/** Runs operations [first, first + count) of `scenario`, each `ticks` long. */
export function simulate(
  scenario: Scenario,
  first: number,
  count: number,
  ticks = OPERATION_TICKS,
): Record<string, Tally> {
  const list = contenders(scenario.alphas);
  const tallies: Record<string, Tally> = {};
  for (const c of list) {
    tallies[c.name] = {
      operations: 0,
      falseHalts: 0,
      detections: 0,
      detectedWithin5Min: 0,
      requestsToDetect: [],
      secondsToDetect: [],
    };
  }
  const halted = new Uint8Array(list.length);
  for (let op = first; op < first + count; op++) {
    const stream = new FleetStream(new Prng(operationSeed(scenario.key, op)), scenario.fleet);
    stream.reset(scenario, ticks);
    for (const c of list) c.reset(stream);
    halted.fill(0);
    let running = list.length;
    let faultyRequests = 0;
    for (let tick = 0; tick < ticks && running > 0; tick++) {
      stream.advance(tick);
      const faulty = stream.onsetTick >= 0 && tick >= stream.onsetTick;
      if (faulty)
        for (let i = 0; i < stream.fleet; i++) if (stream.bad[i] === 1) faultyRequests += stream.requests[i] ?? 0;
      for (let c = 0; c < list.length; c++) {
        const contender = list[c];
        if (contender === undefined || halted[c] === 1 || !contender.step(tick, stream)) continue;
        halted[c] = 1;
        running--;
        const tally = tallies[contender.name] as Tally;
        if (faulty && isFaulty(stream, scenario, contender.flagged)) {
          const seconds = tick - stream.onsetTick + 1;
          tally.detections++;
          if (seconds <= 300) tally.detectedWithin5Min++;
          tally.requestsToDetect.push(faultyRequests);
          tally.secondsToDetect.push(seconds);
        } else tally.falseHalts++;
      }
    }
    for (const c of list) (tallies[c.name] as Tally).operations++;
  }
  return tallies;
}
