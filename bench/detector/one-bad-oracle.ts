/**
 * `npx tsx bench/detector/one-bad-oracle.ts [threshold-nats] [operations]`: a
 * lower bound for the one-bad goal. On the benchmark's own one-bad streams it
 * runs an SPRT that no real detector can have: it knows the bad node, the
 * truth (q = 50%), and the reference rate without confidence margin (the
 * legacy nodes' pooled baseline rate, p1 = ratio × that), and it has a single
 * alternative; evaluated once a second like every detector. Prints the median
 * and p99 of requests to the bad node until the end of the tick of its alarm.
 * Deterministic, read-only.
 */
import { FleetStream } from "./fleet-stream.ts";
import { Prng } from "./prng.ts";
import { OPERATION_TICKS, scenarios } from "./scenarios.ts";
import { operationSeed } from "./simulate.ts";
import { quantile } from "./summary.ts";

const [thresholdText = String(Math.log(20 / 0.001)), operationsText = "3000"] = process.argv.slice(2);
const threshold = Number(thresholdText);
const scenario = scenarios(1).find((s) => s.key === "one-bad/n=20");
if (scenario === undefined || scenario.fault.kind !== "bad-candidates") throw new Error("one-bad scenario missing");
const badRate = scenario.fault.rate;
const requestsToDetect: number[] = [];
for (let op = 0; op < Number(operationsText); op++) {
  const stream = new FleetStream(new Prng(operationSeed(scenario.key, op)), scenario.fleet);
  stream.reset(scenario, OPERATION_TICKS);
  let baselineRequests = 0;
  let baselineErrors = 0;
  let bad = -1;
  for (let i = 0; i < stream.fleet; i++) {
    baselineRequests += stream.baselineRequests[i] ?? 0;
    baselineErrors += stream.baselineErrors[i] ?? 0;
    if (stream.bad[i] === 1) bad = i;
  }
  const reference = baselineErrors / baselineRequests;
  const p1 = Math.max(5 * reference, reference + 0.005);
  const errorFactor = Math.log(badRate / p1);
  const successFactor = Math.log((1 - badRate) / (1 - p1));
  let llr = 0;
  let served = 0;
  for (let tick = 0; tick < OPERATION_TICKS; tick++) {
    stream.advance(tick);
    const n = stream.requests[bad] ?? 0;
    const e = stream.errors[bad] ?? 0;
    served += n;
    llr += e * errorFactor + (n - e) * successFactor;
    if (llr >= threshold) {
      requestsToDetect.push(served);
      break;
    }
  }
}
process.stdout.write(
  `oracle SPRT at ${threshold.toFixed(2)} nats: detected ${requestsToDetect.length}/${operationsText}, requests median ${quantile(requestsToDetect, 0.5)}, p95 ${quantile(requestsToDetect, 0.95)}, p99 ${quantile(requestsToDetect, 0.99)}\n`,
);
