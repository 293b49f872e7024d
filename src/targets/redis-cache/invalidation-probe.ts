/**
 * The `invalidated` sensor of the `redis-cache` target: on every node, each
 * of the stage's sample keys must read a miss, or an entry whose version is
 * at least the new one. The new version per node is the highest of the
 * probe's `expectVersionAtLeast`, the bump's `to`, and the node's current
 * namespace version (read in the same round trip), so it needs no memory of
 * the apply and survives a controller restart.
 *
 * Vector per node: 1 invalidated, 0 not yet (the detail says which key and
 * why). An unreachable node fails the whole reading, naming it; a malformed
 * entry or version key fails it with code `parse`. Never a pass by default.
 */
import type { Redis } from "ioredis";
import { failedReading } from "../../sensors/failed-reading.ts";
import { onEveryNode, type RedisNodeClient } from "../../sensors/redis/redis-node.ts";
import { replyNumber } from "../../sensors/redis/redis-sensor.ts";
import type { ReadContext, Reading, Sensor } from "../../sensors/sensor.ts";
import { type Probe, parseRedisCacheAction, type RedisCacheConfig, versionKeyOf } from "./redis-cache-config.ts";

/** One sample key as read on a node: its type (`none` for a miss) and its version field or value. */
export interface ProbedEntry {
  readonly key: string;
  readonly type: string;
  /** HGET of the version field (hash), or GET (string); `null` when absent. */
  readonly raw: string | null;
}

/** What one node answered. */
export interface NodeProbe {
  /** The bumped version key's value, when the stage bumps one (`null`: missing). */
  readonly namespaceVersion?: string | null;
  readonly entries: readonly ProbedEntry[];
}

/** Verdict for one node: passed or not (with the reason), or a malformed reply. */
export type NodeVerdict =
  | { readonly ok: true; readonly invalidated: boolean; readonly reason: string }
  | { readonly ok: false; readonly message: string };

/** The version of a present entry, from a hash field or a JSON string value. Pure. */
function entryVersion(entry: ProbedEntry, field: string): { ok: true; value: number } | { ok: false; message: string } {
  if (entry.type === "hash") {
    const parsed = replyNumber(entry.raw, `${entry.key} field ${field}`);
    return parsed.ok ? parsed : { ok: false, message: parsed.message };
  }
  if (entry.type !== "string") return { ok: false, message: `${entry.key} is a ${entry.type}, not a hash or string` };
  let document: unknown;
  try {
    document = JSON.parse(entry.raw ?? "");
  } catch {
    return { ok: false, message: `${entry.key} is not JSON, so it has no ${field}` };
  }
  const value =
    typeof document === "object" && document !== null ? (document as Record<string, unknown>)[field] : undefined;
  const parsed = replyNumber(value ?? null, `${entry.key} ${field}`);
  return parsed.ok ? parsed : { ok: false, message: parsed.message };
}

/**
 * Judges one node's probe. `expectAtLeast` is the version a present entry
 * needs (undefined: only a miss passes). Pure.
 */
export function judgeNode(probe: Probe, answer: NodeProbe, expectAtLeast: number | undefined): NodeVerdict {
  let expected = expectAtLeast;
  if (answer.namespaceVersion !== undefined) {
    if (answer.namespaceVersion === null) return { ok: true, invalidated: false, reason: "the version key is missing" };
    const current = replyNumber(answer.namespaceVersion, "version key");
    if (!current.ok) return { ok: false, message: current.message };
    expected = Math.max(expected ?? current.value, current.value);
  }
  for (const entry of answer.entries) {
    if (entry.type === "none") continue;
    if (probe.versionField === undefined || expected === undefined) {
      return { ok: true, invalidated: false, reason: `${entry.key} is still cached` };
    }
    const version = entryVersion(entry, probe.versionField);
    if (!version.ok) return { ok: false, message: version.message };
    if (version.value < expected) {
      return { ok: true, invalidated: false, reason: `${entry.key} has version ${version.value} < ${expected}` };
    }
  }
  return { ok: true, invalidated: true, reason: "" };
}

async function probeNode(redis: Redis, probe: Probe, versionKey: string | undefined): Promise<NodeProbe> {
  const types = redis.pipeline();
  for (const key of probe.keys) types.type(key);
  if (versionKey !== undefined) types.get(versionKey);
  const replies = (await types.exec()) ?? [];
  const failed = replies.find(([error]) => error !== null)?.[0];
  if (failed) throw failed;
  const kinds = probe.keys.map((_, i) => String(replies[i]?.[1] ?? "none"));
  const values = redis.pipeline();
  for (const [i, key] of probe.keys.entries()) {
    if (kinds[i] === "hash" && probe.versionField !== undefined) values.hget(key, probe.versionField);
    else values.get(key);
  }
  const raw = (await values.exec()) ?? [];
  const entries = probe.keys.map((key, i): ProbedEntry => {
    const [error, value] = raw[i] ?? [null, null];
    // WRONGTYPE (a list, a set): no value to read; judged by its type.
    return { key, type: kinds[i] ?? "none", raw: error === null && typeof value === "string" ? value : null };
  });
  if (versionKey === undefined) return { entries };
  const version = replies[probe.keys.length]?.[1];
  return { entries, namespaceVersion: typeof version === "string" ? version : null };
}

/**
 * The `invalidated` sensor over the target's node clients. Reads only; safe
 * to repeat. Outside a sealing cache stage (preflight, between stages) it
 * only checks that every node answers and reads 0 everywhere: nothing to
 * probe is never a pass.
 */
export function invalidationSensor(clients: readonly RedisNodeClient[], config: RedisCacheConfig): Sensor {
  const idle = async (ctx: ReadContext): Promise<Reading> => {
    const pings = await onEveryNode(clients, (redis) => redis.ping(), ctx.signal);
    const observedAtMs = Date.now();
    if (!pings.ok) return failedReading(pings.code, pings.message, observedAtMs);
    const values = Object.fromEntries(clients.map((client) => [client.name, 0]));
    return {
      ok: true,
      observedAtMs,
      value: { type: "vector", values },
      detail: "no cache stage is sealing: nothing to probe",
    };
  };
  return {
    async read(ctx: ReadContext): Promise<Reading> {
      const stage = ctx.stageAction;
      if (stage === undefined || stage.rollback) return idle(ctx);
      const parsed = parseRedisCacheAction(stage.type, stage.params);
      if (!parsed.ok) return failedReading("config", parsed.message, ctx.nowMs);
      const { probe } = parsed.action;
      const expectTo = parsed.action.type === "bump-version" ? parsed.action.to : undefined;
      const floor = [probe.expectVersionAtLeast, expectTo].filter((v) => v !== undefined);
      const expectAtLeast = floor.length === 0 ? undefined : Math.max(...floor);
      const versionKey = versionKeyOf(parsed.action, config);
      const answers = await onEveryNode(clients, (redis) => probeNode(redis, probe, versionKey), ctx.signal);
      const observedAtMs = Date.now();
      if (!answers.ok) return failedReading(answers.code, answers.message, observedAtMs);
      const values: Record<string, number> = {};
      const waiting: string[] = [];
      for (const [node, answer] of answers.values) {
        const verdict = judgeNode(probe, answer, expectAtLeast);
        if (!verdict.ok) return failedReading("parse", `${node}: ${verdict.message}`, observedAtMs);
        values[node] = verdict.invalidated ? 1 : 0;
        if (!verdict.invalidated) waiting.push(`${node}: ${verdict.reason}`);
      }
      return {
        ok: true,
        observedAtMs,
        value: { type: "vector", values },
        ...(waiting.length === 0 ? {} : { detail: waiting.join("; ") }),
      };
    },
  };
}
