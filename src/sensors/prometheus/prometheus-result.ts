/**
 * Turning a Prometheus instant-query response (`/api/v1/query`) into sample
 * data, and samples into a reading. Pure. Fails closed: an empty result, a
 * NaN, a series without the node label or two series for one node are
 * errors, never zero or "pick one".
 */
import { failedReading } from "../failed-reading.ts";
import type { NodeLabels, NodeValues, Reading } from "../sensor.ts";

/** One sample of an instant query: its labels, value and timestamp in ms. */
export interface Sample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  readonly timestampMs: number;
}

/** A parsed instant-query result: a scalar or an instant vector. */
export type QueryResult =
  | { readonly ok: true; readonly type: "scalar"; readonly sample: Sample }
  | { readonly ok: true; readonly type: "vector"; readonly samples: readonly Sample[] }
  | { readonly ok: false; readonly code: string; readonly message: string };

/** How to shape samples into a reading. */
export interface Shape {
  /** Label whose value names the node; absent → a scalar reading from exactly one series. */
  readonly nodeLabel?: string | undefined;
  /** Label names copied into the reading's `labels` per node. */
  readonly labels?: readonly string[] | undefined;
}

/**
 * Parses the body of a `/api/v1/query` answer. Codes: `parse` (not JSON, or
 * not Prometheus' shape), `query` (`status: "error"`, e.g. a syntax error),
 * `type` (a matrix or string result).
 */
export function parseQueryResponse(body: string): QueryResult {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, code: "parse", message: "answer is not JSON" };
  }
  if (!isObject(json)) return { ok: false, code: "parse", message: "answer is not a JSON object" };
  if (json.status === "error") {
    return { ok: false, code: "query", message: `Prometheus: ${String(json.errorType)}: ${String(json.error)}` };
  }
  const data = json.data;
  if (json.status !== "success" || !isObject(data)) return { ok: false, code: "parse", message: "no data in answer" };
  if (data.resultType === "scalar") {
    const sample = parseSample({}, data.result);
    return sample === undefined
      ? { ok: false, code: "parse", message: "malformed scalar result" }
      : { ok: true, type: "scalar", sample };
  }
  if (data.resultType !== "vector") {
    return {
      ok: false,
      code: "type",
      message: `result type ${String(data.resultType)}; an instant vector or scalar is needed`,
    };
  }
  if (!Array.isArray(data.result)) return { ok: false, code: "parse", message: "vector result is not an array" };
  const samples: Sample[] = [];
  for (const entry of data.result) {
    const sample = isObject(entry) && isObject(entry.metric) ? parseSample(entry.metric, entry.value) : undefined;
    if (sample === undefined) return { ok: false, code: "parse", message: "malformed vector sample" };
    samples.push(sample);
  }
  return { ok: true, type: "vector", samples };
}

/**
 * Builds the reading from a parsed result. `observedAtMs` is the oldest
 * sample timestamp (or `timestampsMs`' entry for a series, when the caller
 * looked up each series' scrape time). Codes: `empty` (no series), `ambiguous`
 * (several series for a scalar, or for one node), `missing-label` (a series
 * without `nodeLabel`), `type` (a scalar where nodes are expected), `nan`
 * (NaN or ±Inf).
 */
export function readingFromResult(
  result: Extract<QueryResult, { ok: true }>,
  shape: Shape,
  failedAtMs: number,
  scrapeTimeMs: (sample: Sample) => number = (sample) => sample.timestampMs,
): Reading {
  const fail = (code: string, message: string): Reading => failedReading(code, message, failedAtMs);
  const samples = result.type === "scalar" ? [result.sample] : result.samples;
  if (samples.length === 0) return fail("empty", "the query returned no series");
  const notFinite = samples.find((sample) => !Number.isFinite(sample.value));
  if (notFinite !== undefined)
    return fail("nan", `series ${describeLabels(notFinite.labels)} has value ${notFinite.value}`);
  const observedAtMs = Math.min(...samples.map(scrapeTimeMs));

  if (shape.nodeLabel === undefined) {
    const [only, ...others] = samples;
    if (only === undefined || others.length > 0) {
      return fail(
        "ambiguous",
        `the query returned ${samples.length} series; a scalar needs exactly one (aggregate it)`,
      );
    }
    return { ok: true, observedAtMs, value: { type: "scalar", value: only.value } };
  }
  if (result.type === "scalar")
    return fail("type", `the query returned a scalar; nodes need series with label ${shape.nodeLabel}`);

  const values: Record<string, number> = {};
  const labels: Record<string, Record<string, string>> = {};
  for (const sample of samples) {
    const node = sample.labels[shape.nodeLabel];
    if (node === undefined || node === "") {
      return fail("missing-label", `series ${describeLabels(sample.labels)} has no label ${shape.nodeLabel}`);
    }
    if (node in values) {
      return fail(
        "ambiguous",
        `several series for ${shape.nodeLabel}="${node}"; aggregate with sum by (${shape.nodeLabel})`,
      );
    }
    values[node] = sample.value;
    const copied = Object.fromEntries(
      (shape.labels ?? []).flatMap((name) => {
        const value = sample.labels[name];
        return value === undefined ? [] : [[name, value]];
      }),
    );
    if (Object.keys(copied).length > 0) labels[node] = copied;
  }
  const vector: { type: "vector"; values: NodeValues; labels?: NodeLabels } = { type: "vector", values };
  if (Object.keys(labels).length > 0) vector.labels = labels;
  return { ok: true, observedAtMs, value: vector };
}

/** A stable key for a series' label set, to match a sample with its `timestamp()` twin. */
export function seriesKey(labels: Readonly<Record<string, string>>): string {
  return JSON.stringify(
    Object.entries(labels)
      .filter(([name]) => name !== "__name__")
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  );
}

/** How Prometheus writes the values `Number()` does not read. */
const SPECIAL_VALUES: Readonly<Record<string, number>> = {
  "+Inf": Number.POSITIVE_INFINITY,
  Inf: Number.POSITIVE_INFINITY,
  "-Inf": Number.NEGATIVE_INFINITY,
};

function parseSample(metric: Record<string, unknown>, value: unknown): Sample | undefined {
  if (!Array.isArray(value) || value.length !== 2) return undefined;
  const [seconds, text] = value;
  if (typeof seconds !== "number" || typeof text !== "string") return undefined;
  const parsed = SPECIAL_VALUES[text] ?? Number(text);
  if (text.trim() === "" || (Number.isNaN(parsed) && text !== "NaN")) return undefined;
  const labels: Record<string, string> = {};
  for (const [name, labelValue] of Object.entries(metric))
    if (typeof labelValue === "string") labels[name] = labelValue;
  return { labels, value: parsed, timestampMs: Math.round(seconds * 1000) };
}

function describeLabels(labels: Readonly<Record<string, string>>): string {
  const inner = Object.entries(labels)
    .map(([name, value]) => `${name}="${value}"`)
    .join(",");
  return `{${inner}}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
