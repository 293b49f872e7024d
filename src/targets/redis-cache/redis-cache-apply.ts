/**
 * Applying a cache action on every node. Each node checks the fencing token
 * and the idempotency marker and applies in one Lua script (atomic on that
 * node), so a retry after a partial failure applies only where the action
 * had not landed. `delete-pattern` walks the keyspace with SCAN and UNLINKs
 * in batches (never KEYS), then records its marker.
 */
import type { Redis } from "ioredis";
import { type EveryNodeResult, onEveryNode, type RedisNodeClient } from "../../sensors/redis/redis-node.ts";
import type { ActionRequest, Json, Observation, TargetResult } from "../target.ts";
import {
  appliedMarkerKey,
  fenceKey,
  MARKER_TTL_SECONDS,
  type RedisCacheAction,
  type RedisCacheConfig,
  versionKeyOf,
} from "./redis-cache-config.ts";

// KEYS[1] fence, KEYS[2] marker; ARGV[1] fencing token, ARGV[2] marker TTL (s).
const PROLOGUE = `
local fence = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
local token = tonumber(ARGV[1])
if fence > token then return {'fenced', tostring(fence)} end
if token > fence then redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) end
local done = redis.call('GET', KEYS[2])
if done then return {'already', done} end
`;

// KEYS[3] version key; ARGV[3] target version or '' for INCR.
const BUMP = `${PROLOGUE}
local v
if ARGV[3] == '' then
  v = redis.pcall('INCR', KEYS[3])
  if type(v) == 'table' then return {'malformed', ''} end
else
  local current = tonumber(redis.call('GET', KEYS[3]) or '0')
  if current == nil then return {'malformed', ''} end
  v = tonumber(ARGV[3])
  if current > v then return {'lower', tostring(current)} end
  redis.call('SET', KEYS[3], ARGV[3])
end
redis.call('SET', KEYS[2], tostring(v), 'EX', ARGV[2])
return {'applied', tostring(v)}
`;

// ARGV[3] channel, ARGV[4] message.
const PUBLISH = `${PROLOGUE}
local receivers = redis.call('PUBLISH', ARGV[3], ARGV[4])
redis.call('SET', KEYS[2], '1', 'EX', ARGV[2])
return {'applied', tostring(receivers)}
`;

const GUARD = `${PROLOGUE}
return {'proceed', ''}
`;

/** What a node's script answered. */
type ScriptStatus = "applied" | "already" | "fenced" | "lower" | "malformed" | "proceed";

interface NodeOutcome {
  readonly status: ScriptStatus;
  /** The version written, receivers reached, or keys deleted; the current version for `lower`. */
  readonly detail: string;
}

const OWN_KEYS = /^airlock:(applied|fence):/;

function scriptReply(reply: unknown): NodeOutcome {
  if (Array.isArray(reply) && typeof reply[0] === "string" && typeof reply[1] === "string") {
    return { status: reply[0] as ScriptStatus, detail: reply[1] };
  }
  return { status: "malformed", detail: "" };
}

async function runScript(redis: Redis, script: string, request: ActionRequest, keys: string[], args: string[]) {
  const base = [fenceKey(request.operationId), appliedMarkerKey(request.idempotencyKey)];
  const baseArgs = [String(request.fencingToken), String(MARKER_TTL_SECONDS)];
  const all = [...base, ...keys];
  return scriptReply(await redis.eval(script, all.length, ...all, ...baseArgs, ...args));
}

async function deletePattern(
  redis: Redis,
  request: ActionRequest,
  action: Extract<RedisCacheAction, { type: "delete-pattern" }>,
): Promise<NodeOutcome> {
  const guard = await runScript(redis, GUARD, request, [], []);
  if (guard.status !== "proceed") return guard;
  let cursor = "0";
  let deleted = 0;
  do {
    if (request.signal.aborted) throw new Error("aborted during SCAN");
    const [next, keys] = await redis.scan(cursor, "MATCH", action.pattern, "COUNT", action.batch);
    const victims = keys.filter((key) => !OWN_KEYS.test(key));
    if (victims.length > 0) deleted += await redis.unlink(...victims);
    cursor = next;
  } while (cursor !== "0");
  await redis.set(appliedMarkerKey(request.idempotencyKey), String(deleted), "EX", MARKER_TTL_SECONDS);
  return { status: "applied", detail: String(deleted) };
}

function applyOnNode(redis: Redis, request: ActionRequest, action: RedisCacheAction, versionKey: string | undefined) {
  switch (action.type) {
    case "bump-version":
      return runScript(redis, BUMP, request, [versionKey ?? ""], [action.to === undefined ? "" : String(action.to)]);
    case "publish":
      return runScript(redis, PUBLISH, request, [], [action.channel, action.message]);
    case "delete-pattern":
      return deletePattern(redis, request, action);
    default: {
      const unreachable: never = action;
      return unreachable;
    }
  }
}

const REFUSALS: Partial<Record<ScriptStatus, { readonly code: string; readonly explain: (detail: string) => string }>> =
  {
    fenced: { code: "fenced", explain: (d) => `has seen fencing token ${d}, newer than this runner's` },
    lower: { code: "config", explain: (d) => `already holds version ${d}, above the requested one` },
    malformed: { code: "parse", explain: () => "holds a version that is not an integer" },
  };

/**
 * Applies `action` on every node. Unreachable nodes are a retryable failure
 * (the retry skips nodes whose marker is set); a stale fencing token, a
 * version that would go down or a malformed version key are not retryable.
 */
export async function applyOnEveryNode(
  clients: readonly RedisNodeClient[],
  config: RedisCacheConfig,
  action: RedisCacheAction,
  request: ActionRequest,
): Promise<TargetResult<Observation>> {
  const versionKey = versionKeyOf(action, config);
  if (action.type === "bump-version" && versionKey === undefined) {
    return {
      ok: false,
      code: "config",
      message: "bump-version needs a key (or the target's namespaceKey)",
      retryable: false,
    };
  }
  const result: EveryNodeResult<NodeOutcome> = await onEveryNode(
    clients,
    (redis) => applyOnNode(redis, request, action, versionKey),
    request.signal,
  );
  if (!result.ok) {
    const retryable = result.code !== "reply" && result.code !== "config";
    return { ok: false, code: result.code, message: `${action.type}: ${result.message}`, retryable };
  }
  const refused: string[] = [];
  let code = "";
  const nodes: Record<string, Json> = {};
  for (const [name, outcome] of result.values) {
    const refusal = REFUSALS[outcome.status];
    if (refusal !== undefined) {
      code ||= refusal.code;
      refused.push(`${name} ${refusal.explain(outcome.detail)}`);
    }
    nodes[name] = outcome.detail;
  }
  if (refused.length > 0) {
    return { ok: false, code, message: `${action.type} refused: ${refused.join("; ")}`, retryable: false };
  }
  const field = { "bump-version": "version", "delete-pattern": "deleted", publish: "receivers" }[action.type];
  return {
    ok: true,
    value: { observedAtMs: Date.now(), state: { action: action.type, [field]: nodes }, matches: true },
  };
}
