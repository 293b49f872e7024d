/**
 * The sample service: a small HTTP application with a version, tunable
 * latency and errors, long requests, background jobs, an optional PostgreSQL
 * pool, Prometheus metrics, a drain report and a quiesce endpoint. Used by
 * the demo, the tests and the benchmarks.
 *
 * Endpoints:
 * - `GET /` — the work: log-normal latency, 500 at `errorRate`, a share of long requests; `{ name, version }`
 * - `GET /hold?key=K[&on=NAME][&maxMs=N]` — held open until released (only on the instance named `on`, if given)
 * - `GET /holds` → `{ holds: [key] }`; `POST /holds/:key/release` → `{ released }`
 * - `GET /healthz` — 200 while serving
 * - `GET /metrics` — Prometheus text
 * - `GET /drain` → {@link DrainReport}
 * - `POST /quiesce` → `{ quiesced: true, report }` (idempotent)
 * - `GET /config`, `POST /config` (a {@link WorkConfigPatch}) → the config in force
 * - `GET /flag?key=K` — with `flags`: evaluates the flag for targeting key K (see `flags/flag-evaluator.ts`)
 *
 * Control endpoints are unauthenticated: bind it to loopback only.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { BackgroundWork, type DbSpec, type DrainReport, type JobsSpec } from "./background-work.ts";
import { type FlagEvaluatorOptions, startFlagEvaluator } from "./flags/flag-evaluator.ts";
import { HoldRegistry } from "./hold-registry.ts";
import { logNormalSampler } from "./latency-distribution.ts";
import { createSampleMetrics } from "./sample-metrics.ts";
import { patchWorkConfig, type WorkConfig, WorkConfigPatch, workConfigProblem } from "./work-config.ts";

/** Options of one sample-service instance. */
export interface SampleServiceOptions extends WorkConfig {
  /** 0 picks a free port. */
  readonly port: number;
  /** Bind address. Default `127.0.0.1`. */
  readonly host?: string;
  readonly version: string;
  /** Instance name (the `instance` label, and the router's server name in the demo). */
  readonly name: string;
  readonly jobs?: JobsSpec;
  readonly db?: DbSpec;
  /** In-process flag evaluation on `GET /flag`, with its metrics on `/metrics`. */
  readonly flags?: FlagEvaluatorOptions;
  /** Buffered records are flushed this often. Default 1000. */
  readonly flushIntervalMs?: number;
  /** Uniform [0, 1) source; default `Math.random`. Inject a seeded one for reproducible tests. */
  readonly random?: () => number;
}

/** A running instance. */
export interface RunningSampleService {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  readonly name: string;
  readonly version: string;
  drainReport(): DrainReport;
  config(): WorkConfig;
  /** Apply a config patch (validated like `POST /config`). Returns the new config or an error message. */
  setConfig(
    patch: unknown,
  ): { readonly ok: true; readonly value: WorkConfig } | { readonly ok: false; readonly message: string };
  /** Same as `POST /quiesce`. Idempotent. */
  quiesce(): void;
  /** Release held requests, close every connection and the pool. Idempotent. */
  close(): Promise<void>;
}

const DEFAULT_MAX_HOLD_MS = 60_000;

/** Start an instance; resolves once it listens. Rejects on invalid options or a port that cannot be bound. */
export async function startSampleService(options: SampleServiceOptions): Promise<RunningSampleService> {
  const { latencyMs, errorRate, longRequestShare, longRequestMs } = options;
  const problem = workConfigProblem({ latencyMs, errorRate, longRequestShare, longRequestMs });
  if (problem !== undefined) throw new Error(`invalid sample service options: ${problem}`);
  const random = options.random ?? Math.random;
  let config: WorkConfig = { latencyMs, errorRate, longRequestShare, longRequestMs };
  let sampleLatencyMs = logNormalSampler(config.latencyMs, random);
  const background = new BackgroundWork(options.jobs, options.db, options.flushIntervalMs ?? 1000);
  await background.openMinConnections();
  const holds = new HoldRegistry();
  let inflightRequests = 0;
  const metrics = createSampleMetrics(
    { version: options.version, instance: options.name },
    {
      runningJobs: () => background.runningJobs,
      openDbConnections: () => background.openDbConnections(),
      unflushedRecords: () => background.unflushedRecords(),
      quiesced: () => background.quiesced,
    },
  );
  const identity = { name: options.name, version: options.version };
  const flags = options.flags === undefined ? undefined : await startFlagEvaluator(options.flags, options.name, random);

  const drainReport = (): DrainReport => ({
    inflightRequests,
    runningJobs: background.runningJobs,
    unflushedBuffers: background.unflushedRecords(),
    openDbConnections: background.openDbConnections(),
  });

  const setConfig: RunningSampleService["setConfig"] = (patch) => {
    const parsed = WorkConfigPatch.safeParse(patch);
    if (!parsed.success)
      return {
        ok: false,
        message: "expected { latencyMs?: {median, p99}, errorRate?, longRequestShare?, longRequestMs? }",
      };
    config = patchWorkConfig(config, parsed.data);
    sampleLatencyMs = logNormalSampler(config.latencyMs, random);
    return { ok: true, value: config };
  };

  /** Runs `handle` as counted work: in-flight gauge, duration histogram, status counter, buffered record. */
  const countedWork = async (res: ServerResponse, handle: (signal: AbortSignal) => Promise<void>): Promise<void> => {
    const startedMs = performance.now();
    const aborted = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) aborted.abort();
    });
    inflightRequests += 1;
    metrics.inflight.inc();
    try {
      await handle(aborted.signal);
    } finally {
      inflightRequests -= 1;
      metrics.inflight.dec();
      // 499: the client went away first (nginx's convention).
      metrics.observeRequest(res.writableFinished ? res.statusCode : 499, (performance.now() - startedMs) / 1000);
      background.record();
    }
  };

  const work = async (signal: AbortSignal, res: ServerResponse): Promise<void> => {
    const current = config;
    const delayMs = random() < current.longRequestShare ? current.longRequestMs : sampleLatencyMs();
    // A held request spends its whole duration inside the database, holding one connection.
    const holdShare = options.db?.holdShare ?? 0;
    const heldMs = holdShare > 0 && random() < holdShare ? delayMs : 0;
    let failure: string | undefined;
    try {
      await (heldMs > 0 ? background.holdDb(heldMs) : background.touchDb());
    } catch {
      failure = "database unavailable";
    }
    try {
      await sleep(delayMs - heldMs, undefined, { signal });
    } catch {
      return; // the client went away
    }
    if (failure === undefined && random() < current.errorRate) failure = "injected failure";
    sendJson(
      res,
      failure === undefined ? 200 : 500,
      failure === undefined ? identity : { ...identity, error: failure },
    );
  };

  const hold = async (signal: AbortSignal, url: URL, res: ServerResponse): Promise<void> => {
    const on = url.searchParams.get("on");
    const key = url.searchParams.get("key") ?? "";
    if ((on !== null && on !== options.name) || key === "") {
      sendJson(res, 200, { ...identity, held: false });
      return;
    }
    const maxMs = Number(url.searchParams.get("maxMs") ?? DEFAULT_MAX_HOLD_MS);
    const outcome = await holds.hold(key, Number.isFinite(maxMs) && maxMs > 0 ? maxMs : DEFAULT_MAX_HOLD_MS, signal);
    if (outcome !== "aborted") sendJson(res, 200, { ...identity, held: true, outcome });
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://sample");
    const endpoint = `${req.method ?? "GET"} ${url.pathname}`;
    const release = /^POST \/holds\/([^/]+)\/release$/.exec(endpoint);
    if (endpoint !== "POST /config") req.resume();
    if (endpoint === "GET /") return countedWork(res, (signal) => work(signal, res));
    if (endpoint === "GET /hold") return countedWork(res, (signal) => hold(signal, url, res));
    if (endpoint === "GET /healthz") return sendJson(res, 200, { ...identity, status: "ok" });
    if (endpoint === "GET /drain") return sendJson(res, 200, drainReport());
    if (endpoint === "GET /holds") return sendJson(res, 200, { holds: holds.keys() });
    if (release?.[1] !== undefined)
      return sendJson(res, 200, { released: holds.release(decodeURIComponent(release[1])) });
    if (endpoint === "POST /quiesce") {
      background.quiesce();
      return sendJson(res, 200, { quiesced: true, report: drainReport() });
    }
    if (endpoint === "GET /config") return sendJson(res, 200, config);
    if (endpoint === "GET /flag" && flags !== undefined) {
      const answer = flags.request(url.searchParams.get("key") ?? undefined);
      return sendJson(res, answer.status, answer.body);
    }
    if (endpoint === "POST /config") {
      const result = setConfig(await readJson(req));
      return result.ok
        ? sendJson(res, 200, result.value)
        : sendJson(res, 400, { error: "invalid-config", message: result.message });
    }
    if (endpoint === "GET /metrics") {
      const { contentType, text } = await metrics.render();
      res.writeHead(200, { "content-type": contentType });
      res.end(flags === undefined ? text : text + (await flags.metricsText()));
      return;
    }
    sendJson(res, 404, { error: "not-found" });
  };

  const server = createServer((req, res) => {
    route(req, res).catch(() => {
      if (!res.headersSent) sendJson(res, 500, { error: "internal" });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${address.address}:${address.port}`,
    name: options.name,
    version: options.version,
    drainReport,
    config: () => config,
    setConfig,
    quiesce: () => background.quiesce(),
    close: () => {
      closing ??= (async () => {
        holds.releaseAll();
        flags?.close();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await Promise.all([closed, background.close()]);
      })();
      return closing;
    },
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

/** A JSON body of at most 64 KiB, or `undefined` when it is not JSON. */
async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024) return undefined;
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    return undefined;
  }
}
