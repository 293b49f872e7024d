/**
 * One HTTP request with a timeout and an abort signal, with transport
 * failures as values. Used by the `http` sensor and the `webhook` target.
 */

import { isTimeoutReason } from "./is-timeout-reason.ts";
import { describeUrl, redact } from "./redact.ts";

/** What to send. */
export interface HttpRequestOptions {
  readonly method: "GET" | "POST";
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  /** Values to scrub from error messages (resolved header values). */
  readonly secrets: readonly string[];
}

/** A response of any status, or a transport failure. */
export type HttpResponse =
  | { readonly ok: true; readonly status: number; readonly body: string }
  | { readonly ok: false; readonly code: "timeout" | "aborted" | "unreachable"; readonly message: string };

/**
 * Sends the request and reads the whole body. Never rejects. Messages name
 * the URL without its query (which may hold tokens) and never a header value.
 */
export async function httpRequest(options: HttpRequestOptions): Promise<HttpResponse> {
  const where = `${options.method} ${describeUrl(options.url)}`;
  const timeout = AbortSignal.timeout(options.timeoutMs);
  try {
    const response = await fetch(options.url, {
      method: options.method,
      headers: options.headers,
      signal: AbortSignal.any([options.signal, timeout]),
      ...(options.body === undefined ? {} : { body: options.body }),
    });
    return { ok: true, status: response.status, body: await response.text() };
  } catch (error) {
    if (options.signal.aborted) {
      return isTimeoutReason(options.signal.reason)
        ? { ok: false, code: "timeout", message: `${where}: read deadline passed` }
        : { ok: false, code: "aborted", message: `${where}: aborted` };
    }
    if (timeout.aborted)
      return { ok: false, code: "timeout", message: `${where}: no answer within ${options.timeoutMs} ms` };
    return { ok: false, code: "unreachable", message: redact(`${where}: ${transportError(error)}`, options.secrets) };
  }
}

function transportError(error: unknown): string {
  if (!(error instanceof Error)) return "request failed";
  const cause: unknown = error.cause;
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return code === undefined ? cause.message : code;
  }
  return error.message;
}
