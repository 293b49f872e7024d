/**
 * `npm run bench:detector [-- --quick] [-- --workers N]`: runs the detector
 * benchmark of issue 3, writes bench/results/detector.json and prints a table.
 * --quick: 1% of the operations and no 1,000-node burst/blip/bad-legacy runs;
 * --scale X: X times the issue's operation counts (1,000-node burst/blip/bad-legacy only at X = 1).
 */
import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { OPERATION_TICKS, runBenchmark } from "./benchmark.ts";
import { table } from "./summary.ts";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const workersAt = args.indexOf("--workers");
const scaleAt = args.indexOf("--scale");
const workers = workersAt >= 0 ? Number(args[workersAt + 1]) : Math.min(2, cpus().length);
const output = new URL("../results/detector.json", import.meta.url);

const results = await runBenchmark({
  scale: scaleAt >= 0 ? Number(args[scaleAt + 1]) : quick ? 0.01 : 1,
  workers,
  ticks: OPERATION_TICKS,
  timingNodes: 10_000,
  progress: (done, total) => process.stderr.write(`\rchunks ${done}/${total}`),
});
process.stderr.write("\n");
writeFileSync(
  output,
  `${JSON.stringify({ command: `npm run bench:detector${args.length > 0 ? ` -- ${args.join(" ")}` : ""}`, ...results }, null, 2)}\n`,
);
process.stdout.write(`${table(results.detectors)}\n\n`);
for (const [name, d] of Object.entries(results.detectors)) {
  process.stdout.write(
    `${name}: falseHaltRate ${d.falseHaltRate.toFixed(4)} (alpha 0.001), falseHaltUpper95AtAlpha01 ${d.falseHaltUpper95AtAlpha01.toFixed(4)}\n`,
  );
}
process.stdout.write(
  `evaluate 10k nodes: ${results.evaluate10kNodesMsMedian.toFixed(2)} ms median per tick (CPU ${results.evaluate10kNodesCpuMsMedian.toFixed(2)} ms; load average ${results.loadAverageAtTiming.toFixed(1)})\n`,
);
const load = results.loadAverageDuringRun;
process.stdout.write(
  `load average during the run: min ${load.min.toFixed(1)}, median ${load.median.toFixed(1)}, max ${load.max.toFixed(1)}\n`,
);
process.stdout.write(
  `${results.machine.cpu}, ${results.machine.cores} cores, node ${results.machine.node}; ${results.elapsedSeconds.toFixed(0)} s\n`,
);
