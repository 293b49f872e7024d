/**
 * Runs a zod schema over part of a plan and turns its issues into
 * {@link PlanIssue}s whose messages say what was expected and what was
 * found. Used for the surface schema and for every kind's own schemas.
 */
import type { z } from "zod";
import type { PathSegment } from "./source-map.ts";

/** A validation problem at a field path, before it is given a source position. */
export interface PlanIssue {
  readonly path: readonly PathSegment[];
  readonly message: string;
  /** Point at the key (unknown field, invalid name) rather than the value. */
  readonly pointAt: "value" | "key";
}

/**
 * Marks "no schema-level message": schemas that set their own message win
 * over this per-parse fallback, and the rest are phrased here with the full
 * path known.
 */
const DEFAULT_MESSAGE = "\u0000default";

const EXPECTED_TYPE: Readonly<Record<string, string>> = {
  object: "a mapping",
  record: "a mapping",
  map: "a mapping",
  array: "a list",
  string: "a string",
  number: "a number",
  int: "an integer",
  boolean: "true or false",
};

/** Keys whose values are never echoed back in messages. */
const SECRET_KEY = /token|password|secret|credential|apikey|api_key|private/i;

/** Outcome of {@link validateWith}. */
export type Validated<T> =
  | { readonly ok: true; readonly data: T }
  | { readonly ok: false; readonly issues: readonly PlanIssue[] };

/**
 * Validates `value` with `schema`; issue paths are prefixed with `basePath`.
 * Synchronous schemas only; never throws for invalid input.
 */
export function validateWith<T>(schema: z.ZodType<T>, value: unknown, basePath: readonly PathSegment[]): Validated<T> {
  const result = schema.safeParse(value, { error: () => DEFAULT_MESSAGE, reportInput: true });
  if (result.success) return { ok: true, data: result.data };
  return { ok: false, issues: result.error.issues.flatMap((issue) => toPlanIssues(issue, basePath)) };
}

function toPlanIssues(issue: z.core.$ZodIssue, basePath: readonly PathSegment[]): PlanIssue[] {
  const path = [...basePath, ...issue.path.filter(isPathSegment)];
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => ({ path: [...path, key], message: `unknown field "${key}"`, pointAt: "key" }));
  }
  const message = issue.message === DEFAULT_MESSAGE ? defaultMessage(issue, path) : issue.message;
  return [{ path, message, pointAt: issue.code === "invalid_key" ? "key" : "value" }];
}

function isPathSegment(segment: PropertyKey): segment is PathSegment {
  return typeof segment === "string" || typeof segment === "number";
}

function defaultMessage(issue: z.core.$ZodIssue, path: readonly PathSegment[]): string {
  const last = path[path.length - 1];
  const hidden = typeof last === "string" && SECRET_KEY.test(last);
  const found = hidden ? "a value (not shown)" : describeValue(issue.input);
  switch (issue.code) {
    case "invalid_type": {
      const expected = EXPECTED_TYPE[issue.expected] ?? issue.expected;
      if (issue.input === undefined) return `required field missing: expected ${expected}`;
      const received = "received" in issue && typeof issue.received === "string" ? issue.received : found;
      return `expected ${expected}, found ${received}`;
    }
    case "too_small":
    case "too_big":
      return `expected ${bound(issue)}, found ${found}`;
    case "invalid_value":
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}, found ${found}`;
    case "invalid_format":
      return `expected ${issue.format}${issue.pattern === undefined ? "" : ` matching ${issue.pattern}`}, found ${found}`;
    case "invalid_key": {
      const inner = issue.issues.find((nested) => nested.message !== DEFAULT_MESSAGE);
      return inner?.message ?? `invalid name ${found}`;
    }
    case "invalid_union":
      return `found ${found}, which matches none of the allowed forms`;
    case "not_multiple_of":
      return `expected a multiple of ${issue.divisor}, found ${found}`;
    default:
      return `invalid value: found ${found}`;
  }
}

function bound(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig): string {
  const small = issue.code === "too_small";
  const limit = small ? issue.minimum : issue.maximum;
  switch (issue.origin) {
    case "array":
    case "set":
      return `${small ? "at least" : "at most"} ${limit} item${limit === 1 ? "" : "s"}`;
    case "string":
      return small && limit === 1 ? "a non-empty string" : `${small ? "at least" : "at most"} ${limit} characters`;
    default: {
      const op = small ? (issue.inclusive ? ">=" : ">") : issue.inclusive ? "<=" : "<";
      return `a number ${op} ${limit}`;
    }
  }
}

/** Short description of a found value for messages ("the string \"x\"", "a list"). */
function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null (an empty value)";
  if (typeof value === "string") {
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return `the string ${JSON.stringify(shown)}`;
  }
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `a list of ${value.length} item${value.length === 1 ? "" : "s"}`;
  if (typeof value === "object") return "a mapping";
  return typeof value;
}
