/**
 * The `redis` sensor: one read-only command on every node of a set, as a
 * vector of numbers keyed by node (for custom gates and guards).
 *
 * ```yaml
 * sensors:
 *   namespace_version:
 *     kind: redis
 *     nodes:
 *       - { name: eu-1, url: "redis://:${REDIS_PASSWORD}@10.0.0.1:6379" }
 *       - { name: us-1, url: "redis://:${REDIS_PASSWORD}@10.0.1.1:6379" }
 *     command: GET            # GET HGET EXISTS TTL PTTL STRLEN HLEN LLEN SCARD ZCARD
 *     key: catalog:ns
 * ```
 *
 * Fails closed: an unreachable node fails the whole reading and is named
 * (so the engine's `sensorBlind` clock runs); a missing value for GET/HGET is
 * `empty`, a value that is not a number is `parse` — never a zero.
 */
import { z } from "zod";
import { failedReading } from "../failed-reading.ts";
import type { Reading, Sensor, SensorDefinition } from "../sensor.ts";
import {
  DEFAULT_NODE_TIMEOUTS,
  onEveryNode,
  type RedisNodeClient,
  redisNodeClient,
  redisNodesSchema,
} from "./redis-node.ts";

/** Read-only commands whose reply is one number (or, for GET/HGET, a string holding one). */
export const REDIS_SENSOR_COMMANDS = [
  "GET",
  "HGET",
  "EXISTS",
  "TTL",
  "PTTL",
  "STRLEN",
  "HLEN",
  "LLEN",
  "SCARD",
  "ZCARD",
] as const;

/** A redis sensor's command. */
export type RedisSensorCommand = (typeof REDIS_SENSOR_COMMANDS)[number];

const redisSensorConfig = z
  .strictObject({
    nodes: redisNodesSchema,
    command: z.enum(REDIS_SENSOR_COMMANDS).describe("Read-only command; its reply must be a number."),
    key: z.string().min(1).describe("Key the command reads."),
    field: z.string().min(1).optional().describe("Hash field (HGET only)."),
    timeoutMs: z.int().positive().optional().describe("Per command, in ms (default 2000; connect: 1000)."),
  })
  .superRefine((config, ctx) => {
    if ((config.command === "HGET") !== (config.field !== undefined)) {
      ctx.addIssue({
        code: "custom",
        path: ["field"],
        message: config.command === "HGET" ? "HGET needs a field" : `field applies to HGET only, not ${config.command}`,
      });
    }
  });

/** Validated `redis` sensor config. */
export type RedisSensorConfig = z.infer<typeof redisSensorConfig>;

/** A reply turned into a number, or why it cannot be one. Pure. */
export type ReplyNumber =
  | { readonly ok: true; readonly value: number }
  | { readonly ok: false; readonly code: "empty" | "parse"; readonly message: string };

/** Parses a reply that must be a finite number: an integer reply or a decimal string; `null` is `empty`. Pure. */
export function replyNumber(reply: unknown, what: string): ReplyNumber {
  if (reply === null || reply === undefined) return { ok: false, code: "empty", message: `${what}: no value` };
  if (typeof reply === "number" && Number.isFinite(reply)) return { ok: true, value: reply };
  if (typeof reply === "string" && /^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$/.test(reply)) {
    return { ok: true, value: Number(reply) };
  }
  // The value itself stays out of the message: cache entries may hold user data.
  const shape = typeof reply === "string" ? `a ${reply.length}-character string` : `a ${typeof reply}`;
  return { ok: false, code: "parse", message: `${what}: expected a number, found ${shape}` };
}

function commandArgs(config: RedisSensorConfig): (string | number)[] {
  return config.field === undefined ? [config.key] : [config.key, config.field];
}

/** The `redis` sensor kind. Reads never write; safe to repeat. */
export const redisSensorDefinition: SensorDefinition<RedisSensorConfig> = {
  kind: "redis",
  description: "One read-only Redis command (GET, EXISTS, TTL, HGET, ...) on every node, as a vector keyed by node",
  config: redisSensorConfig,
  create(config): Sensor {
    const timeouts = {
      ...DEFAULT_NODE_TIMEOUTS,
      commandTimeoutMs: config.timeoutMs ?? DEFAULT_NODE_TIMEOUTS.commandTimeoutMs,
    };
    const clients: RedisNodeClient[] = config.nodes.map((node) => redisNodeClient(node, timeouts, process.env));
    const what = `${config.command} ${config.key}${config.field === undefined ? "" : ` ${config.field}`}`;
    return {
      async read(ctx): Promise<Reading> {
        const replies = await onEveryNode(
          clients,
          (redis) => redis.call(config.command, ...commandArgs(config)),
          ctx.signal,
        );
        const observedAtMs = Date.now();
        if (!replies.ok) return failedReading(replies.code, replies.message, observedAtMs);
        const values: Record<string, number> = {};
        for (const [node, reply] of replies.values) {
          const parsed = replyNumber(reply, `${node}: ${what}`);
          if (!parsed.ok) return failedReading(parsed.code, parsed.message, observedAtMs);
          values[node] = parsed.value;
        }
        return { ok: true, observedAtMs, value: { type: "vector", values } };
      },
      async close() {
        await Promise.all(clients.map((client) => client.close()));
      },
    };
  },
};
