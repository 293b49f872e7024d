/**
 * Manual commands: `halt`, `resume`, `rollback`, `ack`, `abandon`,
 * `advance --force`, `freeze`, `unfreeze`. Each records its actor and reason.
 * Commands are queued in the store for the operation's runner (which may live
 * in another process); `resume` and `rollback` also run the operation here
 * when no other controller holds it.
 */
import { userInfo } from "node:os";
import type { Command } from "commander";
import type { Store } from "../store/store.ts";
import type { Json } from "../targets/target.ts";
import { ExitCode, UsageError } from "./exit-codes.ts";
import { loadPlanFile, loadPlanSource } from "./load-plan.ts";
import type { CliContext } from "./main.ts";
import { leaseTtlOption, parseLeaseTtl, storeOption } from "./main.ts";
import { driveOperation } from "./run-operation.ts";
import { builtinRegistries } from "./wiring.ts";
import { withStore } from "./with-store.ts";

interface ManualOptions {
  readonly store: string;
  readonly reason?: string;
  readonly actor?: string;
  readonly json?: boolean;
  readonly detach?: boolean;
  readonly plan?: string;
}

function actorOf(opts: ManualOptions): string {
  return opts.actor ?? process.env.AIRLOCK_ACTOR ?? userInfo().username;
}

function requireReason(opts: ManualOptions, command: string): string {
  if (opts.reason === undefined || opts.reason.trim() === "") throw new UsageError(`${command} needs --reason`);
  return opts.reason;
}

/** Queues a command for an operation after checking it exists and is live. */
async function enqueue(
  store: Store,
  id: string,
  type: string,
  actor: string,
  reason: string,
  data: Json,
): Promise<void> {
  const record = await store.getOperation(id);
  if (record === undefined) throw new UsageError(`no operation ${id}`);
  const queued = await store.enqueueCommand({ operationId: id, type, actor, reason, data });
  if (!queued.ok) throw new UsageError(queued.message);
}

/** Registers the manual commands. */
export function registerManualCommands(program: Command, ctx: CliContext): void {
  const { out } = ctx;
  const simple = (name: string, description: string, needsReason: boolean, runHere: boolean): void => {
    program
      .command(name)
      .description(description)
      .argument("<operation>", "operation id")
      .addOption(storeOption())
      .option("--reason <text>", "why (recorded in the event log)")
      .option("--actor <name>", "who acts (default: $AIRLOCK_ACTOR or the OS user)")
      .option("--json", "JSON output when the operation is run here")
      .option("--detach", "only queue the command; do not run the operation in this process")
      .option("--plan <file>", "check that this plan matches the pinned one (resume refuses an edited plan)")
      .option("--force", "required by advance")
      .addOption(leaseTtlOption())
      .action(async (id: string, opts: ManualOptions & { force?: boolean; leaseTtl: string }) => {
        if (name === "advance" && !opts.force) throw new UsageError("advance needs --force and --reason");
        const reason = needsReason ? requireReason(opts, name) : (opts.reason ?? "");
        await withStore(opts.store, async (store) => {
          await enqueue(store, id, name, actorOf(opts), reason, {});
          out.error(`airlock: ${name} queued for ${id}`);
          if (!runHere || opts.detach) return;
          ctx.exitCode = await runHereUnlessHeld(store, id, opts, ctx);
        });
      });
  };
  simple("halt", "halt an operation now: no further action until resumed or rolled back", true, false);
  simple(
    "resume",
    "resume a halted or interrupted operation (runs it here unless another controller does)",
    false,
    true,
  );
  simple("rollback", "roll an operation back, airlocked (runs it here unless another controller does)", true, true);
  simple("abandon", "end an operation without finishing or rolling back; releases its claims", true, true);
  simple("advance", "force the current stage sealed regardless of gates (--force --reason)", true, false);

  program
    .command("ack")
    .description("acknowledge the current stage as a consumer or approver")
    .argument("<operation>", "operation id")
    .requiredOption("--consumer <name>", "the consumer or approver acknowledging")
    .option("--stage <name>", "stage being acknowledged (default: the current one)")
    .option("--actor <name>", "who acts")
    .addOption(storeOption())
    .action(async (id: string, opts: ManualOptions & { consumer: string; stage?: string }) => {
      await withStore(opts.store, async (store) => {
        const record = await store.getOperation(id);
        if (record === undefined) throw new UsageError(`no operation ${id}`);
        const stage = opts.stage ?? currentStage(record.state, record.planSource, record.planFile);
        if (stage === undefined) throw new UsageError("cannot tell the current stage; pass --stage");
        await store.recordAck({
          operationId: id,
          stage,
          consumer: opts.consumer,
          actor: actorOf(opts),
          atMs: await store.nowMs(),
        });
        await enqueue(store, id, "ack", actorOf(opts), "", { consumer: opts.consumer, stage });
        out.line(`acknowledged ${id} stage ${stage} as ${opts.consumer}`);
      });
    });

  program
    .command("freeze")
    .description("freeze a domain (or everything with no domain: the kill switch); halts operations there")
    .argument("[domain]", "domain; omitted: every domain", "*")
    .requiredOption("--reason <text>", "why")
    .option("--actor <name>", "who acts")
    .addOption(storeOption())
    .action(async (domain: string, opts: ManualOptions) => {
      await withStore(opts.store, async (store) => {
        const actor = actorOf(opts);
        await store.setFreeze({
          domain,
          reason: requireReason(opts, "freeze"),
          setBy: `manual:${actor}`,
          setAtMs: await store.nowMs(),
          expiresAtMs: null,
        });
        out.line(`frozen ${domain === "*" ? "every domain" : domain}`);
      });
    });

  program
    .command("unfreeze")
    .description("lift a manual freeze on a domain (or the global kill switch)")
    .argument("[domain]", "domain; omitted: the global freeze", "*")
    .option("--actor <name>", "who acts")
    .addOption(storeOption())
    .action(async (domain: string, opts: ManualOptions) => {
      await withStore(opts.store, async (store) => {
        await store.clearFreeze(domain);
        out.line(`unfrozen ${domain === "*" ? "every domain" : domain}`);
      });
    });
}

async function runHereUnlessHeld(
  store: Store,
  id: string,
  opts: ManualOptions & { leaseTtl: string },
  ctx: CliContext,
): Promise<number> {
  const record = await store.getOperation(id);
  if (record === undefined) throw new UsageError(`no operation ${id}`);
  const registries = builtinRegistries();
  const pinned = loadPlanSource(record.planSource, record.planFile, registries);
  if (!pinned.ok) throw new UsageError(`the pinned plan of ${id} no longer validates: ${pinned.lines.join("; ")}`);
  if (opts.plan !== undefined) {
    const given = await loadPlanFile(opts.plan, registries);
    if (!given.ok) throw new UsageError(given.lines.join("\n"));
    if (given.loaded.hash !== record.planHash) {
      ctx.out.error(
        `airlock: ${opts.plan} differs from the plan pinned by ${id}; resuming with an edited plan is refused`,
      );
      return ExitCode.invalid;
    }
  }
  const leaseTtlMs = parseLeaseTtl(opts.leaseTtl);
  return driveOperation(record, pinned.loaded, {
    store,
    registries,
    out: ctx.out,
    mode: opts.json ? "json" : "human",
    leaseTtlMs,
  });
}

function currentStage(state: Json, source: string, file: string): string | undefined {
  const loaded = loadPlanSource(source, file, builtinRegistries());
  if (!loaded.ok || typeof state !== "object" || state === null || Array.isArray(state)) return undefined;
  const phase = (
    state as {
      phase?: {
        cursor?: { track: string; index: number };
        interrupted?: { cursor?: { track: string; index: number } };
      };
    }
  ).phase;
  const cursor = phase?.cursor ?? phase?.interrupted?.cursor;
  if (cursor === undefined || cursor.track !== "forward") return undefined;
  return loaded.loaded.plan.stages[cursor.index]?.name;
}
