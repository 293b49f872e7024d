/**
 * `npm run bench:engine`: the engine benchmark of issue 2. Runs
 * {@link runEngineBench} `--runs` times (default 3), each in a fresh child
 * process so that peak RSS is that run's own, prints a table and writes the
 * medians to `bench/results/engine.json` (or `--out FILE`).
 *
 * Options (defaults in brackets): --operations [1000] --virtual-seconds [300]
 * --stages [5] --bake-seconds [50] --runs [3] --out [bench/results/engine.json]
 */
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { applyHeapPolicy } from "../../src/cli/heap-policy.ts";
import { SENSORS_PER_OPERATION } from "./bench-plan.ts";
import { type EngineBenchConfig, type EngineBenchRun, runEngineBench } from "./engine-bench.ts";
import { median } from "./stats.ts";

/** Goals of issue 2. */
const GOAL_CPU_MS_PER_OPERATION_TICK = 0.2;
const GOAL_PEAK_RSS_MB = 300;

interface Options extends EngineBenchConfig {
  readonly runs: number;
  readonly out: string;
}

function option(args: readonly string[], name: string, fallback: string): string {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? (args[at + 1] ?? fallback) : fallback;
}

function positive(args: readonly string[], name: string, fallback: number): number {
  const value = Number(option(args, name, String(fallback)));
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer`);
  return value;
}

function parseOptions(args: readonly string[]): Options {
  return {
    operations: positive(args, "operations", 1_000),
    virtualSeconds: positive(args, "virtual-seconds", 300),
    stages: positive(args, "stages", 5),
    bakeSeconds: positive(args, "bake-seconds", 50),
    runs: positive(args, "runs", 3),
    out: option(args, "out", fileURLToPath(new URL("../results/engine.json", import.meta.url))),
  };
}

/** Runs one benchmark in a child process (same loader flags) and returns its result line. */
function runChild(config: EngineBenchConfig): Promise<EngineBenchRun> {
  const child = spawn(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), "--child", JSON.stringify(config)],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const chunks: Buffer[] = [];
  child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => {
      const text = Buffer.concat(chunks).toString("utf8").trim();
      if (code !== 0) reject(new Error(`benchmark child exited with ${code}`));
      else resolve(JSON.parse(text.split("\n").at(-1) ?? "") as EngineBenchRun);
    });
  });
}

function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "n/a";
}

function table(runs: readonly EngineBenchRun[]): string {
  const header = [
    "run",
    "cpu ms/op-tick (median)",
    "(mean)",
    "of it sensors",
    "peak RSS MB",
    "maxRSS MB",
    "op-ticks",
    "wall s",
    "statuses",
  ];
  const rows = runs.map((r, i) => [
    String(i + 1),
    fixed(r.cpuMsPerOperationTickMedian, 4),
    fixed(r.cpuMsPerOperationTickMean, 4),
    fixed(r.sensorReadsCpuMsPerOperationTick, 4),
    fixed(r.sampledPeakRssMb, 0),
    fixed(r.maxRssMb, 0),
    String(r.operationTicks),
    fixed(r.wallMs / 1_000, 1),
    Object.entries(r.statuses)
      .map(([status, count]) => `${status} ${count}`)
      .join(", "),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => (row[c] ?? "").length)));
  const line = (cells: readonly string[]) => cells.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join("  ");
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

async function main(args: readonly string[]): Promise<void> {
  if (args[0] === "--child") {
    // The controller's process runs with this policy (bin/airlock.js); so does the measured one.
    applyHeapPolicy();
    const config = JSON.parse(args[1] ?? "{}") as EngineBenchConfig;
    const result = await runEngineBench({
      ...config,
      onRound: (round, live) => {
        if (round % 50 === 0) process.stderr.write(`  round ${round}: ${live} live operations\n`);
      },
    });
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const options = parseOptions(args);
  const { runs: count, out, ...config } = options;
  const loadBefore = loadavg();
  const runs: EngineBenchRun[] = [];
  for (let i = 0; i < count; i += 1) {
    process.stderr.write(`run ${i + 1}/${count}: ${config.operations} operations, ${config.virtualSeconds} s\n`);
    runs.push(await runChild(config));
  }
  const cpuMsPerOperationTickMedian = median(runs.map((r) => r.cpuMsPerOperationTickMedian));
  const peakRssMb = median(runs.map((r) => Math.max(r.sampledPeakRssMb, r.maxRssMb)));
  const result = {
    command: `npm run bench:engine${args.length > 0 ? ` -- ${args.join(" ")}` : ""}`,
    cpuMsPerOperationTickMedian,
    peakRssMb,
    goals: { cpuMsPerOperationTick: GOAL_CPU_MS_PER_OPERATION_TICK, peakRssMb: GOAL_PEAK_RSS_MB },
    operations: config.operations,
    sensorsPerOperation: SENSORS_PER_OPERATION,
    virtualSeconds: config.virtualSeconds,
    stages: config.stages,
    bakeSeconds: config.bakeSeconds,
    machine: {
      cpu: cpus()[0]?.model ?? "unknown",
      cores: cpus().length,
      node: process.version,
      loadAverage1mBefore: loadBefore[0],
      loadAverage1mAfter: loadavg()[0],
    },
    runs,
  };
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${table(runs)}\n\n`);
  process.stdout.write(
    `median of ${count} runs: ${fixed(cpuMsPerOperationTickMedian, 4)} ms CPU per operation-tick ` +
      `(goal <= ${GOAL_CPU_MS_PER_OPERATION_TICK}), peak RSS ${fixed(peakRssMb, 0)} MB (goal <= ${GOAL_PEAK_RSS_MB})\n`,
  );
  process.stdout.write(
    `${result.machine.cpu}, ${result.machine.cores} cores, node ${result.machine.node}, ` +
      `load average ${fixed(loadBefore[0] ?? Number.NaN, 2)} before, ${fixed(result.machine.loadAverage1mAfter ?? Number.NaN, 2)} after; wrote ${out}\n`,
  );
}

await main(process.argv.slice(2));
