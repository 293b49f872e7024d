/**
 * `npx tsx bench/detector/turns-bad-oracle.ts [odds-ratio] [operations]`: how
 * far the turns-bad goal (median ≤ 40 requests after the change) is from what
 * a change detector can do at the burst scenario's false-halt goal.
 *
 * On the benchmark's own streams it runs, on every node of a 20-node fleet, a
 * CUSUM that is kinder than any real detector can be: its null rate is
 * p1 = 5 × the fleet's pooled baseline rate with no confidence margin, every
 * node's threshold is ln(20/alpha) (nothing spent on the reference or on the
 * cohort test, no node weighted above another), and its change-point prior is
 * uniform over the operation's 1,800 ticks (ln 1800 nats, the least a
 * per-operation guarantee over 30 minutes of 1 s ticks pays). Its one
 * alternative is `odds-ratio` × odds(p1) (at 10 and p1 = 10%, q ≈ 53%).
 * Prints, per alpha, turns-bad's requests after the change (median, p99) and
 * the share of burst operations (20 nodes, 30 min) it halts.
 * Deterministic, read-only.
 */
import { FleetStream } from "./fleet-stream.ts";
import { Prng } from "./prng.ts";
import { OPERATION_TICKS, type Scenario, scenarios } from "./scenarios.ts";
import { operationSeed } from "./simulate.ts";
import { quantile } from "./summary.ts";

const [oddsText = "10", operationsText = "3000"] = process.argv.slice(2);
const oddsRatio = Number(oddsText);
const operations = Number(operationsText);
const startCost = Math.log(OPERATION_TICKS);

function find(key: string): Scenario {
  const scenario = scenarios(1).find((s) => s.key === key);
  if (scenario === undefined) throw new Error(`no scenario ${key}`);
  return scenario;
}

/** Runs one operation; returns the tick of the first alarm on `watched` nodes (−1: none) and the stream. */
function run(scenario: Scenario, op: number, threshold: number, watched: (node: number) => boolean) {
  const stream = new FleetStream(new Prng(operationSeed(scenario.key, op)), scenario.fleet);
  stream.reset(scenario, OPERATION_TICKS);
  let requests = 0;
  let errors = 0;
  for (let i = 0; i < stream.fleet; i++) {
    requests += stream.baselineRequests[i] ?? 0;
    errors += stream.baselineErrors[i] ?? 0;
  }
  const reference = requests > 0 ? errors / requests : 0;
  const p1 = Math.max(5 * reference, reference + 0.005);
  const odds = (oddsRatio * p1) / (1 - p1);
  const q = odds / (1 + odds);
  const errorFactor = Math.log(q / p1);
  const successFactor = Math.log((1 - q) / (1 - p1));
  const cusum = new Float64Array(stream.fleet);
  let afterOnset = 0;
  for (let tick = 0; tick < OPERATION_TICKS; tick++) {
    stream.advance(tick);
    if (stream.onsetTick >= 0 && tick >= stream.onsetTick) afterOnset += stream.requests[0] ?? 0;
    for (let i = 0; i < stream.fleet; i++) {
      if (!watched(i)) continue;
      const n = stream.requests[i] ?? 0;
      const e = stream.errors[i] ?? 0;
      cusum[i] = Math.max(0, cusum[i] ?? 0) + e * errorFactor + (n - e) * successFactor;
      if ((cusum[i] ?? 0) >= threshold) return { tick, afterOnset, onsetTick: stream.onsetTick, q };
    }
  }
  return { tick: -1, afterOnset, onsetTick: stream.onsetTick, q };
}

for (const alpha of [0.01, 0.001]) {
  const threshold = Math.log(20 / alpha) + startCost;
  const turnsBad = find("turns-bad/n=20");
  const detected: number[] = [];
  let early = 0;
  for (let op = 0; op < operations; op++) {
    const result = run(turnsBad, op, threshold, (node) => node === 0);
    if (result.tick >= 0 && (result.onsetTick < 0 || result.tick < result.onsetTick)) early += 1;
    else if (result.tick >= 0) detected.push(result.afterOnset);
  }
  const burst = find("burst/n=20");
  let halted = 0;
  for (let op = 0; op < operations; op++) if (run(burst, op, threshold, () => true).tick >= 0) halted += 1;
  const q = run(turnsBad, 0, threshold, () => false).q;
  process.stdout.write(
    `alpha ${alpha}, odds ratio ${oddsRatio} (q ≈ ${(q * 100).toFixed(0)}%), threshold ${threshold.toFixed(2)} nats: ` +
      `turns-bad detected ${detected.length}/${operations} (${early} before the change), requests after it median ${quantile(detected, 0.5)}, p99 ${quantile(detected, 0.99)}; ` +
      `burst operations halted ${halted}/${operations} (${((100 * halted) / operations).toFixed(2)}%)\n`,
  );
}
