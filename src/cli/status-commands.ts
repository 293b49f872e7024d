/** `status` and `events`: read-only views of the store. */
import type { Command } from "commander";
import { engine } from "../engine/engine.ts";
import type { OperationState } from "../engine/types.ts";
import type { OperationRecord, Store } from "../store/store.ts";
import { ExitCode } from "./exit-codes.ts";
import { loadPlanSource } from "./load-plan.ts";
import type { CliContext } from "./main.ts";
import { storeOption } from "./main.ts";
import { formatEvent } from "./render.ts";
import { builtinRegistries } from "./wiring.ts";
import { withStore } from "./with-store.ts";

/** One operation as `status` shows it. */
export interface StatusLine {
  readonly operation: string;
  readonly plan: string;
  readonly domain: string;
  readonly status: string;
  /** Why it waits or what it waits for, from the engine's explanation. */
  readonly explanation: string;
}

/** Explains an operation from its pinned plan and stored state. */
export async function describeOperation(store: Store, record: OperationRecord): Promise<StatusLine> {
  const loaded = loadPlanSource(record.planSource, record.planFile, builtinRegistries());
  const explanation = loaded.ok
    ? engine.explain(record.state as unknown as OperationState, loaded.loaded.plan, await store.nowMs())
    : "pinned plan no longer validates with this version of airlock";
  return { operation: record.id, plan: record.planName, domain: record.domain, status: record.status, explanation };
}

/** Registers `status` and `events`. */
export function registerStatusCommands(program: Command, ctx: CliContext): void {
  const { out } = ctx;
  program
    .command("status")
    .description("show live operations (or one), and why each waits")
    .argument("[operation]", "operation id")
    .addOption(storeOption())
    .option("--all", "include ended operations")
    .option("--json", "print JSON")
    .action(async (id: string | undefined, opts: { store: string; all?: boolean; json?: boolean }) => {
      await withStore(opts.store, async (store) => {
        const records =
          id === undefined
            ? await store.listOperations(opts.all ? { limit: 50 } : { live: true })
            : [await store.getOperation(id)];
        if (records[0] === undefined && id !== undefined) {
          out.error(`airlock: no operation ${id}`);
          ctx.exitCode = ExitCode.invalid;
          return;
        }
        const lines = await Promise.all(records.flatMap((r) => (r === undefined ? [] : [describeOperation(store, r)])));
        const freezes = await store.activeFreezes();
        if (opts.json) {
          out.line(JSON.stringify({ operations: lines, freezes }));
          return;
        }
        if (lines.length === 0) out.line("no live operations");
        for (const line of lines)
          out.line(`${line.operation}  ${line.status.padEnd(11)} ${line.domain}  ${line.explanation}`);
        for (const freeze of freezes) out.line(`freeze ${freeze.domain}: ${freeze.reason} (by ${freeze.setBy})`);
      });
    });

  program
    .command("events")
    .description("print an operation's event log")
    .argument("<operation>", "operation id")
    .addOption(storeOption())
    .option("--after <seq>", "only events after this sequence number", "0")
    .option("--json", "one JSON object per line")
    .action(async (id: string, opts: { store: string; after: string; json?: boolean }) => {
      await withStore(opts.store, async (store) => {
        const record = await store.getOperation(id);
        if (record === undefined) {
          out.error(`airlock: no operation ${id}`);
          ctx.exitCode = ExitCode.invalid;
          return;
        }
        const loaded = loadPlanSource(record.planSource, record.planFile, builtinRegistries());
        for (const event of await store.listEvents(id, Number(opts.after) || 0, 100_000)) {
          if (opts.json || !loaded.ok) out.line(JSON.stringify(event));
          else out.line(`#${event.seq} ${formatEvent(event, loaded.loaded.plan)}`);
        }
      });
    });
}
