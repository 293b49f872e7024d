/**
 * A JSON client for the built-in router's admin API: every call has a
 * deadline, and every failure is a value with a stable code — `unreachable`,
 * `timeout`, `http-<status>`, `parse`.
 */
import type { z } from "zod";
import type { TargetResult } from "../../target.ts";

/** How to reach one router's admin API. */
export interface AdminClientOptions {
  /** Admin base URL, e.g. `http://127.0.0.1:9901`. */
  readonly adminUrl: string;
  /** Bearer token for mutations; sent only in the `Authorization` header, never in results. */
  readonly adminToken?: string;
  /** Deadline of one call, on top of the caller's signal. */
  readonly timeoutMs: number;
}

/** One admin call: method, path (already encoded), optional JSON body, and the schema of a good answer. */
export interface AdminCall<T> {
  readonly method: "GET" | "PUT" | "POST" | "DELETE";
  readonly path: string;
  readonly body?: unknown;
  readonly schema: z.ZodType<T>;
}

/**
 * Perform one call. Never rejects. A timeout (the client's own deadline or
 * the caller's signal) is `timeout`; a refused or reset connection is
 * `unreachable`; both are retryable, like 5xx answers.
 */
export async function adminRequest<T>(
  options: AdminClientOptions,
  call: AdminCall<T>,
  signal: AbortSignal,
): Promise<TargetResult<T>> {
  const deadline = AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs)]);
  const headers: Record<string, string> = {};
  if (call.body !== undefined) headers["content-type"] = "application/json";
  if (options.adminToken !== undefined && call.method !== "GET") headers.authorization = `Bearer ${options.adminToken}`;
  let status: number;
  let text: string;
  try {
    const response = await fetch(`${options.adminUrl}${call.path}`, {
      method: call.method,
      headers,
      signal: deadline,
      ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
    });
    status = response.status;
    text = await response.text();
  } catch (error) {
    if (deadline.aborted) {
      return failure(
        "timeout",
        `${call.method} ${call.path}: no answer within ${options.timeoutMs} ms or the caller gave up`,
        true,
      );
    }
    return failure("unreachable", `${call.method} ${call.path}: ${describeNetworkError(error)}`, true);
  }
  if (status < 200 || status > 299) {
    return failure(
      `http-${status}`,
      `${call.method} ${call.path}: ${status} ${errorDetail(text)}`,
      status >= 500 || status === 429,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return failure("parse", `${call.method} ${call.path}: answer is not JSON`, false);
  }
  const parsed = call.schema.safeParse(json);
  if (!parsed.success) return failure("parse", `${call.method} ${call.path}: unexpected answer shape`, false);
  return { ok: true, value: parsed.data };
}

function failure<T>(code: string, message: string, retryable: boolean): TargetResult<T> {
  return { ok: false, code, message, retryable };
}

/** The router's `{ error, message }` answer, shortened; admin answers never carry the token. */
function errorDetail(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: unknown; message?: unknown };
    if (typeof body.error === "string") return `${body.error}: ${String(body.message ?? "")}`.slice(0, 200);
  } catch {
    // not JSON: fall through
  }
  return text.slice(0, 200);
}

function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof cause?.code === "string") return cause.code;
  return error instanceof Error ? error.message : "network error";
}
