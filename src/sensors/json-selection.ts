/**
 * Turning a JSON document (an HTTP response, a command's stdout) into a
 * reading: a number, an object of numbers (a vector keyed by node), or the
 * elements of an array (`$.servers[*]` with `nodeKey`/`valueKey`). Shared by
 * the `http` and `command` sensors. Fails closed: missing, null or empty is
 * `empty`, never zero.
 */
import { z } from "zod";
import { isJsonObject, type JsonPath, parseJsonPath, selectJsonPath } from "../util/json-path.ts";
import { failedReading } from "./failed-reading.ts";
import type { NodeLabels, NodeValues, Reading } from "./sensor.ts";

/** A path in the supported JSONPath subset (validated with the plan). */
export const jsonPathSchema = z.string().superRefine((text, ctx) => {
  const parsed = parseJsonPath(text);
  if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.message });
});

/** Config fields for picking the reading out of a JSON document; spread into a sensor's config object. */
export const jsonSelectionShape = {
  path: jsonPathSchema
    .optional()
    .describe("Where the value is: a number, an object of numbers, or `...[*]` elements. Default `$`."),
  nodeKey: jsonPathSchema.optional().describe("With `[*]`: path inside each element to the node name."),
  valueKey: jsonPathSchema.optional().describe("With `[*]`: path inside each element to the number."),
  labels: z
    .record(z.string(), jsonPathSchema)
    .optional()
    .describe("With `[*]`: label name → path inside each element (e.g. `cohort: version`)."),
  observedAtPath: jsonPathSchema
    .optional()
    .describe("Path to the time the value was true; default: when the response arrived."),
  observedAtUnit: z
    .enum(["ms", "s"])
    .optional()
    .describe("Unit of a numeric `observedAtPath` value (ISO strings need none). Default `ms`."),
};

/** The selection fields as validated. */
export interface JsonSelectionConfig {
  readonly path?: string | undefined;
  readonly nodeKey?: string | undefined;
  readonly valueKey?: string | undefined;
  readonly labels?: Readonly<Record<string, string>> | undefined;
  readonly observedAtPath?: string | undefined;
  readonly observedAtUnit?: "ms" | "s" | undefined;
}

/** Cross-field rules, for `.superRefine` on a config object that spreads {@link jsonSelectionShape}. */
export function refineJsonSelection(config: JsonSelectionConfig, ctx: z.RefinementCtx): void {
  if (config.path !== undefined && hasWildcard(config.path)) {
    for (const field of ["nodeKey", "valueKey"] as const) {
      if (config[field] === undefined) {
        ctx.addIssue({ code: "custom", path: [field], message: `required when path selects elements with [*]` });
      }
    }
  } else {
    for (const field of ["nodeKey", "valueKey", "labels"] as const) {
      if (config[field] !== undefined) {
        ctx.addIssue({ code: "custom", path: [field], message: `only allowed when path selects elements with [*]` });
      }
    }
  }
  const single: [string, string | undefined][] = [
    ["nodeKey", config.nodeKey],
    ["valueKey", config.valueKey],
    ["observedAtPath", config.observedAtPath],
    ...Object.entries(config.labels ?? {}).map(([name, path]): [string, string] => [`labels.${name}`, path]),
  ];
  for (const [field, path] of single) {
    if (path !== undefined && hasWildcard(path)) {
      ctx.addIssue({ code: "custom", path: field.split("."), message: "must select a single value (no [*])" });
    }
  }
}

/** A compiled selection, built once per sensor. */
export interface JsonSelection {
  readonly path: JsonPath;
  readonly element?: { readonly nodeKey: JsonPath; readonly valueKey: JsonPath };
  readonly labels: readonly (readonly [string, JsonPath])[];
  readonly observedAt?: { readonly path: JsonPath; readonly unit: "ms" | "s" };
}

/** Compiles validated config. Throws only on config that skipped validation (a bug). */
export function compileJsonSelection(config: JsonSelectionConfig): JsonSelection {
  const path = compile(config.path ?? "$");
  const element =
    config.nodeKey !== undefined && config.valueKey !== undefined
      ? { nodeKey: compile(config.nodeKey), valueKey: compile(config.valueKey) }
      : undefined;
  return {
    path,
    ...(element === undefined ? {} : { element }),
    labels: Object.entries(config.labels ?? {}).map(([name, text]) => [name, compile(text)] as const),
    ...(config.observedAtPath === undefined
      ? {}
      : { observedAt: { path: compile(config.observedAtPath), unit: config.observedAtUnit ?? "ms" } }),
  };
}

/**
 * Parses `text` as JSON and selects the reading. `receivedAtMs` is the
 * observation time unless the selection names a timestamp field. Pure.
 */
export function readingFromJsonText(text: string, selection: JsonSelection, receivedAtMs: number): Reading {
  if (text.trim() === "") return failedReading("empty", "no output", receivedAtMs);
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return failedReading("parse", "output is not JSON (or a plain number)", receivedAtMs);
  }
  const observedAtMs = selection.observedAt === undefined ? receivedAtMs : timestampAt(document, selection.observedAt);
  if (typeof observedAtMs === "string") return failedReading("parse", observedAtMs, receivedAtMs);
  const value = selectValue(document, selection);
  return value.ok
    ? { ok: true, observedAtMs, value: value.value }
    : failedReading(value.code, value.message, observedAtMs);
}

type Selected =
  | { ok: true; value: Extract<Reading, { ok: true }>["value"] }
  | { ok: false; code: string; message: string };

function selectValue(document: unknown, selection: JsonSelection): Selected {
  const matches = selectJsonPath(document, selection.path);
  const where = selection.path.source;
  if (selection.element !== undefined) return selectElements(matches, selection.element, selection.labels, where);
  const [value] = matches;
  if (value === undefined || value === null) return { ok: false, code: "empty", message: `nothing at ${where}` };
  if (typeof value === "number") return { ok: true, value: { type: "scalar", value } };
  if (Array.isArray(value)) {
    return { ok: false, code: "type", message: `${where} is an array; select elements with [*], nodeKey and valueKey` };
  }
  if (!isJsonObject(value)) return { ok: false, code: "type", message: `${where} is a ${typeof value}, not a number` };
  const entries = Object.entries(value);
  if (entries.length === 0) return { ok: false, code: "empty", message: `${where} is an empty object` };
  const values: Record<string, number> = {};
  for (const [node, nodeValue] of entries) {
    if (typeof nodeValue !== "number") return notANumber(`${where}.${node}`, nodeValue);
    values[node] = nodeValue;
  }
  return { ok: true, value: { type: "vector", values } };
}

function selectElements(
  elements: readonly unknown[],
  keys: NonNullable<JsonSelection["element"]>,
  labelPaths: JsonSelection["labels"],
  where: string,
): Selected {
  if (elements.length === 0) return { ok: false, code: "empty", message: `no elements at ${where}` };
  const values: Record<string, number> = {};
  const labels: Record<string, Record<string, string>> = {};
  for (const [index, element] of elements.entries()) {
    const [node] = selectJsonPath(element, keys.nodeKey);
    const [value] = selectJsonPath(element, keys.valueKey);
    const at = `element ${index} of ${where}`;
    if (typeof node !== "string" && typeof node !== "number") {
      return { ok: false, code: "empty", message: `${at} has no node name at ${keys.nodeKey.source}` };
    }
    const name = String(node);
    if (Object.hasOwn(values, name))
      return { ok: false, code: "parse", message: `node ${name} appears twice in ${where}` };
    if (value === undefined || value === null) {
      return { ok: false, code: "empty", message: `node ${name} has no value at ${keys.valueKey.source}` };
    }
    if (typeof value !== "number") return notANumber(`node ${name} ${keys.valueKey.source}`, value);
    values[name] = value;
    const nodeLabels = labelsOf(element, labelPaths);
    if (nodeLabels !== undefined) labels[name] = nodeLabels;
  }
  const vector: { type: "vector"; values: NodeValues; labels?: NodeLabels } = { type: "vector", values };
  if (Object.keys(labels).length > 0) vector.labels = labels;
  return { ok: true, value: vector };
}

function labelsOf(element: unknown, labelPaths: JsonSelection["labels"]): Record<string, string> | undefined {
  const result: Record<string, string> = {};
  for (const [name, path] of labelPaths) {
    const [value] = selectJsonPath(element, path);
    // A missing label leaves the node unlabelled for that name; the evaluator decides what that means.
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean")
      result[name] = String(value);
  }
  return Object.keys(result).length > 0 ? result : undefined;
}

function notANumber(where: string, value: unknown): Selected {
  const kind = value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
  return { ok: false, code: "type", message: `${where} is a ${kind}, not a number` };
}

/** The timestamp in ms, or a message saying why there is none. */
function timestampAt(document: unknown, observedAt: NonNullable<JsonSelection["observedAt"]>): number | string {
  const [value] = selectJsonPath(document, observedAt.path);
  if (typeof value === "number" && Number.isFinite(value)) return observedAt.unit === "s" ? value * 1000 : value;
  if (typeof value === "string") {
    const parsed = Date.parse(value);
    if (Number.isFinite(parsed)) return parsed;
  }
  return `no timestamp at ${observedAt.path.source}`;
}

/** False for an invalid path too (its own field reports that). */
function hasWildcard(text: string): boolean {
  const parsed = parseJsonPath(text);
  return parsed.ok && parsed.value.hasWildcard;
}

function compile(text: string): JsonPath {
  const parsed = parseJsonPath(text);
  if (!parsed.ok) throw new Error(`invalid path ${text}: ${parsed.message}`);
  return parsed.value;
}
