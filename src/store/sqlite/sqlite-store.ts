/**
 * SQLite `Store` on better-sqlite3: the embedded default, one file. WAL with
 * `synchronous=NORMAL` (a commit survives a process crash; a power loss may
 * drop the last few), `busy_timeout` so processes sharing the file wait for
 * each other, and `BEGIN IMMEDIATE` for every read-decide-write transaction so
 * two processes serialize on the write lock instead of deciding on stale reads.
 * The store clock is this machine's clock (every process on one file shares it).
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import type { Json } from "../../targets/target.ts";
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
import type {
  Ack,
  CommitRequest,
  DomainStatus,
  Freeze,
  OperationRecord,
  OperationStatus,
  RunnerLease,
  Store,
  StoredCommand,
  StoredEvent,
  StoreResult,
} from "../store.ts";
import { PollCache } from "./poll-cache.ts";
import { migrateSqlite } from "./sqlite-migrations.ts";
import {
  OPERATION_ROWS,
  type OperationRow,
  prepareStatements,
  type SqliteStatements,
  type WaiterRow,
} from "./sqlite-statements.ts";

/** Options: `now` is the store clock in ms (default `Date.now`; tests move it); `busyTimeoutMs` defaults to 5 s. */
export interface SqliteStoreOptions {
  readonly now?: () => number;
  readonly busyTimeoutMs?: number;
}

type CommitValue = { readonly version: number; readonly firstSeq: number };

function toOperation(row: OperationRow): OperationRecord {
  return {
    id: row.id,
    planName: row.plan_name,
    domain: row.domain,
    planHash: row.plan_hash,
    planSource: row.plan_source,
    planFile: row.plan_file,
    status: row.status as OperationStatus,
    version: row.version,
    state: JSON.parse(row.state) as Json,
    createdAtMs: row.created_at_ms,
    updatedAtMs: row.updated_at_ms,
  };
}

function toWaiter(row: WaiterRow) {
  return {
    operationId: row.operation_id,
    planName: row.plan_name,
    status: row.status as OperationStatus,
    priority: row.priority === "rollback" ? ("rollback" as const) : ("normal" as const),
    sinceMs: row.since_ms,
    lastSeenMs: row.last_seen_ms,
  };
}

/** The SQLite store. One instance per connection; several instances or processes may share a file. */
export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly clock: () => number;
  private compiled: SqliteStatements | undefined;
  private commitTransaction: Database.Transaction<(request: CommitRequest) => StoreResult<CommitValue>> | undefined;
  private readonly listStatements = new Map<string, Database.Statement<unknown[], OperationRow>>();
  private pollCache: PollCache | undefined;

  constructor(path: string, options: SqliteStoreOptions = {}) {
    this.db = new Database(path);
    this.clock = options.now ?? Date.now;
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5_000))}`);
  }

  private get sql(): SqliteStatements {
    this.compiled ??= prepareStatements(this.db);
    return this.compiled;
  }

  /** Freezes and pending commands, re-read only after a write (see poll-cache.ts). Needs the migrated schema. */
  private get polled(): PollCache {
    this.pollCache ??= new PollCache(this.db);
    return this.pollCache;
  }

  async migrate(): Promise<void> {
    migrateSqlite(this.db, this.clock());
  }

  async nowMs(): Promise<number> {
    return this.clock();
  }

  async createOperation(input: Parameters<Store["createOperation"]>[0]) {
    return this.db
      .transaction(() => {
        const live = this.sql.livePlan.get(input.planName);
        if (live !== undefined) {
          if (live.plan_hash !== input.planHash) {
            return fail("conflict", `plan ${input.planName} is running as ${live.id} with another plan hash`);
          }
          return ok({ created: false, operation: toOperation(live) });
        }
        if (this.sql.operation.get(input.id) !== undefined)
          return fail("conflict", `operation ${input.id} already exists`);
        const nowMs = this.clock();
        const { id, planName, domain, planHash, planSource, planFile } = input;
        const state = JSON.stringify(input.state);
        this.sql.insertOperation.run(id, planName, domain, planHash, planFile, state, nowMs, nowMs);
        this.sql.insertPlan.run(id, planSource);
        const created = this.sql.operation.get(id);
        if (created === undefined) throw new Error(`operation ${id} vanished after insert`);
        return ok({ created: true, operation: toOperation(created) });
      })
      .immediate();
  }

  async getOperation(id: string): Promise<OperationRecord | undefined> {
    const row = this.sql.operation.get(id);
    return row === undefined ? undefined : toOperation(row);
  }

  async listOperations(filter: Parameters<Store["listOperations"]>[0] = {}): Promise<readonly OperationRecord[]> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    for (const [column, value] of [
      ["status", filter.status],
      ["domain", filter.domain],
      ["plan_name", filter.planName],
    ] as const) {
      if (value === undefined) continue;
      where.push(`o.${column} = ?`);
      params.push(value);
    }
    if (filter.live !== undefined) {
      const list = TERMINAL_STATUSES.map((s) => `'${s}'`).join(", ");
      where.push(`o.status ${filter.live ? "NOT IN" : "IN"} (${list})`);
    }
    params.push(filter.limit ?? -1);
    const sql = `${OPERATION_ROWS} ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
      ORDER BY o.created_at_ms DESC, o.rowid DESC LIMIT ?`;
    let statement = this.listStatements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare<unknown[], OperationRow>(sql);
      this.listStatements.set(sql, statement);
    }
    return statement.all(...params).map(toOperation);
  }

  async acquireRunnerLease(operationId: string, holder: string, ttlMs: number): Promise<StoreResult<RunnerLease>> {
    return this.db
      .transaction(() => {
        if (this.sql.operation.get(operationId) === undefined) return fail("not-found", `no operation ${operationId}`);
        const decision = decideRunnerLease(operationId, this.leaseRow(operationId), holder, ttlMs, this.clock());
        if (decision.ok) {
          const lease = decision.value;
          this.sql.upsertLease.run(operationId, lease.holder, lease.token, lease.expiresAtMs);
        }
        return decision;
      })
      .immediate();
  }

  private leaseRow(operationId: string): RunnerLeaseRow | undefined {
    const row = this.sql.lease.get(operationId);
    return row === undefined ? undefined : { holder: row.holder, token: row.token, expiresAtMs: row.expires_at_ms };
  }

  async releaseRunnerLease(operationId: string, holder: string, token: number): Promise<void> {
    this.sql.releaseLease.run(operationId, holder, token);
  }

  async getRunnerLease(operationId: string): Promise<RunnerLease | undefined> {
    return visibleLease(operationId, this.leaseRow(operationId));
  }

  async commit(request: CommitRequest): Promise<StoreResult<CommitValue>> {
    this.commitTransaction ??= this.db.transaction((r: CommitRequest) => this.commitInTransaction(r));
    return this.commitTransaction.immediate(request);
  }

  private commitInTransaction(request: CommitRequest): StoreResult<CommitValue> {
    const sql = this.sql;
    const id = request.operationId;
    const head = sql.commitHead.get(id);
    if (head === undefined) return fail("not-found", `no operation ${id}`);
    const nowMs = this.clock();
    const lease =
      head.holder === null && head.token === null
        ? undefined
        : { holder: head.holder, token: head.token ?? 0, expiresAtMs: head.expires_at_ms ?? 0 };
    const check = checkCommit(request, this.lockSnapshot(request, head.version, head.status, lease), nowMs);
    if (!check.ok) {
      const w = check.waiter;
      if (w !== undefined) sql.upsertWaiter.run(w.domain, w.operationId, w.priority, w.sinceMs, w.lastSeenMs);
      return check.failure;
    }
    const firstSeq = head.last_seq + 1;
    for (const [i, e] of request.events.entries()) {
      sql.insertEvent.run(id, firstSeq + i, e.type, e.atMs, JSON.stringify(e.data));
    }
    const version = head.version + 1;
    const lastSeq = head.last_seq + request.events.length;
    sql.updateOperation.run(request.status, JSON.stringify(request.state), version, lastSeq, nowMs, id);
    if (request.locks !== undefined) this.applyLocks(request, nowMs);
    if ((request.consumedCommandIds ?? []).length > 0) this.polled.noteWrite();
    for (const commandId of request.consumedCommandIds ?? []) sql.consumeCommand.run(nowMs, commandId, id);
    return ok({ version, firstSeq });
  }

  private lockSnapshot(
    request: CommitRequest,
    version: number,
    status: string,
    lease: RunnerLeaseRow | undefined,
  ): CommitSnapshot {
    const claimHolders = (request.locks?.acquireClaims ?? []).flatMap((claim) => {
      const row = this.sql.claimHolder.get(claim);
      return row === undefined ? [] : [{ claim, operationId: row.operation_id, planName: row.plan_name }];
    });
    const base = { version, status: status as OperationStatus, lease, claimHolders };
    const domain = request.locks?.acquireDomain?.domain;
    if (domain === undefined) return base;
    return { ...base, domainHolder: this.domainHolder(domain), domainWaiters: this.domainWaiters(domain) };
  }

  private applyLocks(request: CommitRequest, nowMs: number): void {
    const sql = this.sql;
    const id = request.operationId;
    const locks = request.locks ?? {};
    if (locks.releaseDomain !== undefined) sql.releaseDomain.run(locks.releaseDomain, id);
    if (locks.leaveDomainQueue !== undefined) sql.deleteWaiter.run(locks.leaveDomainQueue, id);
    if (locks.releaseClaims === true) sql.releaseClaims.run(id);
    if (locks.acquireDomain !== undefined) {
      sql.takeDomain.run(locks.acquireDomain.domain, id, locks.acquireDomain.stage, nowMs);
      sql.deleteWaiter.run(locks.acquireDomain.domain, id);
    }
    for (const claim of locks.acquireClaims ?? []) sql.insertClaim.run(claim, id);
  }

  private domainHolder(domain: string) {
    const row = this.sql.domainHolder.get(domain);
    if (row === undefined) return undefined;
    return { operationId: row.operation_id, planName: row.plan_name, stage: row.stage, sinceMs: row.since_ms };
  }

  private domainWaiters(domain: string) {
    return this.sql.domainWaiters.all(domain).map(toWaiter);
  }

  async listEvents(operationId: string, afterSeq = 0, limit?: number): Promise<readonly StoredEvent[]> {
    return this.sql.events.all(operationId, afterSeq, limit ?? -1).map((row) => ({
      operationId,
      seq: row.seq,
      type: row.type,
      atMs: row.at_ms,
      data: JSON.parse(row.data) as Json,
    }));
  }

  async enqueueCommand(input: Omit<StoredCommand, "id" | "createdAtMs">): Promise<StoreResult<StoredCommand>> {
    return this.db
      .transaction((): StoreResult<StoredCommand> => {
        if (this.sql.operation.get(input.operationId) === undefined) {
          return fail("not-found", `no operation ${input.operationId}`);
        }
        const createdAtMs = this.clock();
        const { operationId, type, actor, reason } = input;
        const data = JSON.stringify(input.data);
        this.polled.noteWrite();
        const { lastInsertRowid } = this.sql.insertCommand.run(operationId, type, actor, reason, data, createdAtMs);
        return ok({ ...input, data: JSON.parse(data) as Json, id: Number(lastInsertRowid), createdAtMs });
      })
      .immediate();
  }

  async pendingCommands(operationId: string): Promise<readonly StoredCommand[]> {
    return this.polled.pendingCommands(operationId);
  }

  async domainStatus(domain: string): Promise<DomainStatus> {
    return this.db.transaction((): DomainStatus => {
      const holder = this.domainHolder(domain);
      const waiting = queueOrder(this.domainWaiters(domain), this.clock()).map(
        ({ operationId, priority, sinceMs }) => ({
          operationId,
          priority,
          sinceMs,
        }),
      );
      return holder === undefined ? { domain, waiting } : { domain, holder, waiting };
    })();
  }

  async setFreeze(freeze: Freeze): Promise<void> {
    this.polled.noteWrite();
    this.sql.upsertFreeze.run(freeze.domain, freeze.setBy, freeze.reason, freeze.setAtMs, freeze.expiresAtMs);
  }

  async clearFreeze(domain: string, setBy?: string): Promise<void> {
    this.polled.noteWrite();
    if (setBy === undefined) this.sql.clearFreezes.run(domain);
    else this.sql.clearFreezeBy.run(domain, setBy);
  }

  async activeFreezes(domains?: readonly string[]): Promise<readonly Freeze[]> {
    return this.polled.activeFreezes(this.clock(), domains);
  }

  async recordAck(ack: Ack): Promise<void> {
    this.sql.insertAck.run(ack.operationId, ack.stage, ack.consumer, ack.actor, ack.atMs);
  }

  async listAcks(operationId: string): Promise<readonly Ack[]> {
    return this.sql.acks.all(operationId).map((row) => ({
      operationId: row.operation_id,
      stage: row.stage,
      consumer: row.consumer,
      actor: row.actor,
      atMs: row.at_ms,
    }));
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

/** Opens (not migrates) the SQLite store at `path`, creating its directory. */
export function openSqliteStore(path: string, options: SqliteStoreOptions = {}): SqliteStore {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  return new SqliteStore(path, options);
}
