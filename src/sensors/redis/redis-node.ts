/**
 * One connection per Redis node, shared by the `redis` sensor and the
 * `redis-cache` target. Built to fail fast: `lazyConnect`, a short connect
 * timeout, no offline queue and no background reconnects, so a command on an
 * unreachable node fails at once (the next call connects again). Failures are
 * values; messages name the node and its address without the password.
 */
import { Redis } from "ioredis";
import { z } from "zod";
import { expandEnvRefs } from "../../util/expand-env-refs.ts";
import { isTimeoutReason } from "../../util/is-timeout-reason.ts";
import { describeUrl, redact } from "../../util/redact.ts";

/** Node names: letters, digits, `.`, `_`, `-` (they key vectors and appear in gate explanations). */
const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** One node of the set as written in a plan. */
export const redisNodeSchema = z.strictObject({
  name: z.string().regex(NODE_NAME).describe("Node name, e.g. eu-1 (the vector key and the name in explanations)."),
  url: z
    .string()
    .regex(/^rediss?:\/\//, { error: "expected a redis:// or rediss:// URL" })
    .describe(`redis://[user:password@]host:port[/db]; \`\${NAME}\` references come from the environment.`),
});

/** The nodes of a set: at least one, names unique. */
export const redisNodesSchema = z
  .array(redisNodeSchema)
  .min(1)
  .superRefine((nodes, ctx) => {
    const seen = new Set<string>();
    for (const [index, node] of nodes.entries()) {
      if (seen.has(node.name))
        ctx.addIssue({ code: "custom", path: [index, "name"], message: `duplicate node ${node.name}` });
      seen.add(node.name);
    }
  })
  .describe("Redis nodes (independent instances); every one is read or changed.");

/** A validated node. */
export type RedisNodeSpec = z.infer<typeof redisNodeSchema>;

/** Result of one unit of work on a node. */
export type NodeResult<T> =
  | { readonly ok: true; readonly value: T }
  | {
      readonly ok: false;
      /** `unreachable`, `timeout`, `aborted`, `reply` (Redis answered with an error), `config`. */
      readonly code: "unreachable" | "timeout" | "aborted" | "reply" | "config";
      readonly message: string;
    };

/** Timing of a node client, in ms. */
export interface NodeTimeouts {
  readonly connectTimeoutMs: number;
  /** Per command (a long SCAN is many commands, each within this). */
  readonly commandTimeoutMs: number;
}

/** Default timing: a loopback or same-region node answers well within these. */
export const DEFAULT_NODE_TIMEOUTS: NodeTimeouts = { connectTimeoutMs: 1000, commandTimeoutMs: 2000 };

/** A lazily connected client of one node. `run` is safe to call concurrently; `close` is idempotent. */
export interface RedisNodeClient {
  readonly name: string;
  /** The address for messages (`redis://host:port/db`, never the password). */
  readonly address: string;
  /** Connects if needed, then runs `work`; every failure is a value, never a rejection. */
  run<T>(work: (redis: Redis) => Promise<T>, signal: AbortSignal): Promise<NodeResult<T>>;
  close(): Promise<void>;
}

function passwordOf(url: string): string | undefined {
  try {
    const password = decodeURIComponent(new URL(url).password);
    return password === "" ? undefined : password;
  } catch {
    return undefined;
  }
}

/** Creates a client for `node`; no I/O until the first `run`. */
export function redisNodeClient(
  node: RedisNodeSpec,
  timeouts: NodeTimeouts,
  env: Readonly<Record<string, string | undefined>>,
): RedisNodeClient {
  const expanded = expandEnvRefs({ url: node.url }, env);
  const url = expanded.ok ? (expanded.value.url ?? node.url) : node.url;
  const secrets = [...(expanded.ok ? expanded.secrets : []), ...[passwordOf(url)].filter((s) => s !== undefined)];
  const address = describeUrl(url);
  let lastError = "";
  let redis: Redis | undefined;
  let closed = false;

  const client = (): Redis => {
    if (redis !== undefined) return redis;
    redis = new Redis(url, {
      lazyConnect: true,
      connectTimeout: timeouts.connectTimeoutMs,
      commandTimeout: timeouts.commandTimeoutMs,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      // No background reconnects: the next `run` connects again, so an outage fails fast and a recovery is seen at once.
      retryStrategy: () => null,
      enableReadyCheck: true,
    });
    // Without a listener ioredis prints unhandled errors; the last one explains the next failure.
    redis.on("error", (error: Error) => {
      lastError = error.message;
    });
    return redis;
  };

  const fail = (code: Exclude<NodeResult<never>, { ok: true }>["code"], detail: string): NodeResult<never> => ({
    ok: false,
    code,
    message: redact(`${node.name} (${address}): ${detail}`, secrets),
  });

  const connected = async (r: Redis): Promise<void> => {
    if (r.status === "ready") return;
    if (r.status === "wait" || r.status === "end" || r.status === "close") {
      await r.connect();
      return;
    }
    // connecting / reconnecting: wait for the outcome of the attempt under way.
    await new Promise<void>((resolve, reject) => {
      const onReady = (): void => {
        r.off("end", onEnd);
        resolve();
      };
      const onEnd = (): void => {
        r.off("ready", onReady);
        reject(new Error(lastError === "" ? "connection closed" : lastError));
      };
      r.once("ready", onReady);
      r.once("end", onEnd);
    });
  };

  return {
    name: node.name,
    address,
    async run<T>(work: (redis: Redis) => Promise<T>, signal: AbortSignal): Promise<NodeResult<T>> {
      if (!expanded.ok) return fail("config", expanded.message);
      if (closed) return fail("aborted", "client closed");
      if (signal.aborted) return abortedResult(signal, fail);
      const r = client();
      const attempt = async (): Promise<NodeResult<T>> => {
        try {
          await connected(r);
        } catch (error) {
          return fail("unreachable", errorText(error, lastError));
        }
        try {
          return { ok: true, value: await work(r) };
        } catch (error) {
          if (isReplyError(error)) return fail("reply", errorText(error, ""));
          const text = errorText(error, lastError);
          return fail(/timed out/i.test(text) ? "timeout" : "unreachable", text);
        }
      };
      // Each command has its own timeout (ioredis `commandTimeout`); the caller's signal bounds the whole unit.
      let onAbort = (): void => {};
      const aborted = new Promise<NodeResult<never>>((resolve) => {
        onAbort = () => resolve(abortedResult(signal, fail));
        signal.addEventListener("abort", onAbort, { once: true });
      });
      try {
        return await Promise.race([attempt(), aborted]);
      } finally {
        signal.removeEventListener("abort", onAbort);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      redis?.disconnect();
    },
  };
}

function abortedResult(
  signal: AbortSignal,
  fail: (code: "timeout" | "aborted", detail: string) => NodeResult<never>,
): NodeResult<never> {
  return isTimeoutReason(signal.reason) ? fail("timeout", "read deadline passed") : fail("aborted", "aborted");
}

function isReplyError(error: unknown): boolean {
  return error instanceof Error && error.name === "ReplyError";
}

function errorText(error: unknown, fallback: string): string {
  const text = error instanceof Error ? error.message : String(error);
  if (/Connection is closed|Stream isn't writeable/i.test(text) && fallback !== "") return fallback;
  return text;
}

/** Per-node outcome of {@link onEveryNode}: every value, or every failure. */
export type EveryNodeResult<T> =
  | { readonly ok: true; readonly values: ReadonlyMap<string, T> }
  | {
      readonly ok: false;
      /** The first failure's code. */
      readonly code: string;
      /** Every failing node, e.g. `redis-2 (redis://127.0.0.1:6381): connect ECONNREFUSED; ...`. */
      readonly message: string;
      readonly failedNodes: readonly string[];
    };

/**
 * Runs `work` on every node at once. All must succeed: one failing node
 * fails the whole result and is named (fail closed; a partial answer is
 * never presented as complete).
 */
export async function onEveryNode<T>(
  clients: readonly RedisNodeClient[],
  work: (redis: Redis, node: RedisNodeClient) => Promise<T>,
  signal: AbortSignal,
): Promise<EveryNodeResult<T>> {
  const results = await Promise.all(clients.map((node) => node.run((redis) => work(redis, node), signal)));
  const values = new Map<string, T>();
  const failures: { readonly name: string; readonly code: string; readonly message: string }[] = [];
  for (const [index, result] of results.entries()) {
    const name = clients[index]?.name ?? `node-${index}`;
    if (result.ok) values.set(name, result.value);
    else failures.push({ name, code: result.code, message: result.message });
  }
  const [first] = failures;
  if (first === undefined) return { ok: true, values };
  return {
    ok: false,
    code: first.code,
    message: failures.map((f) => f.message).join("; "),
    failedNodes: failures.map((f) => f.name),
  };
}
