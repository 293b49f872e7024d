/**
 * Schemas of the `postgres-migration` target: its config and its one action
 * type, `phase`. Parsed output is valid input again (defaults filled in,
 * nothing renamed), because the runtime re-parses the plan's raw config.
 */
import { z } from "zod";
import { durationSchema, parseDurationMs } from "../../plan/duration.ts";
import { isPostgresUrl } from "../../sensors/postgres/pg-connection.ts";
import type { Json } from "../target.ts";

const pgUrl = z.string().refine(isPostgresUrl, { error: "expected a postgres://user@host:port/db URL" });
const sqlIdentifier = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/;
const nodeName = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

const retrySchema = z.strictObject({
  /** Tries per statement when `lock_timeout` fires, the first included. */
  attempts: z.number().int().min(1).max(100).default(5),
  /** Wait before the second try; doubles per try up to `maxBackoff`. */
  backoff: durationSchema(true).default("500ms"),
  maxBackoff: durationSchema(true).default("10s"),
});

/** Config of a `postgres-migration` target (after parsing: defaults filled in). */
export const migrationConfigSchema = z.strictObject({
  /** Admin URL of the primary; `${PGPASSWORD_X}` references come from the environment. */
  primary: pgUrl,
  /** Every standby that must replay each phase (the `replicated` gate's inventory). */
  replicas: z
    .array(z.strictObject({ name: z.string().regex(nodeName), url: pgUrl }))
    .default([])
    .refine((replicas) => new Set(replicas.map((r) => r.name)).size === replicas.length, {
      error: "replica names must be unique",
    }),
  /** `lock_timeout` for every statement of every phase (a phase may override it). */
  lockTimeout: durationSchema(true).default("2s"),
  retry: retrySchema.default({ attempts: 5, backoff: "500ms", maxBackoff: "10s" }),
  /** Table that records applied phases (created on first apply). */
  ledgerTable: z
    .string()
    .regex(sqlIdentifier, { error: "expected a lower-case table name, optionally schema-qualified" })
    .default("airlock_migrations"),
  /** POSIX regex over `application_name` matching sessions of previous schema versions, e.g. `^shop@v(40|41)$`. */
  appNamePattern: z.string().min(1).optional(),
  /** Deadline of each sensor query. */
  sensorTimeout: durationSchema(true).default("5s"),
});

/** Parsed target config. */
export type MigrationConfig = z.infer<typeof migrationConfigSchema>;

const backfillSchema = z.strictObject({
  /** One batch; `$1` (if present) is `batchSize`. Repeated until it affects 0 rows, so it must converge. */
  sql: z.string().trim().min(1),
  batchSize: z.number().int().positive().default(1000),
  /** Pause after a batch while any replica replays more than this far behind. */
  maxLagMs: z.number().int().min(0).default(1000),
  /** Give up (retryable) when replicas stay behind this long after a batch. */
  throttleTimeout: durationSchema(true).default("5m"),
});

/** Params of a `phase` action. */
export const phaseSchema = z
  .strictObject({
    name: z.string().min(1),
    sql: z.string().trim().min(1).optional(),
    /** SQL file, relative to the plan's directory. */
    file: z.string().min(1).optional(),
    /** Run in one transaction with the ledger row (default). `false` for e.g. `CREATE INDEX CONCURRENTLY`. */
    transaction: z.boolean().default(true),
    rollback: z.string().trim().min(1).optional(),
    rollbackFile: z.string().min(1).optional(),
    lockTimeout: durationSchema(true).optional(),
    backfill: backfillSchema.optional(),
    /** Indexes that must be valid (`pg_index.indisvalid`) after the phase. */
    checkIndexes: z.array(z.string().min(1)).optional(),
  })
  .refine((p) => [p.sql, p.file, p.backfill].filter((x) => x !== undefined).length === 1, {
    error: "a phase needs exactly one of sql, file or backfill",
  })
  .refine((p) => p.rollback === undefined || p.rollbackFile === undefined, {
    error: "give rollback or rollbackFile, not both",
  });

/** Parsed `phase` params. */
export type PhaseParams = z.infer<typeof phaseSchema>;

/** The `phase` params as stored in the plan: parsed, without absent keys (plain JSON). */
export const phaseActionSchema = phaseSchema.transform(
  (phase): Readonly<Record<string, Json>> => JSON.parse(JSON.stringify(phase)) as Record<string, Json>,
);

/** Milliseconds of a duration that passed its schema. */
export function ms(duration: string): number {
  const value = parseDurationMs(duration);
  if (value === undefined) throw new Error(`not a validated duration: ${duration}`);
  return value;
}
