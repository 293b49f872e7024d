/**
 * The plan's identity: a SHA-256 over a canonical JSON of the normalised
 * plan, so that key order, comments, YAML vs JSON and spelled-out defaults
 * do not change it, while any change in meaning does.
 */
import { createHash } from "node:crypto";
import type { Json } from "../targets/target.ts";
import type { Plan } from "./types.ts";

/**
 * JSON with object keys sorted at every level and `undefined` members
 * left out; non-finite numbers become `null` (as `JSON.stringify` does).
 * Pure and deterministic.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(toJson(value));
}

/** Hex SHA-256 of the plan's canonical JSON. Pure and deterministic. */
export function hashPlan(plan: Plan): string {
  return createHash("sha256").update(canonicalJson(plan)).digest("hex");
}

/**
 * Converts plain data (as parsed from YAML or JSON) to {@link Json} with
 * sorted keys; values JSON cannot hold become `null` (non-finite numbers)
 * or are left out (`undefined` members). Pure.
 */
export function toJson(value: unknown): Json {
  if (value === null || typeof value === "boolean" || typeof value === "string") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (Array.isArray(value)) return value.map((item) => (item === undefined ? null : toJson(item)));
  if (typeof value === "object") {
    const result: Record<string, Json> = {};
    for (const key of Object.keys(value).sort()) {
      const member: unknown = Reflect.get(value, key);
      // defineProperty: a `__proto__` key in user data must stay a plain member.
      if (member !== undefined) Object.defineProperty(result, key, { value: toJson(member), enumerable: true });
    }
    return result;
  }
  return null;
}
