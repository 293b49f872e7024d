/**
 * `airlock simulate PLAN --fleet FLEET`: runs a traffic plan (or a built-in
 * peer strategy) against a described fleet in virtual time, on the real
 * engine and detector, and answers "how long will this rollout take, and
 * what happens if the candidate is bad?". Same `--seed`, same output.
 * Exit code 0 when the run ended as the plan intends (completed, or a bad
 * release halted), 1 otherwise, 2 for an invalid plan or fleet.
 */
import { readFile } from "node:fs/promises";
import { type Command, Option } from "commander";
import { parseDurationMs } from "../plan/duration.ts";
import { parseFleet } from "../sim/fleet-spec.ts";
import { runSimulation } from "../sim/run-simulation.ts";
import { type SimulationSummary, STRATEGIES, type Strategy } from "../sim/sim-summary.ts";
import { ExitCode, UsageError } from "./exit-codes.ts";
import type { CliContext } from "./main.ts";
import { builtinRegistries } from "./wiring.ts";

interface SimulateFlags {
  readonly fleet: string;
  readonly seed: string;
  readonly strategy: Strategy;
  readonly release: "good" | "bad";
  readonly json?: boolean;
  readonly series?: boolean;
  readonly duration?: string;
}

/** Registers `simulate`. */
export function registerSimulateCommand(program: Command, ctx: CliContext): void {
  program
    .command("simulate")
    .description("run a traffic plan against a simulated fleet in virtual time (the real engine and detector)")
    .argument("<plan>", "plan file (YAML or JSON) with a traffic target")
    .requiredOption("--fleet <file>", "fleet description (see examples/fleet-1000.yaml)")
    .option("--seed <n>", "seed of the simulation's random numbers", "1")
    .addOption(new Option("--strategy <name>", "who decides when to advance").choices(STRATEGIES).default("airlock"))
    .addOption(new Option("--release <which>", "the candidate is good or bad").choices(["good", "bad"]).default("good"))
    .option("--json", "print the summary as one JSON object")
    .option("--series", "with --json: include per-second requests, failures and DB connections")
    .option(
      "--duration <time>",
      "simulated time to run (e.g. 1h): the world keeps running after the operation ends; the operation is cut off here",
    )
    .action(async (planFile: string, flags: SimulateFlags) => {
      ctx.exitCode = await simulate(planFile, flags, ctx);
    });
}

async function simulate(planFile: string, flags: SimulateFlags, ctx: CliContext): Promise<number> {
  const seed = Number(flags.seed);
  if (!Number.isSafeInteger(seed)) throw new UsageError(`--seed: expected an integer, got ${flags.seed}`);
  const durationMs = flags.duration === undefined ? undefined : parseDurationMs(flags.duration);
  if (durationMs === 0 || (flags.duration !== undefined && durationMs === undefined)) {
    throw new UsageError(`--duration: expected a duration like 1h or 90s, got ${flags.duration}`);
  }
  const [planSource, fleetSource] = await Promise.all([readText(planFile), readText(flags.fleet)]);
  const fleet = parseFleet(fleetSource);
  if (!fleet.ok) throw new UsageError(`${flags.fleet}: ${fleet.message}`);
  const result = await runSimulation({
    planSource,
    planFile,
    registries: builtinRegistries(),
    fleet: fleet.value,
    seed,
    strategy: flags.strategy,
    release: flags.release,
    series: flags.json === true && flags.series === true,
    ...(durationMs === undefined ? {} : { durationMs }),
  });
  if (!result.ok) throw new UsageError(`${result.code === "plan" ? planFile : flags.fleet}: ${result.message}`);
  const summary = result.value;
  if (flags.json === true) ctx.out.line(JSON.stringify(summary));
  else for (const line of describe(summary)) ctx.out.line(line);
  const expected = summary.release === "good" ? "completed" : ["rolled_back", "halted", "aborted"];
  return expected.includes(summary.outcome) ? ExitCode.completed : ExitCode.other;
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The human summary. */
function describe(s: SimulationSummary): string[] {
  const failedPercent = s.requests === 0 ? 0 : (100 * s.failedRequests) / s.requests;
  const lines = [
    `${s.strategy}, ${s.release} release, ${s.nodes} nodes, seed ${s.seed}: ${s.outcome} after ${s.durationS} s (simulated; the world ran ${s.simulatedS} s)`,
    `requests ${s.requests}, failed ${s.failedRequests} (${failedPercent.toFixed(3)}%): refused ${s.failedBy.connectionRefused}, pool full ${s.failedBy.poolExhausted}, killed ${s.failedBy.killed}, release errors ${s.failedBy.releaseErrors}, no server ${s.failedBy.noServer}`,
    `p99 ${s.p99Ms} ms; peak DB connections ${s.peakDbConnections} of ${s.dbMaxConnections}; jobs killed ${s.jobsKilled}, refused ${s.jobsRefused}; idle connections refused ${s.idleConnectionsRefused}`,
  ];
  if (s.release === "bad") lines.push(`requests served by bad nodes: ${s.badNodeRequests}`);
  if (s.halt !== null) lines.push(`halted at ${s.halt.atS} s: ${s.halt.message}`);
  for (const stage of s.stages) {
    const took = stage.endedS === null ? "not sealed" : `${(stage.endedS - stage.startedS).toFixed(1)} s`;
    lines.push(`  ${stage.track === "rollback" ? "rollback " : ""}${stage.name}: at ${stage.startedS} s, ${took}`);
  }
  for (const note of s.notes) lines.push(`note: ${note}`);
  return lines;
}
