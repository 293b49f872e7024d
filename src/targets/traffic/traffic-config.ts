/**
 * Config and action schemas shared by the traffic target kinds (`haproxy`,
 * `builtin-router`): server sets by name pattern, per-node hooks, the
 * application's drain report, and the params of every action.
 */
import { z } from "zod";
import { argvSchema } from "../../util/argv-schema.ts";
import type { Json } from "../target.ts";

/** The largest weight a router accepts (HAProxy's scale, also the built-in router's). */
export const MAX_WEIGHT = 256;

/** The sample service's drain report fields, summed by default. */
export const DEFAULT_DRAIN_FIELDS: readonly string[] = [
  "inflightRequests",
  "runningJobs",
  "unflushedBuffers",
  "openDbConnections",
];

/** Default deadline of one hook run or drain report request, in ms. */
export const DEFAULT_NODE_TIMEOUT_MS = 10_000;

/** Placeholders a node URL may use: `{address}` (`host:port`) and `{name}` (the server name, URL-encoded). */
const PLACEHOLDERS = /\{(address|name)\}/g;

/** Fills `{address}` and `{name}` in a node URL template. Pure. */
export function fillNodeUrl(template: string, node: { readonly name: string; readonly address: string }): string {
  return template.replace(PLACEHOLDERS, (_match, key: string) =>
    key === "address" ? node.address : encodeURIComponent(node.name),
  );
}

const nodeUrlTemplate = z
  .string()
  .min(1)
  .refine(
    (template) => {
      try {
        const url = new URL(fillNodeUrl(template, { name: "n", address: "127.0.0.1:1" }));
        return url.protocol === "http:" || url.protocol === "https:";
      } catch {
        return false;
      }
    },
    { message: "expected an http(s) URL, optionally with {address} and {name} placeholders" },
  );

/** A per-node hook: a command (argv, no shell) or a webhook (POST). */
export const hookSchema = z.union([
  z.strictObject({
    command: argvSchema.describe(
      "Run once per node with AIRLOCK_NODE, AIRLOCK_NODE_ADDRESS, AIRLOCK_FENCING_TOKEN, AIRLOCK_IDEMPOTENCY_KEY.",
    ),
  }),
  z.strictObject({
    webhook: nodeUrlTemplate.describe(
      "POSTed once per node (JSON body with node, address, idempotencyKey, fencingToken); may use {address}, {name}.",
    ),
    headers: z
      .record(z.string(), z.string())
      .optional()
      .describe(`Header values may reference \`\${ENV_NAME}\`, resolved per request.`),
  }),
]);

/** Validated {@link hookSchema}. */
export type Hook = z.infer<typeof hookSchema>;

/** Hook names, in the order a node meets them. */
export type HookName = "quiesce" | "terminate" | "provision";

const serverPattern = (what: string) =>
  z
    .string()
    .min(1)
    .describe(`Glob over server names (\`*\` any run, \`?\` one character) selecting the ${what} servers.`);

/** Config fields every traffic target kind shares. */
export const sharedTrafficConfig = {
  legacy: serverPattern("legacy"),
  candidate: serverPattern("candidate"),
  fullWeight: z
    .int()
    .min(1)
    .max(MAX_WEIGHT)
    .default(100)
    .describe("Weight of a server carrying a full share (the largest weight Airlock sets). Default 100."),
  hooks: z
    .strictObject({
      quiesce: hookSchema.optional().describe("Stop taking jobs, flush buffers, close pools (the `quiesce` action)."),
      terminate: hookSchema.optional().describe("Stop the node after `maint` (the `retire` action)."),
      provision: hookSchema.optional().describe("Start a node before it is set `ready` (`provision`, and rollback)."),
    })
    .optional()
    .describe("Per-node hooks; each runs once per node and must be idempotent under AIRLOCK_IDEMPOTENCY_KEY."),
  drainReport: z
    .strictObject({
      url: nodeUrlTemplate.describe("The application's own drain report per node, e.g. http://{address}/drain."),
      fields: z
        .array(z.string().min(1))
        .min(1)
        .optional()
        .describe("Numeric JSON fields summed into the node's value; default the sample service's four."),
    })
    .optional()
    .describe("Provides `target.drain_report`, the sum of the listed fields per drained node."),
  addresses: z
    .record(z.string(), z.string().regex(/^[^\s/]+:\d{1,5}$/, "expected host:port"))
    .optional()
    .describe("Server name → host:port, for hooks and drain reports when the router does not report addresses."),
  timeoutMs: z
    .int()
    .positive()
    .optional()
    .describe("Deadline of one hook run or drain report request, in ms. Default 10 000."),
};

const shared = z.strictObject(sharedTrafficConfig);

/** The shared part of a traffic target's config. */
export type TrafficConfig = z.infer<typeof shared>;

const serverNames = z.array(z.string().min(1)).min(1);

/** Params of `drain`, `quiesce`, `retire`: server names, or a count picked in name order (see `server-sets.ts`). */
const batchParams = z
  .strictObject({
    servers: serverNames.optional().describe("Legacy server names."),
    count: z.int().min(1).optional().describe("How many legacy servers, picked in name order."),
  })
  .refine((params) => (params.servers === undefined) !== (params.count === undefined), {
    message: "expected exactly one of servers, count",
  });

/** Params of `weight`: the candidate set's share of new requests, in percent. */
const weightParams = z.strictObject({
  candidatePercent: z.number().min(0).max(100).describe("Share of traffic for the candidate set, 0–100."),
});

/** Params of `restore-legacy` (planned by rollback): legacy servers back to `ready` at the given split. */
const restoreLegacyParams = z.strictObject({
  candidatePercent: z.number().min(0).max(100).describe("The split to keep while legacy capacity returns."),
  servers: serverNames.optional().describe("Legacy servers to restore; absent: every legacy server not `ready`."),
});

/** Params of `provision`. */
const provisionParams = z.strictObject({ servers: serverNames.describe("Servers to provision and set ready.") });

/** Params as stored in the plan: JSON, without keys whose value is absent. */
function asPlanParams(
  schema: z.ZodType<Readonly<Record<string, Json | undefined>>>,
): z.ZodType<Readonly<Record<string, Json>>> {
  return schema.transform((params) => {
    const defined: Record<string, Json> = {};
    for (const [key, value] of Object.entries(params)) if (value !== undefined) defined[key] = value;
    return defined;
  });
}

/** Action types and their params, as the plan validates them. */
export const trafficActions: Readonly<Record<string, z.ZodType<Readonly<Record<string, Json>>>>> = {
  weight: weightParams,
  drain: asPlanParams(batchParams),
  quiesce: asPlanParams(batchParams),
  retire: asPlanParams(batchParams),
  provision: provisionParams,
  "restore-legacy": asPlanParams(restoreLegacyParams),
};

const trafficActionSchema = z.discriminatedUnion("type", [
  weightParams.safeExtend({ type: z.literal("weight") }),
  batchParams.safeExtend({ type: z.literal("drain") }),
  batchParams.safeExtend({ type: z.literal("quiesce") }),
  batchParams.safeExtend({ type: z.literal("retire") }),
  provisionParams.safeExtend({ type: z.literal("provision") }),
  restoreLegacyParams.safeExtend({ type: z.literal("restore-legacy") }),
]);

/** A validated action, discriminated by type. */
export type TrafficAction = z.infer<typeof trafficActionSchema>;

/** A `drain`, `quiesce` or `retire` action. */
export type BatchAction = Extract<TrafficAction, { type: "drain" | "quiesce" | "retire" }>;

/**
 * Parses an action (type + params, as in the plan or a read context) into a
 * {@link TrafficAction}; an unknown type or bad params is an error message. Pure.
 */
export function parseTrafficAction(
  type: string,
  params: Readonly<Record<string, unknown>>,
): { readonly ok: true; readonly value: TrafficAction } | { readonly ok: false; readonly message: string } {
  const parsed = trafficActionSchema.safeParse({ ...params, type });
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  return { ok: false, message: `invalid ${type} action: ${issue?.message ?? "rejected"}` };
}
