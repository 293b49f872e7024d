/**
 * The `postgres` sensor: one read-only query whose result is a number
 * (exactly one row, one numeric column) or a per-node map (one row per node).
 * Examples: connection headroom, sessions per `application_name`
 * (see docs/guides/migrations.md).
 */
import { z } from "zod";
import { failedReading } from "../failed-reading.ts";
import type { Reading, Sensor, SensorDefinition } from "../sensor.ts";
import { isPostgresUrl } from "./pg-connection.ts";
import { PgReader } from "./pg-reader.ts";
import { rowsToReading } from "./rows-to-reading.ts";

/** Config of a `postgres` sensor. */
export interface PostgresSensorConfig {
  /** `postgres://user:${PGPASSWORD_X}@host:port/db`; the password comes from the environment. */
  readonly connection: string;
  readonly query: string;
  readonly nodeColumn?: string;
  readonly valueColumn?: string;
  /** Server-side `statement_timeout` and connect timeout, in ms. */
  readonly timeoutMs: number;
}

const configSchema = z
  .strictObject({
    connection: z.string().refine(isPostgresUrl, { error: "expected a postgres://user@host:port/db URL" }),
    query: z.string().trim().min(1),
    nodeColumn: z.string().min(1).optional(),
    valueColumn: z.string().min(1).optional(),
    timeoutMs: z.number().int().positive().max(600_000).default(5_000),
  })
  .transform((config): PostgresSensorConfig => {
    const { nodeColumn, valueColumn, ...rest } = config;
    return {
      ...rest,
      ...(nodeColumn === undefined ? {} : { nodeColumn }),
      ...(valueColumn === undefined ? {} : { valueColumn }),
    };
  });

/** Builds a sensor for one config. No I/O until `read`. */
export function createPostgresSensor(
  config: PostgresSensorConfig,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Sensor {
  const reader = new PgReader(config.connection, "airlock-sensor", env);
  return {
    async read(ctx): Promise<Reading> {
      const outcome = await reader.query(config.query, [], config.timeoutMs, ctx.signal);
      if (!outcome.ok) return failedReading(outcome.code, outcome.message, ctx.nowMs);
      return rowsToReading(outcome.value, config, ctx.nowMs);
    },
    close: () => reader.close(),
  };
}

/** Registry entry for `kind: postgres`. */
export const postgresSensor: SensorDefinition<PostgresSensorConfig> = {
  kind: "postgres",
  description: "A read-only SQL query returning one number, or one row per node (node column, value column).",
  config: configSchema,
  create: (config) => createPostgresSensor(config),
};
