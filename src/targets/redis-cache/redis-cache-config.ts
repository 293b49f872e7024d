/**
 * Config and action schemas of the `redis-cache` target, and the keys it
 * keeps on every node for idempotency and fencing. Pure.
 */
import { z } from "zod";
import { redisNodesSchema } from "../../sensors/redis/redis-node.ts";
import type { Json } from "../target.ts";

/** Config of a `redis-cache` target. */
export const redisCacheConfigSchema = z.strictObject({
  nodes: redisNodesSchema,
  namespaceKey: z
    .string()
    .min(1)
    .optional()
    .describe("The namespace version key (e.g. catalog:ns); the default `key` of bump-version."),
  timeoutMs: z.int().positive().optional().describe("Per Redis command, in ms (default 2000; connect: 1000)."),
});

/** Validated `redis-cache` config. */
export type RedisCacheConfig = z.infer<typeof redisCacheConfigSchema>;

/** Which sample keys show that a node dropped the old entry. */
export const probeSchema = z
  .strictObject({
    keys: z.array(z.string().min(1)).min(1).describe("Sample keys read on every node."),
    versionField: z
      .string()
      .min(1)
      .optional()
      .describe("Field holding an entry's version (hash field, or JSON property of a string value)."),
    expectVersionAtLeast: z
      .number()
      .optional()
      .describe("A present entry passes when its version is at least this (and the bumped version)."),
  })
  .describe("The probe: each sample key must read a miss, or a version >= the new one, on every node.");

/** A validated probe. */
export type Probe = z.infer<typeof probeSchema>;

const gateShape = {
  probe: probeSchema,
  consecutive: z.int().min(1).default(3).describe("Passing probes in a row that seal the stage (default 3)."),
};

/** The action params the target accepts, by action type. */
export const redisCacheActionSchemas = {
  "bump-version": z.strictObject({
    key: z.string().min(1).optional().describe("Version key; default the target's namespaceKey."),
    to: z.int().nonnegative().optional().describe("Set this version instead of INCR (never lower than the current)."),
    ...gateShape,
  }),
  "delete-pattern": z.strictObject({
    pattern: z.string().min(1).describe("SCAN MATCH pattern of the keys to UNLINK, e.g. catalog:v6:*."),
    batch: z.int().min(1).max(10_000).default(500).describe("SCAN COUNT and UNLINK batch size."),
    ...gateShape,
  }),
  publish: z.strictObject({
    channel: z.string().min(1).describe("Pub/sub channel of the invalidation message."),
    message: z.string().describe("Message published once per node."),
    ...gateShape,
  }),
} as const;

/** Params as the plan stores them: plain JSON without absent keys. Pure. */
function asPlanParams(schema: z.ZodType<object>): z.ZodType<Readonly<Record<string, Json>>> {
  return schema.transform((params): Readonly<Record<string, Json>> => JSON.parse(JSON.stringify(params)));
}

/** Action types and their params, as the plan validates them (defaults filled in). */
export const redisCacheActions: Readonly<Record<string, z.ZodType<Readonly<Record<string, Json>>>>> = {
  "bump-version": asPlanParams(redisCacheActionSchemas["bump-version"]),
  "delete-pattern": asPlanParams(redisCacheActionSchemas["delete-pattern"]),
  publish: asPlanParams(redisCacheActionSchemas.publish),
};

/** A parsed action of this target. */
export type RedisCacheAction =
  | ({ readonly type: "bump-version" } & z.infer<(typeof redisCacheActionSchemas)["bump-version"]>)
  | ({ readonly type: "delete-pattern" } & z.infer<(typeof redisCacheActionSchemas)["delete-pattern"]>)
  | ({ readonly type: "publish" } & z.infer<(typeof redisCacheActionSchemas)["publish"]>);

/** Parses an action (from a plan, a request or a sensor's read context), or says why it is not one. Pure. */
export function parseRedisCacheAction(
  type: string,
  params: Readonly<Record<string, unknown>> | Readonly<Record<string, Json>>,
): { readonly ok: true; readonly action: RedisCacheAction } | { readonly ok: false; readonly message: string } {
  switch (type) {
    case "bump-version":
    case "delete-pattern":
    case "publish": {
      const parsed = redisCacheActionSchemas[type].safeParse(params);
      if (!parsed.success) return { ok: false, message: `invalid ${type} params: ${z.prettifyError(parsed.error)}` };
      return { ok: true, action: { type, ...parsed.data } as RedisCacheAction };
    }
    default:
      return { ok: false, message: `unknown redis-cache action ${JSON.stringify(type)}` };
  }
}

/** The version key a bump changes: its own `key`, else the target's `namespaceKey`. Pure. */
export function versionKeyOf(action: RedisCacheAction, config: RedisCacheConfig): string | undefined {
  return action.type === "bump-version" ? (action.key ?? config.namespaceKey) : undefined;
}

/** Per-node record that the action with this idempotency key was applied (value: the version written, or `1`). */
export function appliedMarkerKey(idempotencyKey: string): string {
  return `airlock:applied:${idempotencyKey}`;
}

/** Per-node highest fencing token seen for an operation. */
export function fenceKey(operationId: string): string {
  return `airlock:fence:${operationId}`;
}

/** How long markers and fences live on a node, in seconds (an operation's retries happen well within). */
export const MARKER_TTL_SECONDS = 30 * 24 * 3600;
