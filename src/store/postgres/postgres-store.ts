/**
 * PostgreSQL `Store` on a `pg` Pool: several controllers share one database.
 * READ COMMITTED with explicit locks: a commit or runner-lease change first
 * locks the operation's row (`FOR UPDATE`), so a takeover and a commit of one
 * operation never interleave; domain and claim decisions take transaction
 * advisory locks on the domain and on each claim (in a fixed order), so two
 * operations never both see a free domain or claim. The clock is the
 * database's `clock_timestamp()`, read after the locks are held.
 */
import pg from "pg";
import { type CommitSnapshot, checkCommit } from "../check-commit.ts";
import {
  decideRunnerLease,
  fail,
  ok,
  queueOrder,
  type RunnerLeaseRow,
  TERMINAL_STATUSES,
  visibleLease,
} from "../rules.ts";
import { type CommandRow, type FreezeRow, toCommand, toFreeze } from "../signal-rows.ts";
import type {
  Ack,
  CommitRequest,
  DomainStatus,
  Freeze,
  OperationRecord,
  RunnerLease,
  Store,
  StoredCommand,
  StoredEvent,
  StoreResult,
} from "../store.ts";
import { applyLocks, claimHolders, domainRows, lockNames, upsertWaiter } from "./postgres-locks.ts";
import { migratePostgres } from "./postgres-migrations.ts";
import { nowMsSql, OPERATION_COLUMNS, type OperationRow, toOperation } from "./postgres-rows.ts";
import { withTransaction } from "./with-transaction.ts";

/** Pool settings plus `clockOffsetMs`, added to the database clock (tests move time with it; default 0). */
export interface PostgresStoreOptions extends pg.PoolConfig {
  readonly clockOffsetMs?: () => number;
}

type CommitValue = { readonly version: number; readonly firstSeq: number };

const TERMINAL_LIST = TERMINAL_STATUSES.map((s) => `'${s}'`).join(", ");

// int8 columns hold ms timestamps, tokens and ids, all far below 2^53.
const getTypeParser = ((oid: number, format?: "text" | "binary") =>
  oid === pg.types.builtins.INT8 ? Number : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser;

/**
 * A controller frozen inside a store transaction (SIGSTOP, a VM pause, a long
 * GC) would keep the operation's row locked and block the survivor's takeover;
 * PostgreSQL ends such a session after this long. Airlock's transactions run
 * their statements back to back in milliseconds. At most the lease TTL.
 */
export const IDLE_IN_TRANSACTION_TIMEOUT_MS = 5_000;

/** The pool settings the store connects with: `options` plus the per-session safety limits (which `options` may override). Pure. */
export function storePoolConfig(options: pg.PoolConfig): pg.PoolConfig {
  return { idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_TIMEOUT_MS, ...options, types: { getTypeParser } };
}

/** The PostgreSQL store. `close` ends its pool. */
export class PostgresStore implements Store {
  private readonly pool: pg.Pool;
  private readonly offsetMs: () => number;

  constructor(options: PostgresStoreOptions) {
    const { clockOffsetMs, ...poolConfig } = options;
    this.pool = new pg.Pool(storePoolConfig(poolConfig));
    // An idle client that loses its connection is dropped by the pool; the next query reports the failure.
    this.pool.on("error", () => {});
    this.offsetMs = clockOffsetMs ?? (() => 0);
  }

  async migrate(): Promise<void> {
    await migratePostgres(this.pool);
  }

  async nowMs(): Promise<number> {
    const { rows } = await this.pool.query<{ now_ms: number }>(`SELECT ${nowMsSql(1)} AS now_ms`, [this.offsetMs()]);
    return rows[0]?.now_ms ?? Number.NaN;
  }

  private async clientNowMs(client: pg.PoolClient): Promise<number> {
    const { rows } = await client.query<{ now_ms: number }>(`SELECT ${nowMsSql(1)} AS now_ms`, [this.offsetMs()]);
    return rows[0]?.now_ms ?? Number.NaN;
  }

  async createOperation(input: Parameters<Store["createOperation"]>[0]) {
    return withTransaction(this.pool, async (client) => {
      await client.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [`airlock:plan:${input.planName}`]);
      const live = await client.query<OperationRow>(
        `SELECT ${OPERATION_COLUMNS} FROM operations WHERE plan_name = $1 AND status NOT IN (${TERMINAL_LIST})`,
        [input.planName],
      );
      const existing = live.rows[0];
      if (existing !== undefined) {
        if (existing.plan_hash !== input.planHash) {
          return fail("conflict", `plan ${input.planName} is running as ${existing.id} with another plan hash`);
        }
        return ok({ created: false, operation: toOperation(existing) });
      }
      const inserted = await client.query<OperationRow>(
        `INSERT INTO operations (id, plan_name, domain, plan_hash, plan_source, plan_file, status, version, last_seq,
           state, created_at_ms, updated_at_ms)
         SELECT $1, $2, $3, $4, $5, $6, 'pending', 0, 0, $7::json, t.now_ms, t.now_ms FROM (SELECT ${nowMsSql(8)} AS now_ms) t
         ON CONFLICT (id) DO NOTHING
         RETURNING ${OPERATION_COLUMNS}`,
        [
          input.id,
          input.planName,
          input.domain,
          input.planHash,
          input.planSource,
          input.planFile,
          JSON.stringify(input.state),
          this.offsetMs(),
        ],
      );
      const created = inserted.rows[0];
      if (created === undefined) return fail("conflict", `operation ${input.id} already exists`);
      return ok({ created: true, operation: toOperation(created) });
    });
  }

  async getOperation(id: string): Promise<OperationRecord | undefined> {
    const { rows } = await this.pool.query<OperationRow>(`SELECT ${OPERATION_COLUMNS} FROM operations WHERE id = $1`, [
      id,
    ]);
    return rows[0] === undefined ? undefined : toOperation(rows[0]);
  }

  async listOperations(filter: Parameters<Store["listOperations"]>[0] = {}): Promise<readonly OperationRecord[]> {
    const where: string[] = [];
    const params: (string | number | null)[] = [];
    for (const [column, value] of [
      ["status", filter.status],
      ["domain", filter.domain],
      ["plan_name", filter.planName],
    ] as const) {
      if (value === undefined) continue;
      params.push(value);
      where.push(`${column} = $${params.length}`);
    }
    if (filter.live !== undefined) where.push(`status ${filter.live ? "NOT IN" : "IN"} (${TERMINAL_LIST})`);
    params.push(filter.limit ?? null);
    const { rows } = await this.pool.query<OperationRow>(
      `SELECT ${OPERATION_COLUMNS} FROM operations ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
       ORDER BY created_at_ms DESC, created_order DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map(toOperation);
  }

  async acquireRunnerLease(operationId: string, holder: string, ttlMs: number): Promise<StoreResult<RunnerLease>> {
    return withTransaction(this.pool, async (client) => {
      if (!(await this.lockOperation(client, operationId))) return fail("not-found", `no operation ${operationId}`);
      const row = await this.leaseRow(client, operationId);
      const decision = decideRunnerLease(operationId, row, holder, ttlMs, await this.clientNowMs(client));
      if (decision.ok) {
        await client.query(
          `INSERT INTO runner_leases (operation_id, holder, token, expires_at_ms) VALUES ($1, $2, $3, $4)
           ON CONFLICT (operation_id) DO UPDATE SET holder = excluded.holder, token = excluded.token,
             expires_at_ms = excluded.expires_at_ms`,
          [operationId, decision.value.holder, decision.value.token, decision.value.expiresAtMs],
        );
      }
      return decision;
    });
  }

  private async lockOperation(client: pg.PoolClient, operationId: string) {
    const { rows } = await client.query<{ version: number; status: string; last_seq: number }>(
      "SELECT version, status, last_seq FROM operations WHERE id = $1 FOR UPDATE",
      [operationId],
    );
    return rows[0];
  }

  private async leaseRow(client: pg.Pool | pg.PoolClient, operationId: string): Promise<RunnerLeaseRow | undefined> {
    const { rows } = await client.query<{ holder: string | null; token: number; expires_at_ms: number }>(
      "SELECT holder, token, expires_at_ms FROM runner_leases WHERE operation_id = $1",
      [operationId],
    );
    const row = rows[0];
    return row === undefined ? undefined : { holder: row.holder, token: row.token, expiresAtMs: row.expires_at_ms };
  }

  async releaseRunnerLease(operationId: string, holder: string, token: number): Promise<void> {
    await this.pool.query(
      "UPDATE runner_leases SET holder = NULL, expires_at_ms = 0 WHERE operation_id = $1 AND holder = $2 AND token = $3",
      [operationId, holder, token],
    );
  }

  async getRunnerLease(operationId: string): Promise<RunnerLease | undefined> {
    return visibleLease(operationId, await this.leaseRow(this.pool, operationId));
  }

  async commit(request: CommitRequest): Promise<StoreResult<CommitValue>> {
    return withTransaction(this.pool, async (client) => {
      const id = request.operationId;
      const head = await this.lockOperation(client, id);
      if (head === undefined) return fail("not-found", `no operation ${id}`);
      const locks = request.locks ?? {};
      const domain = locks.acquireDomain?.domain;
      const claims = [...new Set(locks.acquireClaims ?? [])];
      await lockNames(client, [
        ...(domain === undefined ? [] : [`airlock:domain:${domain}`]),
        ...claims.map((claim) => `airlock:claim:${claim}`),
      ]);
      const nowMs = await this.clientNowMs(client);
      const snapshot: CommitSnapshot = {
        version: head.version,
        status: head.status as CommitSnapshot["status"],
        lease: await this.leaseRow(client, id),
        claimHolders: await claimHolders(client, claims),
        ...(domain === undefined ? {} : await domainRows(client, domain)),
      };
      const check = checkCommit(request, snapshot, nowMs);
      if (!check.ok) {
        if (check.waiter !== undefined) await upsertWaiter(client, check.waiter);
        return check.failure;
      }
      const version = head.version + 1;
      await client.query(
        `WITH appended AS (
           INSERT INTO events (operation_id, seq, type, at_ms, data)
           SELECT $1, $2 + e.ord - 1, e.value->>'type', round((e.value->>'atMs')::numeric)::bigint, e.value->'data'
           FROM json_array_elements($3::json) WITH ORDINALITY AS e(value, ord)
         )
         UPDATE operations SET status = $4, state = $5::json, version = $6, last_seq = $7, updated_at_ms = $8
         WHERE id = $1`,
        [
          id,
          head.last_seq + 1,
          JSON.stringify(request.events),
          request.status,
          JSON.stringify(request.state),
          version,
          head.last_seq + request.events.length,
          nowMs,
        ],
      );
      await applyLocks(client, request, nowMs);
      if ((request.consumedCommandIds?.length ?? 0) > 0) {
        await client.query(
          `UPDATE commands SET consumed_at_ms = $1
           WHERE id = ANY($2::bigint[]) AND operation_id = $3 AND consumed_at_ms IS NULL`,
          [nowMs, request.consumedCommandIds, id],
        );
      }
      return ok({ version, firstSeq: head.last_seq + 1 });
    });
  }

  async listEvents(operationId: string, afterSeq = 0, limit?: number): Promise<readonly StoredEvent[]> {
    const { rows } = await this.pool.query<{ seq: number; type: string; at_ms: number; data: StoredEvent["data"] }>(
      "SELECT seq, type, at_ms, data FROM events WHERE operation_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
      [operationId, afterSeq, limit ?? null],
    );
    return rows.map((row) => ({ operationId, seq: row.seq, type: row.type, atMs: row.at_ms, data: row.data }));
  }

  async enqueueCommand(input: Omit<StoredCommand, "id" | "createdAtMs">): Promise<StoreResult<StoredCommand>> {
    const { rows } = await this.pool.query<CommandRow>(
      `INSERT INTO commands (operation_id, type, actor, reason, data, created_at_ms)
       SELECT $1, $2, $3, $4, $5::json, ${nowMsSql(6)} WHERE EXISTS (SELECT 1 FROM operations WHERE id = $1)
       RETURNING id, operation_id, type, actor, reason, data, created_at_ms`,
      [input.operationId, input.type, input.actor, input.reason, JSON.stringify(input.data), this.offsetMs()],
    );
    const row = rows[0];
    return row === undefined ? fail("not-found", `no operation ${input.operationId}`) : ok(toCommand(row));
  }

  async pendingCommands(operationId: string): Promise<readonly StoredCommand[]> {
    const { rows } = await this.pool.query<CommandRow>(
      `SELECT id, operation_id, type, actor, reason, data, created_at_ms FROM commands
       WHERE operation_id = $1 AND consumed_at_ms IS NULL ORDER BY id`,
      [operationId],
    );
    return rows.map(toCommand);
  }

  async domainStatus(domain: string): Promise<DomainStatus> {
    return withTransaction(this.pool, async (client) => {
      const { domainHolder, domainWaiters } = await domainRows(client, domain);
      const nowMs = await this.clientNowMs(client);
      const waiting = queueOrder(domainWaiters, nowMs).map(({ operationId, priority, sinceMs }) => ({
        operationId,
        priority,
        sinceMs,
      }));
      return domainHolder === undefined ? { domain, waiting } : { domain, holder: domainHolder, waiting };
    });
  }

  async setFreeze(freeze: Freeze): Promise<void> {
    await this.pool.query(
      `INSERT INTO freezes (domain, set_by, reason, set_at_ms, expires_at_ms) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (domain, set_by) DO UPDATE SET reason = excluded.reason, set_at_ms = excluded.set_at_ms,
         expires_at_ms = excluded.expires_at_ms`,
      [freeze.domain, freeze.setBy, freeze.reason, freeze.setAtMs, freeze.expiresAtMs],
    );
  }

  async clearFreeze(domain: string, setBy?: string): Promise<void> {
    await this.pool.query("DELETE FROM freezes WHERE domain = $1 AND ($2::text IS NULL OR set_by = $2)", [
      domain,
      setBy ?? null,
    ]);
  }

  async activeFreezes(domains?: readonly string[]): Promise<readonly Freeze[]> {
    const { rows } = await this.pool.query<FreezeRow>(
      `SELECT domain, set_by, reason, set_at_ms, expires_at_ms FROM freezes
       WHERE (expires_at_ms IS NULL OR expires_at_ms > ${nowMsSql(1)})
         AND ($2::text[] IS NULL OR domain = '*' OR domain = ANY($2::text[]))
       ORDER BY domain, set_by`,
      [this.offsetMs(), domains ?? null],
    );
    return rows.map(toFreeze);
  }

  async recordAck(ack: Ack): Promise<void> {
    await this.pool.query(
      `INSERT INTO acks (operation_id, stage, consumer, actor, at_ms) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT DO NOTHING`,
      [ack.operationId, ack.stage, ack.consumer, ack.actor, ack.atMs],
    );
  }

  async listAcks(operationId: string): Promise<readonly Ack[]> {
    const { rows } = await this.pool.query<{ stage: string; consumer: string; actor: string; at_ms: number }>(
      "SELECT stage, consumer, actor, at_ms FROM acks WHERE operation_id = $1 ORDER BY at_ms, id",
      [operationId],
    );
    return rows.map((row) => ({
      operationId,
      stage: row.stage,
      consumer: row.consumer,
      actor: row.actor,
      atMs: row.at_ms,
    }));
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** Opens (not migrates) the PostgreSQL store at a `postgres://` URL. */
export function openPostgresStore(
  connectionString: string,
  options: Omit<PostgresStoreOptions, "connectionString"> = {},
) {
  return new PostgresStore({ ...options, connectionString });
}
