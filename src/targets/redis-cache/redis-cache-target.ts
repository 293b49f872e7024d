/**
 * The `redis-cache` target (plans of `kind: CacheInvalidation`): invalidates
 * a cache held by several independent Redis nodes (one per region, per
 * service replica), and seals a stage only when every node has dropped the
 * old entry.
 *
 * ```yaml
 * target:
 *   kind: redis-cache
 *   namespaceKey: catalog:ns
 *   nodes:
 *     - { name: eu-1, url: "redis://:${REDIS_PASSWORD}@10.0.0.1:6379" }
 *     - { name: us-1, url: "redis://:${REDIS_PASSWORD}@10.0.1.1:6379" }
 * stages:
 *   - name: bump
 *     action:
 *       type: bump-version                      # INCR catalog:ns (or `to: 8`) on every node
 *       probe: { keys: [catalog:item:1], versionField: v }
 *       consecutive: 3                          # default gate: invalidated, 3 probes in a row
 *   - name: drop-old
 *     action: { type: delete-pattern, pattern: "catalog:v7:*", batch: 500, probe: { keys: [catalog:v7:item:1] } }
 * ```
 *
 * Actions are idempotent under their key (a per-node marker
 * `airlock:applied:<key>`) and fenced per operation (`airlock:fence:<id>`).
 * There is no rollback: deleted entries and bumped versions cannot be
 * restored, so a rollback stops at once and says so.
 */
import type { Condition, GatesSpec } from "../../plan/types.ts";
import { DEFAULT_NODE_TIMEOUTS, onEveryNode, redisNodeClient } from "../../sensors/redis/redis-node.ts";
import { describeUrl } from "../../util/redact.ts";
import type {
  ActionRequest,
  ActionSpec,
  Json,
  Observation,
  Target,
  TargetDefinition,
  TargetResult,
} from "../target.ts";
import { invalidationSensor } from "./invalidation-probe.ts";
import { applyOnEveryNode } from "./redis-cache-apply.ts";
import {
  appliedMarkerKey,
  parseRedisCacheAction,
  type RedisCacheConfig,
  redisCacheActions,
  redisCacheConfigSchema,
  versionKeyOf,
} from "./redis-cache-config.ts";

/** Why a cache invalidation has no rollback (the rollback plan's `stopsAt`). */
export const CACHE_ROLLBACK_STOPS_AT =
  "cache invalidation is one-way: deleted entries and bumped versions cannot be restored; re-populate the cache or bump again";

const DEFAULT_CONSECUTIVE = 3;

/** The default `invalidated` gate of an action: every node passes its probe `consecutive` times in a row. Pure. */
export function invalidatedGate(action: ActionSpec, config: RedisCacheConfig): GatesSpec {
  const consecutive = action.params.consecutive;
  const condition: Condition = {
    sensor: "target.invalidated",
    aggregate: "every",
    op: ">=",
    threshold: 1,
    expectNodes: config.nodes.map((node) => node.name),
    consecutive: typeof consecutive === "number" ? consecutive : DEFAULT_CONSECUTIVE,
    label: "nodes that dropped the old entry",
  };
  return { conditions: { invalidated: [condition] } };
}

/** The `redis-cache` target kind. */
export const redisCacheTargetDefinition: TargetDefinition<RedisCacheConfig> = {
  kind: "redis-cache",
  description:
    "Invalidate a cache on several Redis nodes (bump a version key, delete by SCAN pattern, publish), sealed when every node reads a miss or the new version",
  config: redisCacheConfigSchema,
  actions: redisCacheActions,
  sensorNames: () => ["invalidated"],
  // By address (never the password): the same server under two names is one object.
  claims: (config) => config.nodes.map((node) => describeUrl(node.url)),
  defaultGates: invalidatedGate,
  rollback: () => ({ steps: [], stopsAt: CACHE_ROLLBACK_STOPS_AT }),
  create(config): Target {
    const timeouts = {
      ...DEFAULT_NODE_TIMEOUTS,
      commandTimeoutMs: config.timeoutMs ?? DEFAULT_NODE_TIMEOUTS.commandTimeoutMs,
    };
    const clients = config.nodes.map((node) => redisNodeClient(node, timeouts, process.env));
    const sensors = { invalidated: invalidationSensor(clients, config) };
    return {
      async apply(request: ActionRequest): Promise<TargetResult<Observation | undefined>> {
        if (request.signal.aborted)
          return { ok: false, code: "aborted", message: "aborted before apply", retryable: true };
        if (request.rollback) return { ok: false, code: "one-way", message: CACHE_ROLLBACK_STOPS_AT, retryable: false };
        const parsed = parseRedisCacheAction(request.action.type, request.action.params);
        if (!parsed.ok) return { ok: false, code: "config", message: parsed.message, retryable: false };
        return applyOnEveryNode(clients, config, parsed.action, request);
      },
      async observe(expected, signal): Promise<TargetResult<Observation>> {
        const parsed =
          expected === undefined ? undefined : parseRedisCacheAction(expected.action.type, expected.action.params);
        const versionKey = parsed?.ok === true ? versionKeyOf(parsed.action, config) : config.namespaceKey;
        const marker = expected === undefined ? undefined : appliedMarkerKey(expected.idempotencyKey);
        const read = await onEveryNode(
          clients,
          async (redis) => {
            const [applied, version] = await Promise.all([
              marker === undefined ? null : redis.exists(marker),
              versionKey === undefined ? null : redis.get(versionKey),
            ]);
            return { applied, version };
          },
          signal,
        );
        if (!read.ok) return { ok: false, code: read.code, message: `observe: ${read.message}`, retryable: true };
        const nodes: Record<string, Json> = {};
        let matches: boolean | "unknown" = marker === undefined ? "unknown" : true;
        for (const [name, { applied, version }] of read.values) {
          const numeric = version === null || Number.isNaN(Number(version)) ? null : Number(version);
          nodes[name] = { ...(applied === null ? {} : { applied: applied === 1 }), version: numeric };
          if (matches === true) matches = applied === 1;
        }
        return {
          ok: true,
          value: { observedAtMs: Date.now(), state: { versionKey: versionKey ?? null, nodes }, matches },
        };
      },
      sensors: () => sensors,
      async close() {
        await Promise.all(clients.map((client) => client.close()));
      },
    };
  },
};
