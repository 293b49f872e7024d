/**
 * The application's own drain report of one node (the sample service's
 * `GET /drain`): the sum of numeric fields such as in-flight requests,
 * running jobs, unflushed buffers and open database connections.
 */
import { httpRequest } from "../../util/http-request.ts";
import { describeUrl } from "../../util/redact.ts";
import type { NodeRef } from "./node-hook.ts";
import { fillNodeUrl } from "./traffic-config.ts";

/** A node's outstanding work, or why it could not be read. */
export type DrainReportResult =
  | { readonly ok: true; readonly value: number }
  | { readonly ok: false; readonly code: string; readonly message: string };

/**
 * Sums `fields` of the JSON object a report answers. A missing, negative or
 * non-numeric field is a `parse` error (fail closed: an unknown amount of
 * work is not zero). Pure.
 */
export function sumDrainFields(body: string, fields: readonly string[]): DrainReportResult {
  let report: unknown;
  try {
    report = JSON.parse(body);
  } catch {
    return { ok: false, code: "parse", message: "drain report is not JSON" };
  }
  if (typeof report !== "object" || report === null || Array.isArray(report)) {
    return { ok: false, code: "parse", message: "drain report is not a JSON object" };
  }
  let sum = 0;
  for (const field of fields) {
    const value: unknown = (report as Record<string, unknown>)[field];
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      return { ok: false, code: "parse", message: `drain report field ${field} is not a count (${String(value)})` };
    }
    sum += value;
  }
  return { ok: true, value: sum };
}

/** GETs one node's report and sums its fields. Never throws; safe to retry (a read). */
export async function readDrainReport(
  urlTemplate: string,
  node: NodeRef,
  fields: readonly string[],
  timeoutMs: number,
  signal: AbortSignal,
): Promise<DrainReportResult> {
  const url = fillNodeUrl(urlTemplate, node);
  const response = await httpRequest({
    method: "GET",
    url,
    headers: { accept: "application/json" },
    timeoutMs,
    signal,
    secrets: [],
  });
  if (!response.ok) return response;
  if (response.status < 200 || response.status > 299) {
    return {
      ok: false,
      code: `http-${response.status}`,
      message: `GET ${describeUrl(url)} answered ${response.status}`,
    };
  }
  return sumDrainFields(response.body, fields);
}
