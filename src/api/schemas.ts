/**
 * Request schemas of the API (zod): bodies of the manual commands and the
 * freeze, and the list/events query parameters. Unknown fields are refused
 * so a typo is a 400 naming the field, not a silently ignored option. The
 * same schemas produce the OpenAPI document's request bodies.
 */
import { z } from "zod";

const MAX_REASON = 2000;
const reason = z
  .string()
  .trim()
  .min(1, "a reason is required")
  .max(MAX_REASON)
  .describe("Why; recorded in the event log.");
const optionalReason = z.string().trim().max(MAX_REASON).optional().describe("Why; recorded in the event log.");
const name = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:@-]*$/, "expected a name of letters, digits and . _ : @ -");

/** `halt`, `rollback`, `abandon`: a reason is required (as in the CLI). */
export const reasonBody = z.strictObject({ reason });

/** `resume`: the reason is optional. */
export const resumeBody = z.strictObject({ reason: optionalReason });

/** `advance`: force the current stage sealed regardless of its gates. */
export const advanceBody = z.strictObject({
  force: z.literal(true, "advance needs force: true").describe("Must be true: this overrides the gates."),
  reason,
});

/** `ack`: a consumer (or approver) acknowledges a stage (default: the current one). */
export const ackBody = z.strictObject({
  consumer: name.describe("The consumer or approver acknowledging; an ack token may only name its own."),
  stage: z.string().min(1).max(256).optional().describe("Stage acknowledged; default the current one."),
  reason: optionalReason,
});

/** Freeze a domain: autoscalers and pipelines read it; operations there halt. */
export const freezeBody = z.strictObject({
  reason,
  ttlMs: z
    .int()
    .positive()
    .max(7 * 24 * 3_600_000)
    .optional()
    .describe("Expire after this many ms; absent: until unfrozen."),
});

const STATUSES = ["pending", "running", "halted", "completed", "rolled_back", "failed", "abandoned"] as const;
const count = (max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d+$/, "expected a whole number")
    .transform(Number)
    .pipe(z.int().min(1).max(max))
    .optional()
    .transform((value) => value ?? fallback);

/** `GET /api/v1/operations` query. */
export const listQuery = z.strictObject({
  status: z.enum(STATUSES).optional(),
  domain: name.optional(),
  plan: name.optional(),
  live: z.enum(["true", "false"]).optional(),
  limit: count(500, 50),
});

/** `GET /api/v1/operations/:id/events` query. */
export const eventsQuery = z.strictObject({
  after: z
    .string()
    .regex(/^\d+$/, "expected a whole number")
    .transform(Number)
    .optional()
    .transform((value) => value ?? 0),
  limit: count(1000, 100),
});

/** Domain names in paths: a name, or `*` for the global kill switch. */
export const domainName = z.union([z.literal("*"), name]);

/** The query as a plain object for validation (repeated keys: last wins). */
export function queryObject(query: URLSearchParams): Record<string, string> {
  return Object.fromEntries(query);
}
