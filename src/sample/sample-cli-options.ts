/**
 * Command-line and environment options of the sample-service process
 * (`main.ts`). Every flag has an environment variable; the flag wins.
 *
 *   --port N                 SAMPLE_PORT               (default 0: a free port)
 *   --host ADDR              SAMPLE_HOST               (default 127.0.0.1)
 *   --name NAME              SAMPLE_NAME               (default "sample")
 *   --version V              SAMPLE_VERSION            (default "1.0.0")
 *   --latency-median-ms N    SAMPLE_LATENCY_MEDIAN_MS  (default 5)
 *   --latency-p99-ms N       SAMPLE_LATENCY_P99_MS     (default 25)
 *   --error-rate R           SAMPLE_ERROR_RATE         (default 0)
 *   --long-request-share R   SAMPLE_LONG_REQUEST_SHARE (default 0)
 *   --long-request-ms N      SAMPLE_LONG_REQUEST_MS    (default 5000)
 *   --jobs-interval-ms N     SAMPLE_JOBS_INTERVAL_MS   (no jobs unless set)
 *   --jobs-duration-ms N     SAMPLE_JOBS_DURATION_MS   (default 1000)
 *   --db-pool-size N         SAMPLE_DB_POOL_SIZE       (default 4)
 *   --db-pool-min N          SAMPLE_DB_POOL_MIN        (default 0: connections opened at start and kept)
 *   --db-hold-share R        SAMPLE_DB_HOLD_SHARE      (default 0: share of requests run inside the database)
 *   SAMPLE_DB_URL            PostgreSQL connection string (environment only: it may hold a password)
 */
import { parseArgs } from "node:util";
import type { SampleServiceOptions } from "./sample-service.ts";

/** Parsed options or a usage error. */
export type ParsedSampleArgs =
  | { readonly ok: true; readonly value: SampleServiceOptions }
  | { readonly ok: false; readonly message: string };

const NUMERIC_FLAGS = [
  "port",
  "latency-median-ms",
  "latency-p99-ms",
  "error-rate",
  "long-request-share",
  "long-request-ms",
  "jobs-interval-ms",
  "jobs-duration-ms",
  "db-pool-size",
  "db-pool-min",
  "db-hold-share",
] as const;
type NumericFlag = (typeof NUMERIC_FLAGS)[number];

/** Parse `argv` (without node and script) and `env`. Pure. */
export function parseSampleArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): ParsedSampleArgs {
  let values: Record<string, string | undefined>;
  try {
    const options = Object.fromEntries(
      [...NUMERIC_FLAGS, "host", "name", "version"].map((flag) => [flag, { type: "string" as const }]),
    );
    values = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values as Record<
      string,
      string | undefined
    >;
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
  const text = (flag: string): string | undefined =>
    values[flag] ?? env[`SAMPLE_${flag.toUpperCase().replaceAll("-", "_")}`];
  const numbers: Partial<Record<NumericFlag, number>> = {};
  for (const flag of NUMERIC_FLAGS) {
    const raw = text(flag);
    if (raw === undefined) continue;
    const value = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(value) || value < 0)
      return { ok: false, message: `--${flag} must be a number >= 0` };
    numbers[flag] = value;
  }
  const host = text("host");
  const jobsIntervalMs = numbers["jobs-interval-ms"];
  const dbUrl = env.SAMPLE_DB_URL;
  return {
    ok: true,
    value: {
      port: numbers.port ?? 0,
      name: text("name") ?? "sample",
      version: text("version") ?? "1.0.0",
      latencyMs: { median: numbers["latency-median-ms"] ?? 5, p99: numbers["latency-p99-ms"] ?? 25 },
      errorRate: numbers["error-rate"] ?? 0,
      longRequestShare: numbers["long-request-share"] ?? 0,
      longRequestMs: numbers["long-request-ms"] ?? 5000,
      ...(host === undefined ? {} : { host }),
      ...(jobsIntervalMs === undefined || jobsIntervalMs === 0
        ? {}
        : { jobs: { intervalMs: jobsIntervalMs, durationMs: numbers["jobs-duration-ms"] ?? 1000 } }),
      ...(dbUrl === undefined || dbUrl === ""
        ? {}
        : {
            db: {
              connectionString: dbUrl,
              poolSize: numbers["db-pool-size"] ?? 4,
              ...(numbers["db-pool-min"] === undefined ? {} : { minConnections: numbers["db-pool-min"] }),
              ...(numbers["db-hold-share"] === undefined ? {} : { holdShare: numbers["db-hold-share"] }),
            },
          }),
    },
  };
}
