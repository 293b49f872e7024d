/** `validate`, `schema`, `preflight` and `run`. */

import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { runPreflight } from "../engine/preflight.ts";
import { planJsonSchema } from "../plan/json-schema.ts";
import { ExitCode, UsageError } from "./exit-codes.ts";
import { loadPlanFile } from "./load-plan.ts";
import type { CliContext } from "./main.ts";
import { leaseTtlOption, parseLeaseTtl, storeOption } from "./main.ts";
import { runForeground } from "./run-operation.ts";
import { runRemote } from "./run-remote.ts";
import { buildRuntime, builtinRegistries } from "./wiring.ts";
import { withStore } from "./with-store.ts";

/** Registers the plan-level commands on `program`. */
export function registerPlanCommands(program: Command, ctx: CliContext): void {
  const { out } = ctx;
  program
    .command("validate")
    .description("check a plan; prints every error with file, line, column and field; exit 2 when invalid")
    .argument("<plan>", "plan file (YAML or JSON)")
    .option("--json", "print the result as JSON")
    .action(async (file: string, opts: { json?: boolean }) => {
      const result = await loadPlanFile(file, builtinRegistries());
      if (opts.json)
        out.line(
          JSON.stringify(
            result.ok ? { valid: true, hash: result.loaded.hash } : { valid: false, errors: result.lines },
          ),
        );
      else if (result.ok)
        out.line(
          `${file}: valid (${result.loaded.plan.name}, ${result.loaded.plan.stages.length} stages, hash ${result.loaded.hash.slice(0, 12)})`,
        );
      else for (const line of result.lines) out.error(line);
      ctx.exitCode = result.ok ? ExitCode.completed : ExitCode.invalid;
    });

  program
    .command("schema")
    .description("print the plan JSON Schema (for editors: # yaml-language-server: $schema=...)")
    .action(() => {
      out.line(JSON.stringify(planJsonSchema(builtinRegistries()), null, 2));
    });

  program
    .command("preflight")
    .description(
      "read every sensor, observe the target, check guards; print what each stage would do; exit 5 on failure",
    )
    .argument("<plan>", "plan file")
    .option("--json", "print the report as JSON")
    .action(async (file: string, opts: { json?: boolean }) => {
      ctx.exitCode = await preflightOnly(file, opts.json === true, ctx);
    });

  program
    .command("run")
    .description("run a plan in the foreground (attaches to the live operation of the same plan)")
    .argument("<plan>", "plan file")
    .addOption(storeOption())
    .option("--json", "one JSON object per line; the last is the summary")
    .option("--dry-run", "preflight and print what each stage would do, then exit")
    .option("--force", "start even when preflight fails (needs --reason)")
    .option("--reason <text>", "why --force is used (recorded)")
    .option("--again", "start a new operation even if this exact plan already completed")
    .option(
      "--server <url>",
      "submit to a running `airlock serve` and follow it there (token: --token-file or AIRLOCK_TOKEN)",
    )
    .option("--token-file <file>", "file holding the API token for --server")
    .addOption(leaseTtlOption())
    .action(
      async (
        file: string,
        opts: {
          store: string;
          json?: boolean;
          dryRun?: boolean;
          force?: boolean;
          reason?: string;
          leaseTtl: string;
          again?: boolean;
          server?: string;
          tokenFile?: string;
        },
      ) => {
        const leaseTtlMs = parseLeaseTtl(opts.leaseTtl);
        if (opts.force && !opts.reason) {
          out.error("airlock: --force needs --reason");
          ctx.exitCode = ExitCode.invalid;
          return;
        }
        if (opts.dryRun) {
          ctx.exitCode = await preflightOnly(file, opts.json === true, ctx);
          return;
        }
        const registries = builtinRegistries();
        const loaded = await loadPlanFile(file, registries);
        if (!loaded.ok) {
          for (const line of loaded.lines) out.error(line);
          ctx.exitCode = ExitCode.invalid;
          return;
        }
        // The server's controller reaches the sensors, not necessarily this machine: no local preflight.
        if (opts.server !== undefined) {
          ctx.exitCode = await runRemote(loaded.loaded, {
            server: opts.server,
            ...tokenFrom(opts.tokenFile),
            out,
            mode: opts.json ? "json" : "human",
          });
          return;
        }
        const runtime = buildRuntime(loaded.loaded.plan, file, registries);
        const report = await runPreflight(loaded.loaded.plan, runtime).finally(() => runtime.close());
        if (!report.ok) {
          for (const line of report.lines) out.error(`preflight: ${line}`);
          if (!opts.force) {
            ctx.exitCode = ExitCode.preflightFailed;
            return;
          }
          out.error(`airlock: starting despite failed preflight (--force): ${opts.reason}`);
        }
        const abort = new AbortController();
        const onSignal = (): void => abort.abort();
        process.once("SIGINT", onSignal);
        process.once("SIGTERM", onSignal);
        try {
          ctx.exitCode = await withStore(opts.store, (store) =>
            runForeground(loaded.loaded, {
              store,
              registries,
              out,
              mode: opts.json ? "json" : "human",
              signal: abort.signal,
              leaseTtlMs,
              again: opts.again === true,
            }),
          );
        } finally {
          process.off("SIGINT", onSignal);
          process.off("SIGTERM", onSignal);
        }
      },
    );
}

async function preflightOnly(file: string, json: boolean, ctx: CliContext): Promise<number> {
  const registries = builtinRegistries();
  const loaded = await loadPlanFile(file, registries);
  if (!loaded.ok) {
    for (const line of loaded.lines) ctx.out.error(line);
    return ExitCode.invalid;
  }
  const runtime = buildRuntime(loaded.loaded.plan, file, registries);
  const report = await runPreflight(loaded.loaded.plan, runtime).finally(() => runtime.close());
  if (json) ctx.out.line(JSON.stringify(report));
  else for (const line of [...report.lines, ...report.stagePreview]) ctx.out.line(line);
  return report.ok ? ExitCode.completed : ExitCode.preflightFailed;
}

function tokenFrom(file: string | undefined): { token?: string } {
  if (file === undefined) return process.env.AIRLOCK_TOKEN === undefined ? {} : { token: process.env.AIRLOCK_TOKEN };
  try {
    return { token: readFileSync(file, "utf8").trim() };
  } catch {
    throw new UsageError(`--token-file ${file}: cannot read it`);
  }
}
