/**
 * In-memory `Store`: the fake for engine unit and property tests. It passes
 * the same contract suite as SQLite and PostgreSQL. Every method runs to
 * completion without awaiting, so each call is atomic; several instances can
 * share one `MemoryDatabase` to play several controllers.
 */
import type { Json } from "../../targets/target.ts";
import { type CommitSnapshot, checkCommit } from "../check-commit.ts";
import {
  type DomainWaiterRow,
  decideRunnerLease,
  fail,
  isLive,
  ok,
  queueOrder,
  type RunnerLeaseRow,
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

interface OperationRow {
  record: OperationRecord;
  lastSeq: number;
  /** Insertion order, to break ties between operations created in the same millisecond. */
  order: number;
}

interface DomainLeaseRow {
  readonly operationId: string;
  readonly stage: string;
  readonly sinceMs: number;
}

interface WaiterRow {
  readonly priority: "normal" | "rollback";
  readonly sinceMs: number;
  readonly lastSeenMs: number;
}

/** The shared tables; create one per simulated database. */
export class MemoryDatabase {
  readonly operations = new Map<string, OperationRow>();
  readonly events = new Map<string, StoredEvent[]>();
  readonly runnerLeases = new Map<string, RunnerLeaseRow>();
  readonly domainLeases = new Map<string, DomainLeaseRow>();
  /** domain → operation id → waiter. */
  readonly waiters = new Map<string, Map<string, WaiterRow>>();
  /** claim → operation id. */
  readonly claims = new Map<string, string>();
  readonly commands: { command: StoredCommand; consumed: boolean }[] = [];
  /** `domain\0setBy` → freeze. */
  readonly freezes = new Map<string, Freeze>();
  /** `operation\0stage\0consumer` → ack. */
  readonly acks = new Map<string, Ack>();
  nextCommandId = 1;
  nextOrder = 1;
}

/** Options: `now` is the store clock (default `Date.now`); `database` shares tables with other instances. */
export interface MemoryStoreOptions {
  readonly now?: () => number;
  readonly database?: MemoryDatabase;
}

function copyJson<T extends Json>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** The in-memory store. Not durable; `close` is a no-op. */
export class MemoryStore implements Store {
  readonly database: MemoryDatabase;
  private readonly clock: () => number;

  constructor(options: MemoryStoreOptions = {}) {
    this.database = options.database ?? new MemoryDatabase();
    this.clock = options.now ?? Date.now;
  }

  async migrate(): Promise<void> {}

  async nowMs(): Promise<number> {
    return this.clock();
  }

  async createOperation(input: Parameters<Store["createOperation"]>[0]) {
    const db = this.database;
    const live = [...db.operations.values()].find(
      (row) => row.record.planName === input.planName && isLive(row.record.status),
    );
    if (live !== undefined) {
      if (live.record.planHash !== input.planHash) {
        return fail("conflict", `plan ${input.planName} is running as ${live.record.id} with another plan hash`);
      }
      return ok({ created: false, operation: live.record });
    }
    if (db.operations.has(input.id)) return fail("conflict", `operation ${input.id} already exists`);
    const nowMs = this.clock();
    const record: OperationRecord = {
      ...input,
      state: copyJson(input.state),
      status: "pending",
      version: 0,
      createdAtMs: nowMs,
      updatedAtMs: nowMs,
    };
    db.operations.set(input.id, { record, lastSeq: 0, order: db.nextOrder++ });
    return ok({ created: true, operation: record });
  }

  async getOperation(id: string): Promise<OperationRecord | undefined> {
    return this.database.operations.get(id)?.record;
  }

  async listOperations(filter: Parameters<Store["listOperations"]>[0] = {}): Promise<readonly OperationRecord[]> {
    const rows = [...this.database.operations.values()]
      .filter(({ record }) => filter.status === undefined || record.status === filter.status)
      .filter(({ record }) => filter.domain === undefined || record.domain === filter.domain)
      .filter(({ record }) => filter.planName === undefined || record.planName === filter.planName)
      .filter(({ record }) => filter.live === undefined || isLive(record.status) === filter.live)
      .sort((a, b) => b.record.createdAtMs - a.record.createdAtMs || b.order - a.order);
    return rows.slice(0, filter.limit ?? rows.length).map((row) => row.record);
  }

  async acquireRunnerLease(operationId: string, holder: string, ttlMs: number): Promise<StoreResult<RunnerLease>> {
    if (!this.database.operations.has(operationId)) return fail("not-found", `no operation ${operationId}`);
    const decision = decideRunnerLease(
      operationId,
      this.database.runnerLeases.get(operationId),
      holder,
      ttlMs,
      this.clock(),
    );
    if (decision.ok) this.database.runnerLeases.set(operationId, decision.value);
    return decision;
  }

  async releaseRunnerLease(operationId: string, holder: string, token: number): Promise<void> {
    const row = this.database.runnerLeases.get(operationId);
    if (row?.holder === holder && row.token === token) {
      this.database.runnerLeases.set(operationId, { holder: null, token, expiresAtMs: 0 });
    }
  }

  async getRunnerLease(operationId: string): Promise<RunnerLease | undefined> {
    return visibleLease(operationId, this.database.runnerLeases.get(operationId));
  }

  async commit(request: CommitRequest): Promise<StoreResult<{ readonly version: number; readonly firstSeq: number }>> {
    const db = this.database;
    const row = db.operations.get(request.operationId);
    if (row === undefined) return fail("not-found", `no operation ${request.operationId}`);
    const nowMs = this.clock();
    const check = checkCommit(request, this.snapshot(row, request), nowMs);
    if (!check.ok) {
      if (check.waiter !== undefined) {
        const { domain, operationId, ...waiter } = check.waiter;
        const waiters = db.waiters.get(domain) ?? new Map<string, WaiterRow>();
        db.waiters.set(domain, waiters.set(operationId, waiter));
      }
      return check.failure;
    }
    const firstSeq = row.lastSeq + 1;
    const events = db.events.get(request.operationId) ?? [];
    for (const [i, e] of request.events.entries()) {
      events.push({
        operationId: request.operationId,
        seq: firstSeq + i,
        type: e.type,
        atMs: e.atMs,
        data: copyJson(e.data),
      });
    }
    db.events.set(request.operationId, events);
    row.lastSeq += request.events.length;
    row.record = {
      ...row.record,
      status: request.status,
      state: copyJson(request.state),
      version: row.record.version + 1,
      updatedAtMs: nowMs,
    };
    this.applyLocks(request, nowMs);
    const consumed = new Set(request.consumedCommandIds ?? []);
    for (const entry of db.commands) {
      if (consumed.has(entry.command.id) && entry.command.operationId === request.operationId) entry.consumed = true;
    }
    return ok({ version: row.record.version, firstSeq });
  }

  private snapshot(row: OperationRow, request: CommitRequest): CommitSnapshot {
    const db = this.database;
    const domain = request.locks?.acquireDomain?.domain;
    const claimHolders = (request.locks?.acquireClaims ?? []).flatMap((claim) => {
      const holder = db.claims.get(claim);
      return holder === undefined ? [] : [{ claim, operationId: holder, planName: this.planName(holder) }];
    });
    const base = {
      version: row.record.version,
      status: row.record.status,
      lease: db.runnerLeases.get(request.operationId),
      claimHolders,
    };
    if (domain === undefined) return base;
    return { ...base, domainHolder: this.domainHolder(domain), domainWaiters: this.domainWaiters(domain) };
  }

  private applyLocks(request: CommitRequest, nowMs: number): void {
    const db = this.database;
    const id = request.operationId;
    const locks = request.locks ?? {};
    if (locks.releaseDomain !== undefined && db.domainLeases.get(locks.releaseDomain)?.operationId === id) {
      db.domainLeases.delete(locks.releaseDomain);
    }
    if (locks.leaveDomainQueue !== undefined) db.waiters.get(locks.leaveDomainQueue)?.delete(id);
    if (locks.releaseClaims === true) {
      for (const [claim, holder] of db.claims) if (holder === id) db.claims.delete(claim);
    }
    if (locks.acquireDomain !== undefined) {
      const { domain, stage } = locks.acquireDomain;
      const current = db.domainLeases.get(domain);
      const sinceMs = current?.operationId === id && current.stage === stage ? current.sinceMs : nowMs;
      db.domainLeases.set(domain, { operationId: id, stage, sinceMs });
      db.waiters.get(domain)?.delete(id);
    }
    for (const claim of locks.acquireClaims ?? []) db.claims.set(claim, id);
  }

  private planName(operationId: string): string {
    return this.database.operations.get(operationId)?.record.planName ?? "";
  }

  private domainHolder(domain: string) {
    const lease = this.database.domainLeases.get(domain);
    return lease === undefined ? undefined : { ...lease, planName: this.planName(lease.operationId) };
  }

  private domainWaiters(domain: string): DomainWaiterRow[] {
    return [...(this.database.waiters.get(domain) ?? new Map<string, WaiterRow>())].map(([operationId, w]) => ({
      operationId,
      ...w,
      planName: this.planName(operationId),
      status: this.database.operations.get(operationId)?.record.status ?? ("abandoned" satisfies OperationStatus),
    }));
  }

  async listEvents(operationId: string, afterSeq = 0, limit?: number): Promise<readonly StoredEvent[]> {
    const events = (this.database.events.get(operationId) ?? []).filter((e) => e.seq > afterSeq);
    return limit === undefined ? events : events.slice(0, limit);
  }

  async enqueueCommand(input: Omit<StoredCommand, "id" | "createdAtMs">): Promise<StoreResult<StoredCommand>> {
    const db = this.database;
    if (!db.operations.has(input.operationId)) return fail("not-found", `no operation ${input.operationId}`);
    const command: StoredCommand = {
      ...input,
      data: copyJson(input.data),
      id: db.nextCommandId++,
      createdAtMs: this.clock(),
    };
    db.commands.push({ command, consumed: false });
    return ok(command);
  }

  async pendingCommands(operationId: string): Promise<readonly StoredCommand[]> {
    return this.database.commands
      .filter((entry) => !entry.consumed && entry.command.operationId === operationId)
      .map((entry) => entry.command);
  }

  async domainStatus(domain: string): Promise<DomainStatus> {
    const holder = this.domainHolder(domain);
    const waiting = queueOrder(this.domainWaiters(domain), this.clock()).map(({ operationId, priority, sinceMs }) => ({
      operationId,
      priority,
      sinceMs,
    }));
    return holder === undefined ? { domain, waiting } : { domain, holder, waiting };
  }

  async setFreeze(freeze: Freeze): Promise<void> {
    this.database.freezes.set(`${freeze.domain}\0${freeze.setBy}`, { ...freeze });
  }

  async clearFreeze(domain: string, setBy?: string): Promise<void> {
    for (const [key, freeze] of this.database.freezes) {
      if (freeze.domain === domain && (setBy === undefined || freeze.setBy === setBy))
        this.database.freezes.delete(key);
    }
  }

  async activeFreezes(domains?: readonly string[]): Promise<readonly Freeze[]> {
    const nowMs = this.clock();
    return [...this.database.freezes.values()].filter(
      (f) =>
        (f.expiresAtMs === null || f.expiresAtMs > nowMs) &&
        (domains === undefined || f.domain === "*" || domains.includes(f.domain)),
    );
  }

  async recordAck(ack: Ack): Promise<void> {
    const key = `${ack.operationId}\0${ack.stage}\0${ack.consumer}`;
    if (!this.database.acks.has(key)) this.database.acks.set(key, { ...ack });
  }

  async listAcks(operationId: string): Promise<readonly Ack[]> {
    return [...this.database.acks.values()]
      .filter((ack) => ack.operationId === operationId)
      .sort((a, b) => a.atMs - b.atMs);
  }

  async close(): Promise<void> {}
}
