/**
 * Read-only queries for sensors: a one-connection pool per endpoint, each
 * query in a `READ ONLY` transaction with `statement_timeout`, bounded by a
 * client-side deadline too, so a hung server yields a failed result in time.
 */
import pg from "pg";
import { isTimeoutReason } from "../../util/is-timeout-reason.ts";
import { classifyPgError, type PgEndpoint, type PgFailure, resolveConnection } from "./pg-connection.ts";

/** Rows as objects keyed by column name, plus the column order. */
export interface QueryRows {
  readonly columns: readonly string[];
  readonly rows: readonly Readonly<Record<string, unknown>>[];
}

/** A query's outcome: rows or a classified, redacted failure. */
export type QueryOutcome = { readonly ok: true; readonly value: QueryRows } | ({ readonly ok: false } & PgFailure);

/** Grace beyond `statement_timeout` before the client gives up on the server. */
const CLIENT_GRACE_MS = 500;

/**
 * A reader for one connection URL (template with `${ENV}` references). No
 * I/O until the first query; safe to call concurrently (queries queue on the
 * one connection). `close` is idempotent.
 */
export class PgReader {
  #pool: pg.Pool | undefined;
  #endpoint: PgEndpoint | undefined;

  constructor(
    private readonly template: string,
    private readonly applicationName: string,
    private readonly env: Readonly<Record<string, string | undefined>> = process.env,
  ) {}

  /** Runs one statement read-only. Never rejects. */
  async query(sql: string, params: readonly unknown[], timeoutMs: number, signal: AbortSignal): Promise<QueryOutcome> {
    if (signal.aborted) return abortedOutcome(signal, "read aborted before it started");
    const resolved = this.#resolve();
    if (!resolved.ok) return resolved;
    const endpoint = resolved.value;
    const pool = this.#poolFor(endpoint, timeoutMs);
    const deadline = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs + CLIENT_GRACE_MS)]);
    let client: pg.PoolClient | undefined;
    let broken = false;
    try {
      client = await untilAborted(pool.connect(), deadline, (late) => late.release(true));
      await untilAborted(client.query("BEGIN READ ONLY"), deadline);
      await untilAborted(
        client.query("SELECT set_config('statement_timeout', $1, true)", [String(timeoutMs)]),
        deadline,
      );
      // Extended protocol: exactly one statement, even without parameters.
      const statement = { text: sql, values: [...params], queryMode: "extended" };
      const result = await untilAborted(client.query(statement), deadline);
      await untilAborted(client.query("ROLLBACK"), deadline);
      return {
        ok: true,
        value: { columns: result.fields.map((field) => field.name), rows: result.rows as Record<string, unknown>[] },
      };
    } catch (error) {
      broken = true;
      if (signal.aborted) return abortedOutcome(signal, `postgres ${endpoint.label}: read aborted`);
      if (deadline.aborted && !(error instanceof Error && "severity" in error)) {
        return { ok: false, code: "timeout", message: `postgres ${endpoint.label}: no answer within ${timeoutMs} ms` };
      }
      return { ok: false, ...classifyPgError(error, endpoint) };
    } finally {
      // A connection that failed mid-transaction is discarded, never reused.
      client?.release(broken);
    }
  }

  /** Closes the pool. Idempotent. */
  async close(): Promise<void> {
    const pool = this.#pool;
    this.#pool = undefined;
    await pool?.end().catch(() => undefined);
  }

  #resolve(): { readonly ok: true; readonly value: PgEndpoint } | ({ readonly ok: false } & PgFailure) {
    if (this.#endpoint !== undefined) return { ok: true, value: this.#endpoint };
    const resolved = resolveConnection(this.template, this.env);
    if (!resolved.ok) return { ok: false, code: "unreachable", message: resolved.message };
    this.#endpoint = resolved.value;
    return resolved;
  }

  #poolFor(endpoint: PgEndpoint, timeoutMs: number): pg.Pool {
    if (this.#pool === undefined) {
      this.#pool = new pg.Pool({
        connectionString: endpoint.url,
        max: 1,
        idleTimeoutMillis: 30_000,
        connectionTimeoutMillis: timeoutMs,
        application_name: this.applicationName,
        allowExitOnIdle: true,
      });
      // An idle connection dropped by the server must not crash the process;
      // the next query reports the failure.
      this.#pool.on("error", () => undefined);
    }
    return this.#pool;
  }
}

/** The caller's abort: `timeout` for a passed deadline, else `aborted`. */
function abortedOutcome(signal: AbortSignal, message: string): QueryOutcome {
  return { ok: false, code: isTimeoutReason(signal.reason) ? "timeout" : "aborted", message };
}

/**
 * Resolves with `work`, or rejects when `signal` aborts first; a result that
 * arrives after the abort is handed to `onLate` (e.g. to discard a connection).
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal, onLate?: (value: T) => void): Promise<T> {
  if (signal.aborted) {
    work.then(onLate, () => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      work.then(onLate, () => undefined);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
