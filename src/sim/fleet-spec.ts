/**
 * The fleet a simulation runs against (`--fleet fleet.yaml`): nodes, traffic,
 * request durations, connection pools, the shared database, background jobs,
 * how a bad release fails, and the peers' timer settings. The schema is
 * documented by example in `examples/fleet-1000.yaml`.
 */
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { parseDurationMs } from "../plan/duration.ts";

/** A duration: milliseconds as a number, or text like `30s`, `2m`. */
const duration = z.union([
  z.number().nonnegative(),
  z.string().transform((text, ctx) => {
    const ms = parseDurationMs(text);
    if (ms === undefined) {
      ctx.addIssue({ code: "custom", message: `expected a duration like 30s, got ${JSON.stringify(text)}` });
      return z.NEVER;
    }
    return ms;
  }),
]);

/** A log-normal distribution by its median and log-space sigma. */
const logNormal = z.strictObject({ median: duration, sigma: z.number().nonnegative().max(3) });

const nodeSet = z.strictObject({
  prefix: z.string().min(1).describe("Node names are prefix + a zero-padded index: v1-000, v1-001, ..."),
  count: z.int().min(1).max(20_000),
});

const failure = z.strictObject({
  mode: z.enum(["errors", "slow", "pool-leak"]),
  /** `one`: the first candidate node only; `all`: every candidate node. */
  nodes: z.enum(["one", "all"]).default("one"),
  /** `errors`: share of requests that fail at once. */
  errorRate: z.number().min(0).max(1).default(0.5),
  /** `slow`: request durations multiplied by this. */
  slowFactor: z.number().min(1).default(5),
  /** `pool-leak`: share of DB requests that never give their connection back. */
  leakRate: z.number().min(0).max(1).default(0.02),
});

const timerPeer = z.strictObject({
  /** Pause after each weight step. */
  pause: duration,
  /** Delay before the old instances are scaled down after full promotion. */
  scaleDownDelay: duration,
  /** Analysis: abort when the fleet's error rate over a pause exceeds this share. */
  maxErrorRate: z.number().min(0).max(1).default(0.05),
});

const fleetSchema = z.strictObject({
  nodes: z.strictObject({
    legacy: nodeSet,
    candidate: nodeSet,
    /** Time from provisioning a node to its health check passing. */
    startup: duration.default(5_000),
    /** Time a node gets between SIGTERM (stop jobs, close idle connections) and SIGKILL when a peer terminates it. */
    terminationGrace: duration.default(30_000),
    /**
     * What a node does with its in-flight requests on SIGTERM: `finish` them within the grace
     * period (a server that stops accepting and waits), or `cut` them at once (the sample
     * service closes every connection); jobs finish within the grace period either way.
     */
    onSigterm: z.enum(["finish", "cut"]).default("finish"),
  }),
  traffic: z.strictObject({
    requestsPerSecond: z.number().positive(),
    duration: logNormal,
    longTail: z.strictObject({ share: z.number().min(0).max(1), duration: logNormal }).optional(),
    /** Share of requests that need a database connection (held for `dbHold`). */
    dbShare: z.number().min(0).max(1).default(0.5),
    /**
     * How long a database request holds its connection: `request`, its whole duration; or a
     * duration from its start (a quick query, like the sample service's `SELECT 1` before it
     * works), capped at the request's. Holds shorter than half the simulator's 100 ms step give
     * the connection back within the step.
     */
    dbHold: z.union([z.literal("request"), duration]).default("request"),
    /** Durations are capped here (the simulator's ring buffers span it). */
    maxDuration: duration.default(120_000),
  }),
  pool: z.strictObject({
    size: z.int().min(1),
    /** Connections a node keeps open while it runs and has not been quiesced; the database may refuse them (retried after 1 s). */
    minIdle: z.int().min(0).default(0),
    /**
     * How long a request waits in its node's queue when every connection of the pool is in use
     * before it fails (pg-pool's `connectionTimeoutMillis`; the sample service uses 2 s). 0: fail at once.
     */
    acquireTimeout: duration.default(2_000),
    /** An idle connection above `minIdle` closes after this long unused (pg-pool's `idleTimeoutMillis`, default 10 s). */
    idleTimeout: duration.default(10_000),
  }),
  database: z.strictObject({
    maxConnections: z.int().min(1),
    /** Queries run in parallel without slowing down; above this, durations stretch (processor sharing). */
    parallelQueries: z.int().min(1).default(1_000_000),
  }),
  jobs: z
    .strictObject({ perNodePerMinute: z.number().nonnegative(), duration: logNormal })
    .default({ perNodePerMinute: 0, duration: { median: 1000, sigma: 0 } }),
  badRelease: failure.default({ mode: "errors", nodes: "one", errorRate: 0.5, slowFactor: 5, leakRate: 0.02 }),
  /** Plan sensor name → simulated quantity (the simulator replaces the plan's own sensors). */
  sensors: z.record(z.string(), z.enum(["dbConnections", "dbHeadroom", "failedRequests"])).default({}),
  peers: z
    .strictObject({
      typical: timerPeer,
      safe: timerPeer,
    })
    .optional(),
  /**
   * Traffic the world serves before the first action, so that pools, long requests and jobs are at
   * their steady state when the rollout starts; the summary counts from the first action.
   */
  warmup: duration.default(60_000),
  /** Simulated time after which a run stops and reports `timeout`. */
  limit: duration.default(3_600_000),
});

/** A validated fleet description; durations in ms. */
export type FleetSpec = z.infer<typeof fleetSchema>;

/** A log-normal distribution, median in ms. */
export type LogNormalSpec = FleetSpec["traffic"]["duration"];

/** Timer settings of one canary peer, in ms. */
export type TimerPeerSpec = z.infer<typeof timerPeer>;

/** Parses a fleet file's text. Errors are values naming the field. Pure. */
export function parseFleet(
  source: string,
): { readonly ok: true; readonly value: FleetSpec } | { readonly ok: false; readonly message: string } {
  let raw: unknown;
  try {
    raw = parseYaml(source);
  } catch (error) {
    return { ok: false, message: `fleet is not YAML: ${error instanceof Error ? error.message : String(error)}` };
  }
  const parsed = fleetSchema.safeParse(raw);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  return { ok: false, message: `fleet ${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}` };
}

/** The node names of a set, in index order: prefix + zero-padded index. Pure. */
export function nodeNames(set: { readonly prefix: string; readonly count: number }): string[] {
  const width = String(set.count - 1).length;
  return Array.from({ length: set.count }, (_, i) => `${set.prefix}${String(i).padStart(width, "0")}`);
}
