/**
 * Request and response plumbing for the API: bounded body reading, JSON
 * answers, and errors as `{ error: { code, message, field? } }`. Never echoes
 * request headers or query strings (they might carry tokens).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { z } from "zod";

/** An API error as a value: HTTP status plus the JSON body's `error`. */
export interface ApiError {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  /** The request field at fault (`reason`, `query.limit`, `body`), when there is one. */
  readonly field?: string;
  /** Extra top-level body members (e.g. every plan error under `errors`). */
  readonly extra?: Readonly<Record<string, unknown>>;
  /** Extra response headers (e.g. `Allow` on a 405). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** A result that is either a value or an {@link ApiError}. */
export type ApiResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ApiError };

/** Builds an {@link ApiError} result. */
export function fail(
  status: number,
  code: string,
  message: string,
  more: Omit<ApiError, "status" | "code" | "message"> = {},
): { readonly ok: false; readonly error: ApiError } {
  return { ok: false, error: { status, code, message, ...more } };
}

/** Default request body limit: 1 MiB. */
export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * Reads the whole body as UTF-8, refusing (413) as soon as it exceeds
 * `limitBytes`, by `Content-Length` before reading or by counting while reading.
 */
export async function readBody(req: IncomingMessage, limitBytes: number): Promise<ApiResult<string>> {
  const tooLarge = fail(413, "body-too-large", `request body exceeds ${limitBytes} bytes`, { field: "body" });
  const declared = Number(req.headers["content-length"] ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limitBytes) {
    req.resume();
    return tooLarge;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req) {
      const buffer = chunk as Buffer;
      size += buffer.length;
      if (size > limitBytes) {
        req.resume();
        return tooLarge;
      }
      chunks.push(buffer);
    }
  } catch {
    return fail(400, "body-unreadable", "the request body could not be read", { field: "body" });
  }
  return { ok: true, value: Buffer.concat(chunks).toString("utf8") };
}

/** Parses `text` as JSON (empty means `{}`) and validates it; the first problem names its field. */
export function parseJson<T>(text: string, schema: z.ZodType<T>): ApiResult<T> {
  let data: unknown = {};
  if (text.trim() !== "") {
    try {
      data = JSON.parse(text);
    } catch {
      return fail(400, "bad-json", "the request body is not valid JSON", { field: "body" });
    }
  }
  return validate(data, schema, "");
}

/** Validates `data`; the first issue becomes a 400 naming its field (prefixed by `prefix`, e.g. `query.`). */
export function validate<T>(data: unknown, schema: z.ZodType<T>, prefix: string): ApiResult<T> {
  const parsed = schema.safeParse(data);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  const segments = [...(issue?.path ?? []), ...(issue?.code === "unrecognized_keys" ? issue.keys.slice(0, 1) : [])];
  const field = `${prefix}${segments.map(String).join(".")}`.replace(/\.$/, "") || "body";
  return fail(400, "invalid-request", `${field}: ${issue?.message ?? "invalid"}`, { field });
}

/** Headers every API response carries. */
const API_HEADERS = {
  "content-type": "application/json; charset=utf-8",
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
} as const;

/** Sends `body` as JSON with `status`. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...API_HEADERS, ...headers, "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** Sends an {@link ApiError} as `{ error: { code, message, field? }, ...extra }`. */
export function sendError(res: ServerResponse, error: ApiError): void {
  const body = {
    error: { code: error.code, message: error.message, ...(error.field === undefined ? {} : { field: error.field }) },
    ...error.extra,
  };
  sendJson(res, error.status, body, error.headers);
}
