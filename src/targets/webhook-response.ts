/**
 * How a webhook's answer becomes a target result, shared by the `webhook`
 * target and the traffic target's per-node hooks: 2xx applied; 409 saying the
 * fencing token is stale → `fenced`, never retried; 408, 425, 429, 5xx and
 * transport failures retryable; anything else a plain failure.
 */
import type { HttpResponse } from "../util/http-request.ts";
import type { TargetResult } from "./target.ts";

const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 425, 429]);

/** Classifies one answer; `where` prefixes messages (never a URL with secrets). Pure. */
export function classifyWebhookResponse(where: string, response: HttpResponse): TargetResult<string> {
  if (!response.ok) return { ok: false, code: response.code, message: response.message, retryable: true };
  const { status, body } = response;
  if (status >= 200 && status <= 299) return { ok: true, value: body };
  if (status === 409 && saysTokenIsStale(body)) {
    return { ok: false, code: "fenced", message: `${where}: receiver refused a stale fencing token`, retryable: false };
  }
  const retryable = status >= 500 || RETRYABLE_STATUSES.has(status);
  return { ok: false, code: `http-${status}`, message: `${where}: answered HTTP ${status}`, retryable };
}

function saysTokenIsStale(body: string): boolean {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === "object" && parsed !== null && "code" in parsed && parsed.code === "fenced") return true;
  } catch {
    // Not JSON: fall back to the text.
  }
  return /stale|fenced/i.test(body);
}
