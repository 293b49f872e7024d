/**
 * A small client of the Airlock API (for `airlock run --server URL` and
 * scripts): submit a plan, read an operation, queue a command, follow the
 * event stream. Failures are values carrying the server's error code,
 * message, field and (for plans) every positioned error. The token goes only
 * in the Authorization header.
 */
import type { StoredEvent } from "../store/store.ts";
import type { OperationDetail } from "./operation-view.ts";

/** Where and as whom to call. */
export interface ApiClientOptions {
  /** e.g. `http://127.0.0.1:8080` (no trailing path). */
  readonly baseUrl: string;
  readonly token?: string;
  /** Per request (not for streams). Default 10 s. */
  readonly timeoutMs?: number;
}

/** A plan error as the server reports it. */
export interface RemotePlanError {
  readonly line: number;
  readonly column: number;
  readonly path: string;
  readonly message: string;
}

/** Outcome of a call. `status` 0: the server could not be reached. */
export type ClientResult<T> =
  | { readonly ok: true; readonly status: number; readonly value: T }
  | {
      readonly ok: false;
      readonly status: number;
      readonly code: string;
      readonly message: string;
      readonly field?: string;
      readonly errors?: readonly RemotePlanError[];
    };

/** Submits plan text (YAML or JSON): `created` false means it attached to the live operation of the same plan. */
export function submitPlan(
  options: ApiClientOptions,
  source: string,
): Promise<ClientResult<{ readonly created: boolean; readonly operation: OperationDetail }>> {
  return call(options, "POST", "/api/v1/operations", source, "application/yaml");
}

/** Reads one operation. */
export function getOperation(options: ApiClientOptions, id: string): Promise<ClientResult<OperationDetail>> {
  return call(options, "GET", `/api/v1/operations/${encodeURIComponent(id)}`);
}

/** Queues a manual command (`halt`, `resume`, `rollback`, `abandon`, `advance`, `ack`) with its JSON body. */
export function sendCommand(
  options: ApiClientOptions,
  id: string,
  command: "halt" | "resume" | "rollback" | "abandon" | "advance" | "ack",
  body: Readonly<Record<string, unknown>>,
): Promise<ClientResult<{ readonly queued: { readonly id: number; readonly actor: string } }>> {
  return call(
    options,
    "POST",
    `/api/v1/operations/${encodeURIComponent(id)}/${command}`,
    JSON.stringify(body),
    "application/json",
  );
}

/**
 * Follows an operation's events from `afterSeq`, calling `onEvent` for
 * each, reconnecting (with `Last-Event-ID`) when the connection drops.
 * Resolves when `signal` aborts (ok) or on an answer that retrying cannot
 * fix (401, 403, 404).
 */
export async function streamEvents(
  options: ApiClientOptions,
  id: string,
  onEvent: (event: StoredEvent) => void,
  follow: { readonly afterSeq?: number; readonly signal: AbortSignal },
): Promise<ClientResult<void>> {
  let lastSeq = follow.afterSeq ?? 0;
  let delayMs = 250;
  while (!follow.signal.aborted) {
    try {
      const response = await fetch(`${options.baseUrl}/api/v1/operations/${encodeURIComponent(id)}/stream`, {
        headers: { ...headers(options), "last-event-id": String(lastSeq) },
        signal: follow.signal,
      });
      if (!response.ok || response.body === null) {
        const failed = await failure(response);
        if ([401, 403, 404].includes(response.status)) return failed;
      } else {
        delayMs = 250;
        const parse = sseEvents((data) => {
          const event = JSON.parse(data) as StoredEvent;
          lastSeq = event.seq;
          onEvent(event);
        });
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) parse(chunk.value);
      }
    } catch {
      if (follow.signal.aborted) break;
    }
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    delayMs = Math.min(delayMs * 2, 5_000);
  }
  return { ok: true, status: 200, value: undefined };
}

/** Feeds SSE text; calls `onData` with each complete event's data (comments and heartbeats skipped). */
export function sseEvents(onData: (data: string) => void): (chunk: string) => void {
  let buffer = "";
  return (chunk) => {
    buffer += chunk.replace(/\r\n?/g, "\n");
    for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
      const data = buffer
        .slice(0, end)
        .split("\n")
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).replace(/^ /, ""));
      buffer = buffer.slice(end + 2);
      if (data.length > 0) onData(data.join("\n"));
    }
  };
}

async function call<T>(
  options: ApiClientOptions,
  method: "GET" | "POST",
  path: string,
  body?: string,
  contentType?: string,
): Promise<ClientResult<T>> {
  let response: Response;
  try {
    response = await fetch(`${options.baseUrl}${path}`, {
      method,
      headers: { ...headers(options), ...(contentType === undefined ? {} : { "content-type": contentType }) },
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      ...(body === undefined ? {} : { body }),
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, status: 0, code: "unreachable", message: `cannot reach ${options.baseUrl}: ${message}` };
  }
  if (!response.ok) return failure(response);
  return { ok: true, status: response.status, value: (await response.json()) as T };
}

function headers(options: ApiClientOptions): Record<string, string> {
  return options.token === undefined ? {} : { authorization: `Bearer ${options.token}` };
}

async function failure(response: Response): Promise<Extract<ClientResult<never>, { ok: false }>> {
  const body = (await response.json().catch(() => ({}))) as {
    error?: { code?: string; message?: string; field?: string };
    errors?: RemotePlanError[];
  };
  return {
    ok: false,
    status: response.status,
    code: body.error?.code ?? "http-error",
    message: body.error?.message ?? `HTTP ${response.status}`,
    ...(body.error?.field === undefined ? {} : { field: body.error.field }),
    ...(body.errors === undefined ? {} : { errors: body.errors }),
  };
}
