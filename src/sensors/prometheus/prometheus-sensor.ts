/**
 * The `prometheus` sensor: one PromQL instant query over the HTTP API, read
 * as a scalar or as a vector keyed by a label.
 *
 * ```yaml
 * sensors:
 *   errors:
 *     kind: prometheus
 *     url: http://127.0.0.1:9090
 *     query: sum by (server) (haproxy_server_http_responses_total{proxy="be_app",code="5xx"})
 *     nodeLabel: server
 * ```
 *
 * Prefer raw counters to `rate()`: the engine turns counters into deltas
 * centrally. For each series the reading's time is the series' own sample
 * time (`timestamp(query)` at the same evaluation instant), so a value that
 * Prometheus still returns from an old scrape is judged stale by `maxAge`;
 * a target that stopped answering drops out of the result (`empty` or a
 * missing node) once Prometheus marks its series stale.
 */
import { z } from "zod";
import { httpRequest } from "../../util/http-request.ts";
import { abortedReading, failedReading } from "../failed-reading.ts";
import type { ReadContext, Reading, Sensor, SensorDefinition } from "../sensor.ts";
import {
  parseQueryResponse,
  type QueryResult,
  readingFromResult,
  type Sample,
  seriesKey,
} from "./prometheus-result.ts";

const DEFAULT_TIMEOUT_MS = 2000;

type SampleTimes =
  | { readonly ok: true; readonly timeOf: (sample: Sample) => number }
  | { readonly ok: false; readonly code: string; readonly message: string };
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const prometheusSensorConfig = z
  .object({
    url: z
      .url({ protocol: /^https?$/ })
      .describe("Prometheus base URL, e.g. http://127.0.0.1:9090 (a path prefix is kept)."),
    query: z.string().trim().min(1).describe("PromQL instant query; a scalar needs exactly one series."),
    nodeLabel: z.string().regex(LABEL_NAME).optional().describe("Label naming the node; gives a per-node vector."),
    labels: z
      .array(z.string().regex(LABEL_NAME))
      .optional()
      .describe("With nodeLabel: label names copied to each node (e.g. cohort, version)."),
    timeoutMs: z.number().int().positive().optional().describe("Per read, in ms. Default 2000."),
  })
  .strict()
  .superRefine((config, ctx) => {
    if (config.labels !== undefined && config.nodeLabel === undefined) {
      ctx.addIssue({ code: "custom", path: ["labels"], message: "only allowed with nodeLabel" });
    }
    if (new URL(config.url).username !== "") {
      ctx.addIssue({ code: "custom", path: ["url"], message: "must not contain credentials" });
    }
  });

/** Validated `prometheus` sensor config. */
export type PrometheusSensorConfig = z.infer<typeof prometheusSensorConfig>;

/**
 * The `prometheus` sensor kind. Reads are GETs, side-effect free, safe to
 * repeat and run concurrently; they never throw. Failure codes:
 * `unreachable`, `timeout`, `aborted`, `http-<status>`, `parse`, `query`
 * (Prometheus rejected the query), `type`, `empty`, `ambiguous`,
 * `missing-label`, `nan`.
 */
export const prometheusSensorDefinition: SensorDefinition<PrometheusSensorConfig> = {
  kind: "prometheus",
  description: "PromQL instant query: a scalar (one series) or a per-node vector keyed by a label",
  config: prometheusSensorConfig,
  create(config) {
    const closed = new AbortController();
    const timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const base = config.url.endsWith("/") ? config.url : `${config.url}/`;
    const shape = { nodeLabel: config.nodeLabel, labels: config.labels };

    async function query(promql: string, atMs: number | undefined, signal: AbortSignal): Promise<QueryResult> {
      const url = new URL("api/v1/query", base);
      url.searchParams.set("query", promql);
      url.searchParams.set("timeout", `${timeoutMs}ms`);
      if (atMs !== undefined) url.searchParams.set("time", (atMs / 1000).toFixed(3));
      const response = await httpRequest({
        method: "GET",
        url: url.toString(),
        headers: { accept: "application/json" },
        timeoutMs,
        signal,
        secrets: [],
      });
      if (!response.ok) return response;
      const parsed = parseQueryResponse(response.body);
      if (response.status >= 200 && response.status <= 299) return parsed;
      // 400 (bad_data) and 422 (execution) carry Prometheus' explanation of a bad query.
      if (!parsed.ok && parsed.code === "query" && (response.status === 400 || response.status === 422)) return parsed;
      return { ok: false, code: `http-${response.status}`, message: `Prometheus answered HTTP ${response.status}` };
    }

    /**
     * Each series' own sample time, from `timestamp(query)` at the evaluation
     * instant of the first query (so both see the same data). A query that
     * timestamp() cannot take (series differing only by name) keeps the
     * evaluation time; any other failure fails the read.
     */
    async function sampleTimes(samples: readonly Sample[], signal: AbortSignal): Promise<SampleTimes> {
      const evaluatedAtMs = samples[0]?.timestampMs;
      const times = await query(`timestamp(${config.query})`, evaluatedAtMs, signal);
      if (!times.ok && times.code !== "query") return times;
      const byKey = new Map(
        times.ok && times.type === "vector"
          ? times.samples.map((sample) => [seriesKey(sample.labels), Math.round(sample.value * 1000)] as const)
          : [],
      );
      return { ok: true, timeOf: (sample) => byKey.get(seriesKey(sample.labels)) ?? sample.timestampMs };
    }

    async function read(ctx: ReadContext): Promise<Reading> {
      const startedMs = performance.now();
      const elapsedMs = (): number => ctx.nowMs + Math.round(performance.now() - startedMs);
      const signal = AbortSignal.any([ctx.signal, closed.signal]);
      if (signal.aborted) return abortedReading(signal, ctx.nowMs);

      const result = await query(config.query, undefined, signal);
      if (!result.ok) return failedReading(result.code, result.message, elapsedMs());
      if (result.type === "scalar" || result.samples.length === 0) return readingFromResult(result, shape, elapsedMs());
      const times = await sampleTimes(result.samples, signal);
      if (!times.ok) return failedReading(times.code, times.message, elapsedMs());
      return readingFromResult(result, shape, elapsedMs(), times.timeOf);
    }

    return {
      read,
      async close() {
        closed.abort();
      },
    } satisfies Sensor;
  },
};
