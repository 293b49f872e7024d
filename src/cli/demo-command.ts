/**
 * `airlock demo`: the README's main job on one machine with nothing but
 * Node — a good release that completes and a bad one that halts and rolls
 * back, on real processes under real load (see `src/demo/run-demo.ts`).
 * Exit code 0 when both showed what they promise, 1 otherwise, 130 after
 * Ctrl-C (everything it started is stopped either way).
 */
import { type Command, Option } from "commander";
import type { ScenarioName } from "../demo/demo-summary.ts";
import { findHaproxy } from "../demo/haproxy-process.ts";
import { runDemo } from "../demo/run-demo.ts";
import { parseDurationMs } from "../plan/duration.ts";
import { ExitCode, UsageError } from "./exit-codes.ts";
import type { CliContext } from "./main.ts";

interface DemoFlags {
  readonly scenario: "good" | "bad" | "both";
  readonly router: "builtin" | "haproxy";
  readonly json?: boolean;
  readonly printPlan?: boolean;
  readonly rate: string;
  readonly bake: string;
  readonly keepOpen?: boolean;
}

/** Registers `demo`. */
export function registerDemoCommand(program: Command, ctx: CliContext): void {
  program
    .command("demo")
    .description(
      "run a good release and a bad one on a local fleet (3 v1 + 3 v2 sample services, a router, open-loop load)",
    )
    .addOption(
      new Option("--scenario <which>", "which release to run").choices(["good", "bad", "both"]).default("both"),
    )
    .addOption(
      new Option("--router <kind>", "the router in front of the fleet (haproxy: when installed)")
        .choices(["builtin", "haproxy"])
        .default("builtin"),
    )
    .option("--json", "one JSON line per event; the last line is the summary")
    .option("--print-plan", "print the generated plan before running it")
    .option("--rate <n>", "open-loop load, requests per second", "150")
    .option("--bake <duration>", "minimum observation time per stage", "4s")
    .option("--keep-open", "keep the fleet and the dashboard up after the summary, until Ctrl-C")
    .action(async (flags: DemoFlags) => {
      ctx.exitCode = await demo(flags, ctx);
    });
}

async function demo(flags: DemoFlags, ctx: CliContext): Promise<number> {
  const ratePerSecond = Number(flags.rate);
  if (!Number.isFinite(ratePerSecond) || ratePerSecond <= 0 || ratePerSecond > 5000)
    throw new UsageError(`--rate: expected requests per second between 1 and 5000, got ${flags.rate}`);
  const bakeMs = parseDurationMs(flags.bake);
  if (bakeMs === undefined) throw new UsageError(`--bake: expected a duration like 4s, got ${flags.bake}`);
  if (flags.router === "haproxy" && findHaproxy() === undefined)
    throw new UsageError("--router haproxy: haproxy is not installed (apt-get install haproxy); use --router builtin");
  const scenarios: ScenarioName[] = flags.scenario === "both" ? ["good", "bad"] : [flags.scenario];
  const abort = new AbortController();
  const onSignal = (): void => abort.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const result = await runDemo({
      scenarios,
      router: flags.router,
      json: flags.json === true,
      printPlan: flags.printPlan === true,
      ratePerSecond,
      bakeMs,
      keepOpen: flags.keepOpen === true,
      out: ctx.out,
      signal: abort.signal,
    });
    if (result.interrupted) return ExitCode.interrupted;
    return result.asExpected ? ExitCode.completed : ExitCode.other;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
