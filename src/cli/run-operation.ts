/**
 * `airlock run` and `airlock resume` in the foreground: create or attach to
 * the operation, run it (or follow the process that runs it), print
 * progress, and map the outcome to a CI exit code.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { type Clock, realClock } from "../engine/clock.ts";
import { engine } from "../engine/engine.ts";
import { Runner, type RunnerStop, toJson } from "../engine/runner.ts";
import type { OperationRecord, Store } from "../store/store.ts";
import { ExitCode, type ExitCodeValue } from "./exit-codes.ts";
import type { LoadedPlan } from "./load-plan.ts";
import type { Output } from "./output.ts";
import { EventPrinter, type RenderMode, summarize } from "./render.ts";
import { buildRuntime, type Registries } from "./wiring.ts";

/** A unique runner identity for this process. */
export function holderId(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

/** Options shared by `run` and `resume`. */
export interface ForegroundOptions {
  readonly store: Store;
  readonly registries: Registries;
  readonly out: Output;
  readonly mode: RenderMode;
  readonly clock?: Clock;
  /** Aborts the run (Ctrl-C): the runner stops and gives its lease up; the operation stays resumable. */
  readonly signal?: AbortSignal;
  readonly leaseTtlMs?: number;
  /** Start a new operation even when the same plan already completed (default: report that one). */
  readonly again?: boolean;
}

/** Creates (or attaches to) the operation for `loaded` and drives it in the foreground. */
export async function runForeground(loaded: LoadedPlan, options: ForegroundOptions): Promise<ExitCodeValue> {
  const { store, out } = options;
  const [latest] = await store.listOperations({ planName: loaded.plan.name, limit: 1 });
  if (latest?.status === "completed" && latest.planHash === loaded.hash && options.again !== true) {
    // A retried CI job must not roll the same change out twice.
    out.error(
      `airlock: plan ${loaded.plan.name} already completed as operation ${latest.id}; pass --again to run it again`,
    );
    const events = await store.listEvents(latest.id, 0, 1_000_000);
    new EventPrinter(out, options.mode, loaded.plan).summary(
      summarize(latest.id, loaded.plan.name, latest.status, events),
    );
    return ExitCode.completed;
  }
  const id = `${loaded.plan.name}-${Date.now().toString(36)}-${randomUUID().slice(0, 4)}`;
  const created = await store.createOperation({
    id,
    planName: loaded.plan.name,
    domain: loaded.plan.domain,
    planHash: loaded.hash,
    planSource: loaded.source,
    planFile: loaded.file,
    state: toJson(engine.initialState(id, loaded.plan)),
  });
  if (!created.ok) {
    out.error(`airlock: ${created.message}`);
    return created.code === "conflict" ? ExitCode.invalid : ExitCode.other;
  }
  const operation = created.value.operation;
  if (!created.value.created)
    out.error(`airlock: attached to live operation ${operation.id} (same plan, started earlier)`);
  else if (options.mode === "human")
    out.line(`operation ${operation.id} created for plan ${loaded.plan.name} (domain ${loaded.plan.domain})`);
  return driveOperation(operation, loaded, options);
}

/** Runs an existing operation in this process, or follows the process that holds its runner lease. */
export async function driveOperation(
  operation: OperationRecord,
  loaded: LoadedPlan,
  options: ForegroundOptions,
): Promise<ExitCodeValue> {
  const { store, out, mode } = options;
  if (operation.planHash !== loaded.hash) {
    out.error(
      `airlock: operation ${operation.id} is pinned to plan hash ${operation.planHash.slice(0, 12)}; this plan is ${loaded.hash.slice(0, 12)}: resuming with an edited plan is refused`,
    );
    return ExitCode.invalid;
  }
  const printer = new EventPrinter(out, mode, loaded.plan);
  const clock = options.clock ?? realClock;
  let lastSeq = (await store.listEvents(operation.id, 0, 1_000_000)).at(-1)?.seq ?? 0;
  const runtime = buildRuntime(loaded.plan, loaded.file, options.registries);
  let stop: RunnerStop;
  let leaseLosses = 0;
  try {
    for (;;) {
      const runner = new Runner({
        store,
        engine,
        plan: loaded.plan,
        operationId: operation.id,
        target: runtime.target,
        targetDefinition: runtime.targetDefinition,
        sensors: runtime.sensors,
        clock,
        holder: holderId(),
        ...(options.leaseTtlMs === undefined ? {} : { leaseTtlMs: options.leaseTtlMs }),
        onEvent: (event, state) => {
          lastSeq = event.seq;
          printer.event(event);
          printer.status(engine.explain(state, loaded.plan, clock.nowMs()));
        },
      });
      const ticker = setInterval(() => {
        if (runner.state !== undefined) printer.status(engine.explain(runner.state, loaded.plan, clock.nowMs()));
      }, 1000);
      try {
        stop = await runner.run(options.signal, true);
      } finally {
        clearInterval(ticker);
      }
      if (stop.kind === "lease-lost" && leaseLosses < 5) {
        // A slow tick can outlive the lease; a fresh runner re-reads the stored state and
        // either takes the lease again or finds the controller that took over.
        leaseLosses += 1;
        out.error(`airlock: runner lease lost (${stop.message}); re-acquiring`);
        continue;
      }
      if (stop.kind !== "busy") break;
      out.error(
        `airlock: operation ${operation.id} is run by another controller (${stop.holder}); following its events`,
      );
      const followed = await follow(store, operation.id, lastSeq, printer, options.signal);
      lastSeq = followed.lastSeq;
      stop = followed.stop;
      if (stop.kind === "lease-lost" && leaseLosses < 5) {
        // A slow tick can outlive the lease; a fresh runner re-reads the stored state and
        // either takes the lease again or finds the controller that took over.
        leaseLosses += 1;
        out.error(`airlock: runner lease lost (${stop.message}); re-acquiring`);
        continue;
      }
      if (stop.kind !== "busy") break;
      out.error(`airlock: the runner lease of ${operation.id} lapsed; taking the operation over`);
    }
  } finally {
    await runtime.close();
  }
  const final = await store.getOperation(operation.id);
  const status = final?.status ?? "failed";
  printer.summary(
    summarize(operation.id, loaded.plan.name, status, await store.listEvents(operation.id, 0, 1_000_000)),
  );
  if (stop.kind === "aborted") {
    out.error(`airlock: interrupted; the operation stays ${status}. Continue with: airlock resume ${operation.id}`);
    return ExitCode.interrupted;
  }
  if (stop.kind === "lease-lost")
    out.error(`airlock: this controller lost the runner lease (${stop.message}); another controller continues`);
  return exitCodeFor(status);
}

/** Maps an operation status to the CLI's exit code. */
export function exitCodeFor(status: string): ExitCodeValue {
  switch (status) {
    case "completed":
      return ExitCode.completed;
    case "halted":
      return ExitCode.halted;
    case "rolled_back":
      return ExitCode.rolledBack;
    default:
      return ExitCode.other;
  }
}

/**
 * Prints another controller's events until the operation ends or halts, or
 * until that controller's runner lease lapses (`busy`: the caller takes over).
 */
async function follow(
  store: Store,
  operationId: string,
  afterSeq: number,
  printer: EventPrinter,
  signal: AbortSignal | undefined,
): Promise<{ stop: RunnerStop; lastSeq: number }> {
  let seq = afterSeq;
  for (;;) {
    for (const event of await store.listEvents(operationId, seq, 1000)) {
      printer.event(event);
      seq = event.seq;
    }
    const record = await store.getOperation(operationId);
    if (record === undefined) return { stop: { kind: "terminal", status: "failed" }, lastSeq: seq };
    if (record.status === "halted") return { stop: { kind: "halted" }, lastSeq: seq };
    if (TERMINAL.includes(record.status)) return { stop: { kind: "terminal", status: record.status }, lastSeq: seq };
    if (signal?.aborted) return { stop: { kind: "aborted" }, lastSeq: seq };
    const lease = await store.getRunnerLease(operationId);
    if (lease === undefined || lease.expiresAtMs <= (await store.nowMs()))
      return { stop: { kind: "busy", holder: "none" }, lastSeq: seq };
    await realClock.sleep(Math.min(1000, Math.max(100, lease.expiresAtMs - (await store.nowMs()))), signal);
  }
}

const TERMINAL: readonly string[] = ["completed", "rolled_back", "failed", "abandoned"];
