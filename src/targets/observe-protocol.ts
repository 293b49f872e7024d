/**
 * The observe protocol of the `command` and `webhook` targets: what an
 * `observe` command prints on stdout (or an `observeUrl` answers to GET).
 *
 * One JSON object, in one of two forms:
 *
 * - `{ "applied": ["key-1", "key-2"], "state": {...}, "drift": "..." }`:
 *   the idempotency keys whose actions have taken effect. Airlock decides:
 *   `matches` is whether the expected request's key is in the list.
 * - `{ "matches": true | false | "unknown", "state": {...}, "drift": "..." }`:
 *   the observer compares with the expected request itself (it receives it
 *   as `AIRLOCK_*` variables and the action JSON on stdin, or as query
 *   parameters `operationId`, `stageIndex`, `idempotencyKey`, `rollback`).
 *
 * `matches` wins when both are present. `state` (optional, never secrets) is
 * recorded in events; without it, `{ "applied": [...] }` is. `drift`
 * (optional) says the target was changed behind Airlock's back, a halt
 * reason. With no expected request, `matches` is `"unknown"` in the first
 * form. Observing must have no side effects.
 */
import { z } from "zod";
import type { Json, Observation, TargetResult } from "./target.ts";

const observeResponseSchema = z
  .object({
    applied: z.array(z.string()).optional(),
    matches: z.union([z.boolean(), z.literal("unknown")]).optional(),
    state: z.json().optional(),
    drift: z.string().min(1).optional(),
  })
  .refine((response) => response.applied !== undefined || response.matches !== undefined, {
    message: "needs applied or matches",
  });

/**
 * Interprets an observer's answer for the expected request's key. Malformed
 * answers are a non-retryable `parse` failure. Pure.
 */
export function observationFromText(
  text: string,
  expectedKey: string | undefined,
  observedAtMs: number,
): TargetResult<Observation> {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return { ok: false, code: "parse", message: "observer output is not JSON", retryable: false };
  }
  const parsed = observeResponseSchema.safeParse(document);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined || issue.path.length === 0 ? "" : ` at ${issue.path.join(".")}`;
    return {
      ok: false,
      code: "parse",
      message: `observer output breaks the observe protocol${where}: ${issue?.message ?? "invalid"}`,
      retryable: false,
    };
  }
  const { applied, matches, state, drift } = parsed.data;
  const keyMatches = applied !== undefined && expectedKey !== undefined ? applied.includes(expectedKey) : "unknown";
  const observation: { -readonly [K in keyof Observation]: Observation[K] } = {
    observedAtMs,
    state: state ?? ({ applied: applied ?? [] } satisfies Json),
    matches: matches ?? keyMatches,
  };
  if (drift !== undefined) observation.drift = drift;
  return { ok: true, value: observation };
}
