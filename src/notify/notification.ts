/**
 * Which events people are told about — a stage sealed, a halt, a rollback
 * starting and ending, completion — and the one-line text for each. Pure.
 */
import type { StoredEvent } from "../store/store.ts";
import type { Json } from "../targets/target.ts";

/** The event types that notify. */
export const NOTIFYING_EVENTS: ReadonlySet<string> = new Set([
  "StageSealed",
  "Halted",
  "RollbackStarted",
  "RolledBack",
  "OperationCompleted",
]);

/** What the notifier knows about an event's operation. */
export interface OperationContext {
  readonly plan: string;
  readonly domain: string;
  readonly stageCount: number;
}

/** One notification, format-neutral. */
export interface Notification {
  readonly event: string;
  readonly operation: string;
  readonly plan: string;
  readonly domain: string;
  readonly seq: number;
  readonly atMs: number;
  /** `good`, `warning` or `danger`: how a chat client might colour it. */
  readonly severity: "good" | "warning" | "danger";
  /** One line for people. */
  readonly text: string;
  /** The event's data as recorded. */
  readonly data: Json;
}

/** The notification for `event`, or undefined when the event type does not notify. */
export function notificationOf(event: StoredEvent, context: OperationContext): Notification | undefined {
  if (!NOTIFYING_EVENTS.has(event.type)) return undefined;
  const data = isRecord(event.data) ? event.data : {};
  const { severity, text } = describe(event.type, data, context);
  return {
    event: event.type,
    operation: event.operationId,
    plan: context.plan,
    domain: context.domain,
    seq: event.seq,
    atMs: event.atMs,
    severity,
    text: `${context.plan} (${event.operationId}): ${text}`,
    data: event.data,
  };
}

function describe(
  type: string,
  data: { readonly [key: string]: Json },
  context: OperationContext,
): { severity: Notification["severity"]; text: string } {
  switch (type) {
    case "StageSealed": {
      const index = typeof data.index === "number" ? `${data.index + 1}/${context.stageCount} ` : "";
      const rollback = data.track === "rollback" ? "rollback step" : "stage";
      return {
        severity: "good",
        text: `${rollback} ${index}${str(data.stage)} sealed after ${seconds(data.durationMs)}`,
      };
    }
    case "Halted":
      return { severity: "danger", text: `halted in domain ${context.domain}: ${str(data.message)}` };
    case "RollbackStarted":
      return { severity: "warning", text: `rollback started by ${str(data.actor)}: ${str(data.reason)}` };
    case "RolledBack":
      return { severity: "warning", text: `rolled back in ${seconds(data.durationMs)}` };
    default:
      return { severity: "good", text: `completed: ${context.stageCount} stages in ${seconds(data.durationMs)}` };
  }
}

function str(value: Json | undefined): string {
  return typeof value === "string" && value !== "" ? value : "?";
}

function seconds(value: Json | undefined): string {
  return typeof value === "number" ? `${(value / 1000).toFixed(1)}s` : "?";
}

function isRecord(value: Json): value is { readonly [key: string]: Json } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
