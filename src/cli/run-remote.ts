/**
 * `airlock run PLAN --server URL`: submit the plan to a running `airlock
 * serve` (which runs it) and follow its events until it ends or halts, with
 * the same output and exit codes as a local run. The token is read from
 * `--token-file` or `AIRLOCK_TOKEN` and sent only in the Authorization header.
 */
import { getOperation, streamEvents, submitPlan } from "../api/client.ts";
import type { StoredEvent } from "../store/store.ts";
import { ExitCode } from "./exit-codes.ts";
import type { LoadedPlan } from "./load-plan.ts";
import type { Output } from "./output.ts";
import { EventPrinter, type RenderMode, summarize } from "./render.ts";
import { exitCodeFor } from "./run-operation.ts";

/** Where to submit, and how to print. */
export interface RemoteRunOptions {
  readonly server: string;
  readonly token?: string;
  readonly out: Output;
  readonly mode: RenderMode;
  readonly signal?: AbortSignal;
}

const ENDED: ReadonlySet<string> = new Set(["completed", "rolled_back", "failed", "abandoned"]);

/** Submits and follows; resolves to the CLI exit code. */
export async function runRemote(loaded: LoadedPlan, options: RemoteRunOptions): Promise<number> {
  const { out } = options;
  const client = {
    baseUrl: options.server.replace(/\/+$/, ""),
    ...(options.token === undefined ? {} : { token: options.token }),
  };
  const submitted = await submitPlan(client, loaded.source);
  if (!submitted.ok) {
    for (const e of submitted.errors ?? []) out.error(`${loaded.file}:${e.line}:${e.column} ${e.path}: ${e.message}`);
    out.error(
      `airlock: ${options.server} refused the plan (${submitted.status} ${submitted.code}): ${submitted.message}`,
    );
    return submitted.status === 400 || submitted.status === 403 || submitted.status === 409
      ? ExitCode.invalid
      : ExitCode.other;
  }
  const id = submitted.value.operation.id;
  out.error(`airlock: ${submitted.value.created ? "submitted" : "attached to"} operation ${id} on ${options.server}`);
  const printer = new EventPrinter(out, options.mode, loaded.plan);
  const events: StoredEvent[] = [];
  const follow = new AbortController();
  const onAbort = (): void => follow.abort();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  const streaming = streamEvents(
    client,
    id,
    (event) => {
      events.push(event);
      printer.event(event);
    },
    { signal: follow.signal },
  );
  let status = submitted.value.operation.status as string;
  try {
    while (!follow.signal.aborted) {
      const current = await getOperation(client, id);
      if (current.ok) {
        status = current.value.status;
        printer.status(current.value.explanation);
        const stopsHere = ENDED.has(status) || (status === "halted" && loaded.plan.onHalt === "pause");
        if (stopsHere) break;
      }
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  } finally {
    await new Promise((resolve) => setTimeout(resolve, 300)); // let the last events arrive
    follow.abort();
    options.signal?.removeEventListener("abort", onAbort);
    await streaming;
  }
  printer.summary(summarize(id, loaded.plan.name, status as never, events));
  if (options.signal?.aborted) {
    out.error(`airlock: stopped following; ${options.server} keeps running operation ${id}`);
    return ExitCode.interrupted;
  }
  return exitCodeFor(status);
}
