/**
 * Applies one `phase` exactly once: under `lock_timeout` with bounded
 * retries, serialised by an advisory lock, fenced by the runner's token, and
 * recorded in the ledger (in the phase's own transaction when it has one).
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import pg from "pg";
import { classifyPgError, type PgEndpoint, type PgFailure } from "../../sensors/postgres/pg-connection.ts";
import type { PgReader } from "../../sensors/postgres/pg-reader.ts";
import type { ActionRequest, Json, Observation, TargetResult } from "../target.ts";
import { type BackfillReport, runBackfill } from "./backfill.ts";
import { createLedgerSql, findLedgerRow, highestFencingToken, insertLedgerRow, recordLsn } from "./ledger.ts";
import { type RetryPolicy, withLockRetry } from "./lock-retry.ts";
import { type MigrationConfig, ms, type PhaseParams, phaseSchema } from "./migration-config.ts";
import { concurrentIndexNames, splitStatements } from "./split-statements.ts";

/** What applying a phase needs besides the request. */
export interface PhaseContext {
  readonly config: MigrationConfig;
  readonly primary: PgEndpoint;
  readonly replicas: ReadonlyMap<string, PgReader>;
  readonly planDir: string;
}

type Failure = Extract<TargetResult<never>, { ok: false }>;
/** How the phase body went: counts for the observation, or a failure. */
type BodyOutcome = { readonly ok: true; readonly lockTimeouts: number; readonly backfill?: BackfillReport } | Failure;

const fail = (code: string, message: string, retryable: boolean): Failure => ({ ok: false, code, message, retryable });

/** Applies the phase in `request`. Idempotent under its idempotency key; never rejects. */
export async function applyPhase(ctx: PhaseContext, request: ActionRequest): Promise<TargetResult<Observation>> {
  if (request.signal.aborted) return fail("aborted", "apply aborted before it started", true);
  const parsed = phaseSchema.safeParse(request.action.params);
  if (!parsed.success) return fail("invalid-action", `phase params: ${parsed.error.message}`, false);
  const phase = request.rollback ? rollbackPhase(parsed.data) : parsed.data;
  if (phase === undefined) return fail("one-way", `phase ${parsed.data.name} has no rollback SQL`, false);
  const sql = await phaseSql(phase, ctx.planDir);
  if (!sql.ok) return sql;

  const client = new pg.Client({
    connectionString: ctx.primary.url,
    application_name: "airlock-migration",
    connectionTimeoutMillis: 10_000,
  });
  client.on("error", () => undefined);
  const stopCancelling = cancelOnAbort(client, ctx.primary, request.signal);
  try {
    await client.connect();
  } catch (error) {
    stopCancelling();
    return pgFailure(classifyPgError(error, ctx.primary), 0);
  }
  try {
    const policy = retryPolicy(ctx.config);
    const lockTimeoutMs = ms(phase.lockTimeout ?? ctx.config.lockTimeout);
    await client.query("SELECT set_config('lock_timeout', $1, false)", [`${lockTimeoutMs}ms`]);
    const run = <T>(work: () => Promise<T>) => withLockRetry(work, policy, ctx.primary, request.signal);

    const setup = await run(async () => {
      await client.query(createLedgerSql(ctx.config.ledgerTable));
      const locked = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock(hashtext($1)) AS locked", [
        `airlock:${ctx.config.ledgerTable}`,
      ]);
      if (locked.rows[0]?.locked !== true) {
        throw Object.assign(new Error("another apply holds this ledger's advisory lock"), { code: "55P03" });
      }
    });
    if (!setup.ok) return pgFailure(setup.failure, setup.lockTimeouts);

    const table = ctx.config.ledgerTable;
    const highest = await highestFencingToken(client, table, request.operationId);
    if (highest > request.fencingToken) {
      return fail("fenced", `fencing token ${request.fencingToken} is older than ${highest}`, false);
    }
    const existing = await findLedgerRow(client, table, request.idempotencyKey);
    if (existing !== undefined) {
      const lsn = await recordLsn(client, table, request.idempotencyKey);
      return {
        ok: true,
        value: observation({ phase: phase.name, lsn, alreadyApplied: true, appliedAt: existing.appliedAt }),
      };
    }

    const entry = {
      idempotencyKey: request.idempotencyKey,
      phase: phase.name,
      operationId: request.operationId,
      stage: request.stageName,
      fencingToken: request.fencingToken,
      sqlSha256: createHash("sha256").update(sql.value).digest("hex"),
    };
    const body = await runBody(client, phase, sql.value, policy, ctx, request.signal, async (withLsn) => {
      await insertLedgerRow(client, table, entry, withLsn);
    });
    if (!body.ok) return body;
    const lsn = await recordLsn(client, table, request.idempotencyKey);
    return {
      ok: true,
      value: observation({
        phase: phase.name,
        lsn,
        alreadyApplied: false,
        lockTimeouts: body.lockTimeouts,
        ...(body.backfill === undefined ? {} : { backfill: { ...body.backfill } }),
      }),
    };
  } catch (error) {
    return pgFailure(classifyPgError(error, ctx.primary), 0);
  } finally {
    stopCancelling();
    // Ending the session also releases the advisory lock.
    await client.end().catch(() => undefined);
  }
}

/** The phase that undoes `phase` (its rollback SQL, same transaction mode), or `undefined` if it is one-way. Pure. */
export function rollbackPhase(phase: PhaseParams): PhaseParams | undefined {
  const source =
    phase.rollback !== undefined
      ? { sql: phase.rollback }
      : phase.rollbackFile !== undefined
        ? { file: phase.rollbackFile }
        : undefined;
  if (source === undefined) return undefined;
  return {
    name: `rollback-${phase.name}`,
    ...source,
    transaction: phase.transaction,
    ...(phase.lockTimeout === undefined ? {} : { lockTimeout: phase.lockTimeout }),
  };
}

async function runBody(
  client: pg.Client,
  phase: PhaseParams,
  sql: string,
  policy: RetryPolicy,
  ctx: PhaseContext,
  signal: AbortSignal,
  writeLedger: (withLsn: boolean) => Promise<void>,
): Promise<BodyOutcome> {
  const run = <T>(work: () => Promise<T>) => withLockRetry(work, policy, ctx.primary, signal);
  if (phase.backfill !== undefined) {
    const spec = { ...phase.backfill, throttleTimeoutMs: ms(phase.backfill.throttleTimeout) };
    const backfill = await runBackfill(client, spec, policy, ctx.primary, ctx.replicas, signal);
    if (!backfill.ok) {
      return backfill.failure.kind === "lag"
        ? fail("replica-lag", backfill.failure.message, true)
        : pgFailure(backfill.failure.failure, 0);
    }
    await writeLedger(true);
    return { ok: true, lockTimeouts: backfill.value.lockTimeouts, backfill: backfill.value };
  }

  if (phase.transaction) {
    const outcome = await run(async () => {
      await client.query("BEGIN");
      try {
        await client.query(sql);
        const invalid = await invalidIndexes(client, phase.checkIndexes ?? []);
        if (invalid !== undefined) {
          await client.query("ROLLBACK");
          return invalid;
        }
        await writeLedger(false);
        await client.query("COMMIT");
        return undefined;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      }
    });
    if (!outcome.ok) return pgFailure(outcome.failure, outcome.lockTimeouts);
    if (outcome.value !== undefined) return fail("invalid-index", outcome.value, false);
    return { ok: true, lockTimeouts: outcome.lockTimeouts };
  }

  const statements = splitStatements(sql);
  let lockTimeouts = 0;
  for (const statement of statements) {
    const outcome = await run(() => client.query(statement));
    lockTimeouts += outcome.lockTimeouts;
    if (!outcome.ok) return pgFailure(outcome.failure, lockTimeouts);
  }
  const invalid = await invalidIndexes(client, [...concurrentIndexNames(statements), ...(phase.checkIndexes ?? [])]);
  if (invalid !== undefined) return fail("invalid-index", invalid, false);
  await writeLedger(true);
  return { ok: true, lockTimeouts };
}

/** A message naming invalid or missing indexes, or `undefined` when all are valid. */
async function invalidIndexes(client: pg.ClientBase, names: readonly string[]): Promise<string | undefined> {
  const problems: string[] = [];
  for (const name of new Set(names)) {
    const result = await client.query<{ valid: boolean }>(
      "SELECT i.indisvalid AS valid FROM pg_index i WHERE i.indexrelid = to_regclass($1)",
      [name],
    );
    const valid = result.rows[0]?.valid;
    if (valid === undefined) problems.push(`index ${name} does not exist`);
    else if (!valid)
      problems.push(`index ${name} is invalid (pg_index.indisvalid = false); drop it and re-run the phase`);
  }
  return problems.length === 0 ? undefined : problems.join("; ");
}

async function phaseSql(
  phase: PhaseParams,
  planDir: string,
): Promise<{ readonly ok: true; readonly value: string } | Failure> {
  if (phase.sql !== undefined) return { ok: true, value: phase.sql };
  if (phase.backfill !== undefined) return { ok: true, value: phase.backfill.sql };
  const file = resolve(planDir, phase.file ?? "");
  try {
    return { ok: true, value: await readFile(file, "utf8") };
  } catch (error) {
    return fail(
      "file",
      `cannot read phase ${phase.name}'s SQL file ${file}: ${(error as NodeJS.ErrnoException).code ?? "error"}`,
      false,
    );
  }
}

function retryPolicy(config: MigrationConfig): RetryPolicy {
  return {
    attempts: config.retry.attempts,
    backoffMs: ms(config.retry.backoff),
    maxBackoffMs: ms(config.retry.maxBackoff),
  };
}

function pgFailure(failure: PgFailure, lockTimeouts: number): Failure {
  switch (failure.code) {
    case "lock-timeout":
      return fail("lock-timeout", `gave up after ${lockTimeouts} tries under lock_timeout: ${failure.message}`, true);
    case "unreachable":
    case "timeout":
    case "aborted":
      return fail(failure.code, failure.message, true);
    case "auth":
      return fail("auth", failure.message, false);
    case "query":
      return fail("sql-error", failure.message, false);
  }
}

function observation(state: { readonly [key: string]: Json }): Observation {
  return { observedAtMs: Date.now(), state, matches: true };
}

/**
 * When the runner aborts an apply, cancel the running statement from a
 * second session, so an abandoned DDL never keeps waiting on a lock.
 * Returns a function that stops listening.
 */
function cancelOnAbort(client: pg.Client, primary: PgEndpoint, signal: AbortSignal): () => void {
  const onAbort = (): void => {
    const pid = (client as unknown as { processID?: number }).processID;
    if (pid === undefined) return;
    const canceller = new pg.Client({ connectionString: primary.url, application_name: "airlock-cancel" });
    canceller.on("error", () => undefined);
    canceller
      .connect()
      .then(() => canceller.query("SELECT pg_cancel_backend($1)", [pid]))
      .catch(() => undefined)
      .finally(() => canceller.end().catch(() => undefined));
  };
  signal.addEventListener("abort", onAbort, { once: true });
  return () => signal.removeEventListener("abort", onAbort);
}
