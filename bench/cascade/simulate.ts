/**
 * The simulator's answers for the same workload: `airlock simulate` on
 * `plan-cascade.yaml` and `fleet-cascade.yaml`, once per strategy × release,
 * seed 1, through the CLI (the command users run).
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { type Release, STRATEGIES, type Strategy } from "./run-record.ts";

/** One simulated run's summary, as far as the comparison needs it. */
export interface SimulatedRun {
  readonly strategy: Strategy;
  readonly release: Release;
  readonly outcome: string;
  readonly durationS: number;
  readonly failedRequests: number;
  readonly peakDbConnections: number;
  readonly badNodeRequests: number;
}

const root = (path: string): string => fileURLToPath(new URL(`../../${path}`, import.meta.url));

/** Runs every strategy × release; a run that fails is reported with outcome `error: ...`. */
export function simulateAll(seed = 1): SimulatedRun[] {
  const runs: SimulatedRun[] = [];
  for (const release of ["good", "bad"] as const)
    for (const strategy of STRATEGIES) {
      const cli = spawnSync(
        process.execPath,
        [
          root("bin/airlock.js"),
          "simulate",
          root("bench/cascade/plan-cascade.yaml"),
          ...["--fleet", root("bench/cascade/fleet-cascade.yaml"), "--seed", String(seed)],
          ...["--strategy", strategy, "--release", release, "--json"],
        ],
        { encoding: "utf8", timeout: 120_000 },
      );
      runs.push(parseSimulation(strategy, release, cli.stdout ?? "", cli.stderr ?? ""));
    }
  return runs;
}

/** Reads the CLI's `--json` summary. Pure. */
export function parseSimulation(strategy: Strategy, release: Release, stdout: string, stderr: string): SimulatedRun {
  const failed = { strategy, release, durationS: 0, failedRequests: 0, peakDbConnections: 0, badNodeRequests: 0 };
  try {
    const summary = JSON.parse(stdout) as Record<string, unknown>;
    const number = (key: string): number => (typeof summary[key] === "number" ? (summary[key] as number) : 0);
    return {
      strategy,
      release,
      outcome: String(summary.outcome ?? "unknown"),
      durationS: number("durationS"),
      failedRequests: number("failedRequests"),
      peakDbConnections: number("peakDbConnections"),
      badNodeRequests: number("badNodeRequests"),
    };
  } catch {
    return { ...failed, outcome: `error: ${stderr.trim().split("\n").at(-1) ?? "no output"}` };
  }
}
