/**
 * The `http` sensor: GET a JSON endpoint and pick a number or a per-node map
 * out of the response.
 *
 * ```yaml
 * sensors:
 *   inflight:
 *     kind: http
 *     url: http://127.0.0.1:9000/stats
 *     headers: { Authorization: "Bearer ${STATS_TOKEN}" }   # from the controller's environment
 *     path: $.servers[*]
 *     nodeKey: name
 *     valueKey: inflight
 *     labels: { cohort: cohort }
 * ```
 */
import { z } from "zod";
import { expandEnvRefs } from "../../util/expand-env-refs.ts";
import { httpRequest } from "../../util/http-request.ts";
import { abortedReading, failedReading } from "../failed-reading.ts";
import {
  compileJsonSelection,
  jsonSelectionShape,
  readingFromJsonText,
  refineJsonSelection,
} from "../json-selection.ts";
import type { ReadContext, Reading, Sensor, SensorDefinition } from "../sensor.ts";

const DEFAULT_TIMEOUT_MS = 2000;

const httpSensorConfig = z
  .object({
    url: z.url({ protocol: /^https?$/ }).describe("JSON endpoint to GET (http or https)."),
    headers: z
      .record(z.string(), z.string())
      .optional()
      .describe(`Header values may reference \`\${ENV_NAME}\`, resolved at read time.`),
    timeoutMs: z.number().int().positive().optional().describe("Per read, in ms. Default 2000."),
    ...jsonSelectionShape,
  })
  .strict()
  .superRefine(refineJsonSelection);

/** Validated `http` sensor config. */
export type HttpSensorConfig = z.infer<typeof httpSensorConfig>;

/**
 * The `http` sensor kind. Reads are side-effect free GETs, safe to repeat
 * and to run concurrently; they never throw. Failure codes: `unreachable`,
 * `timeout`, `aborted`, `config` (an unset `${ENV}`), `http-<status>`,
 * `parse`, `empty`, `type`.
 */
export const httpSensorDefinition: SensorDefinition<HttpSensorConfig> = {
  kind: "http",
  description: "GET a JSON endpoint and pick a number or a per-node map by a JSONPath subset",
  config: httpSensorConfig,
  create(config) {
    const selection = compileJsonSelection(config);
    const closed = new AbortController();
    const timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;

    async function read(ctx: ReadContext): Promise<Reading> {
      const startedMs = performance.now();
      const elapsedMs = (): number => ctx.nowMs + Math.round(performance.now() - startedMs);
      const signal = AbortSignal.any([ctx.signal, closed.signal]);
      if (signal.aborted) return abortedReading(signal, ctx.nowMs);
      const headers = expandEnvRefs(config.headers, process.env);
      if (!headers.ok) return failedReading("config", `header ${headers.message}`, ctx.nowMs);
      const response = await httpRequest({
        method: "GET",
        url: config.url,
        headers: { accept: "application/json", ...headers.value },
        timeoutMs,
        signal,
        secrets: [...headers.secrets, ...Object.values(headers.value)],
      });
      if (!response.ok) return failedReading(response.code, response.message, elapsedMs());
      if (response.status < 200 || response.status > 299) {
        return failedReading(`http-${response.status}`, `endpoint answered HTTP ${response.status}`, elapsedMs());
      }
      return readingFromJsonText(response.body, selection, elapsedMs());
    }

    const sensor: Sensor = {
      read,
      async close() {
        closed.abort();
      },
    };
    return sensor;
  },
};
