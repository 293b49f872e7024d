/**
 * The `airlock` command line. `main(argv)` returns the exit code; nothing
 * here calls `process.exit`, so tests can run commands in-process.
 */
import { Command, CommanderError, Option } from "commander";
import { parseDurationMs } from "../plan/duration.ts";
import { registerDemoCommand } from "./demo-command.ts";
import { ExitCode, UsageError } from "./exit-codes.ts";
import { registerManualCommands } from "./manual-commands.ts";
import { type Output, processOutput } from "./output.ts";
import { registerPlanCommands } from "./plan-commands.ts";
import { registerServeCommand } from "./serve-command.ts";
import { registerSimulateCommand } from "./simulate-command.ts";
import { registerStatusCommands } from "./status-commands.ts";

/** Shared by every subcommand: where to write, and the exit code to return. */
export interface CliContext {
  readonly out: Output;
  exitCode: number;
}

/** Runs the CLI with `argv` (without `node` and the script). Resolves to the exit code. */
export async function main(argv: readonly string[], out: Output = processOutput()): Promise<number> {
  const ctx: CliContext = { out, exitCode: ExitCode.completed };
  const program = new Command("airlock")
    .description(
      "Run risky operational changes as stages behind gates: one active stage per domain, drain before advance, halt on supercriticality.",
    )
    .version("0.1.0")
    .exitOverride()
    .configureOutput({ writeOut: (s) => out.line(s.trimEnd()), writeErr: (s) => out.error(s.trimEnd()) })
    .showHelpAfterError();
  registerPlanCommands(program, ctx);
  registerStatusCommands(program, ctx);
  registerManualCommands(program, ctx);
  registerServeCommand(program, ctx);
  registerDemoCommand(program, ctx);
  registerSimulateCommand(program, ctx);
  try {
    await program.parseAsync([...argv], { from: "user" });
    return ctx.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? ExitCode.completed : ExitCode.invalid;
    }
    if (error instanceof UsageError) {
      out.error(`airlock: ${error.message}`);
      return ExitCode.invalid;
    }
    out.error(`airlock: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return ExitCode.other;
  }
}

/** The `--store` option every stateful command takes. */
export function storeOption(): Option {
  return new Option("--store <url>", "sqlite:PATH, postgres://..., or memory:")
    .env("AIRLOCK_STORE")
    .default("sqlite:./.airlock/airlock.db");
}

/** The `--lease-ttl` option of commands that run operations. */
export function leaseTtlOption(): Option {
  return new Option(
    "--lease-ttl <duration>",
    "runner lease TTL: another controller takes over this long after this one dies",
  )
    .env("AIRLOCK_LEASE_TTL")
    .default("15s");
}

/** Parses `--lease-ttl`; a bad value is a usage error. */
export function parseLeaseTtl(text: string): number {
  const ms = parseDurationMs(text);
  if (ms === undefined || ms < 300)
    throw new UsageError(`--lease-ttl: expected a duration of at least 300ms like 15s, got ${JSON.stringify(text)}`);
  return ms;
}
