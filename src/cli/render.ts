/**
 * Turns events into what the CLI prints: a live status line and event lines
 * on a TTY, one plain line per event elsewhere, one JSON object per line with
 * `--json` (the last one the summary).
 */
import type { Plan } from "../plan/types.ts";
import type { OperationStatus, StoredEvent } from "../store/store.ts";
import type { Json } from "../targets/target.ts";
import type { Output } from "./output.ts";

/** How progress is printed. */
export type RenderMode = "human" | "json";

/** The final line of `run --json` and the body of the human summary. */
export interface RunSummary {
  readonly operation: string;
  readonly plan: string;
  readonly outcome: "completed" | "halted" | "rolled_back" | "failed" | "abandoned" | "running";
  readonly stages: readonly { readonly stage: string; readonly sealedAtMs: number; readonly detail: Json }[];
  readonly halt?: Json;
}

/** Maps a stored status to a summary outcome. */
export function outcomeOf(status: OperationStatus): RunSummary["outcome"] {
  switch (status) {
    case "completed":
    case "halted":
    case "rolled_back":
    case "failed":
    case "abandoned":
      return status;
    case "pending":
    case "running":
      return "running";
  }
}

/** Builds the summary from an operation's full event log. */
export function summarize(
  operation: string,
  plan: string,
  status: OperationStatus,
  events: readonly StoredEvent[],
): RunSummary {
  const stages = events
    .filter((e) => e.type === "StageSealed" || e.type === "StageForced")
    .map((e) => ({ stage: field(e.data, "stage") ?? "?", sealedAtMs: e.atMs, detail: e.data }));
  const lastHalt = [...events].reverse().find((e) => e.type === "Halted");
  const base = { operation, plan, outcome: outcomeOf(status), stages };
  return lastHalt === undefined || status === "completed" ? base : { ...base, halt: lastHalt.data };
}

/** One readable line for an event. */
export function formatEvent(event: StoredEvent, plan: Plan): string {
  const time = new Date(event.atMs).toISOString().slice(11, 19);
  const stage = field(event.data, "stage");
  const index = plan.stages.findIndex((s) => s.name === stage);
  const rollback = field(event.data, "track") === "rollback";
  const where =
    stage === undefined
      ? ""
      : index >= 0 && !rollback
        ? ` stage ${index + 1}/${plan.stages.length} ${stage}`
        : ` ${stage}`;
  return `${time} ${event.type}${where}${describe(event)}`;
}

function describe(event: StoredEvent): string {
  const data = event.data;
  const message = field(data, "message");
  switch (event.type) {
    case "ActionIntended":
      return `: ${compact(record(data)?.action ?? null)} (key ${field(data, "idempotencyKey") ?? "?"})`;
    case "ActionApplied":
      return record(data)?.recovered === true ? ": applied (recovered after restart)" : ": applied";
    case "GateWaiting": {
      const failing = Array.isArray(record(data)?.failing) ? (record(data)?.failing as readonly Json[]) : [];
      const parts = failing.map(
        (f) => `${field(f, "label") ?? field(f, "gate")} ${field(f, "observed")}, want ${field(f, "expected")}`,
      );
      return parts.length === 0 ? "" : `: waiting — ${parts.join("; ")}`;
    }
    case "StageSealed": {
      const gates = Array.isArray(record(data)?.gates) ? (record(data)?.gates as readonly Json[]) : [];
      const waited = gates.map((g) => `${field(g, "label") ?? field(g, "gate")} ${seconds(record(g)?.waitedMs)}`);
      return `: sealed after ${seconds(record(data)?.durationMs)}${waited.length === 0 ? "" : ` (waited for: ${waited.join(", ")})`}`;
    }
    case "OperationStarted":
    case "StageStarted":
      return "";
    case "OperationCompleted":
      return `: ${record(data)?.stages ?? "?"} stages in ${seconds(record(data)?.durationMs)}`;
    default:
      return message !== undefined ? `: ${message}` : compact(data) === "" ? "" : `: ${compact(data)}`;
  }
}

/** Prints events as they are committed. */
export class EventPrinter {
  readonly #out: Output;
  readonly #mode: RenderMode;
  readonly #plan: Plan;

  /** @param out where to print; @param mode human or json; @param plan for stage numbering */
  constructor(out: Output, mode: RenderMode, plan: Plan) {
    this.#out = out;
    this.#mode = mode;
    this.#plan = plan;
  }

  /** Prints one event. */
  event(event: StoredEvent): void {
    if (this.#mode === "json")
      this.#out.line(JSON.stringify({ event: event.type, seq: event.seq, atMs: event.atMs, data: event.data }));
    else this.#out.line(formatEvent(event, this.#plan));
  }

  /** Updates the live status line (TTY, human mode only). */
  status(text: string): void {
    if (this.#mode === "human") this.#out.status(text);
  }

  /** Prints the summary: a JSON line, or a short human report. */
  summary(summary: RunSummary): void {
    if (this.#mode === "json") {
      this.#out.line(JSON.stringify(summary));
      return;
    }
    this.#out.line(`operation ${summary.operation} (${summary.plan}): ${summary.outcome}`);
    for (const stage of summary.stages) {
      const gates = Array.isArray(record(stage.detail)?.gates) ? (record(stage.detail)?.gates as readonly Json[]) : [];
      const waited = gates
        .map((g) => `${field(g, "label") ?? field(g, "gate")} ${seconds(record(g)?.waitedMs)}`)
        .join(", ");
      this.#out.line(
        `  ${stage.stage}: sealed after ${seconds(record(stage.detail)?.durationMs)}${waited === "" ? "" : ` — waited for ${waited}`}`,
      );
    }
    if (summary.halt !== undefined)
      this.#out.line(`  halt: ${field(summary.halt, "message") ?? compact(summary.halt)}`);
  }
}

function record(data: Json | undefined): { readonly [k: string]: Json } | undefined {
  if (typeof data !== "object" || data === null || Array.isArray(data)) return undefined;
  return data as { readonly [k: string]: Json };
}

function field(data: Json | undefined, key: string): string | undefined {
  const value = record(data)?.[key];
  return typeof value === "string" ? value : typeof value === "number" ? String(value) : undefined;
}

function seconds(ms: Json | undefined): string {
  return typeof ms === "number" ? `${(ms / 1000).toFixed(1)}s` : "?";
}

function compact(data: Json): string {
  const text = JSON.stringify(data) ?? "";
  return text === "{}" || text === "null" ? "" : text.length > 300 ? `${text.slice(0, 297)}...` : text;
}
