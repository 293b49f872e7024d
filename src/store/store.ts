/**
 * The store plug-in family: SQLite (embedded default) and PostgreSQL (HA).
 * One contract test suite (`store/contract.ts`) runs against every
 * implementation, including the in-memory fake.
 *
 * Every lock lives here, and every decision about time-based expiry uses the
 * store's clock, never the caller's: two controllers with skewed clocks must
 * agree on who holds a lease.
 */
import type { Json } from "../targets/target.ts";

/** Terminal or live state of an operation, as a column for queries. */
export type OperationStatus = "pending" | "running" | "halted" | "completed" | "rolled_back" | "failed" | "abandoned";

/** A stored operation. `state` is the engine's plain-data state (opaque to the store). */
export interface OperationRecord {
  readonly id: string;
  readonly planName: string;
  readonly domain: string;
  /** sha256 of the canonical plan; resuming with a different plan is refused. */
  readonly planHash: string;
  /** The plan source as submitted (YAML or JSON text), pinned for the operation's life. */
  readonly planSource: string;
  readonly planFile: string;
  readonly status: OperationStatus;
  /** Incremented by every commit; optimistic concurrency for `commit`. */
  readonly version: number;
  readonly state: Json;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
}

/** An append-only event. `seq` is per operation, gap-free, starting at 1. */
export interface StoredEvent {
  readonly operationId: string;
  readonly seq: number;
  /** Past tense: `StageStarted`, `ActionIntended`, `StageSealed`, `Halted`, ... */
  readonly type: string;
  /** Engine time of the event (virtual in simulation). */
  readonly atMs: number;
  readonly data: Json;
}

/** An event to append; the store assigns `seq`. */
export interface NewEvent {
  readonly type: string;
  readonly atMs: number;
  readonly data: Json;
}

/** A manual command waiting for the operation's runner (from the CLI or API, possibly another process). */
export interface StoredCommand {
  readonly id: number;
  readonly operationId: string;
  /** `halt`, `resume`, `rollback`, `ack`, `abandon`, `advance`. */
  readonly type: string;
  /** Who acted: the token holder's name or the OS user. */
  readonly actor: string;
  readonly reason: string;
  readonly data: Json;
  readonly createdAtMs: number;
}

/** The runner lease that proves a controller may act for an operation. */
export interface RunnerLease {
  readonly operationId: string;
  readonly holder: string;
  /** Strictly increasing per operation across all grants: the fencing token. */
  readonly token: number;
  /** Store-clock expiry. */
  readonly expiresAtMs: number;
}

/** The fence a commit must satisfy: the caller's lease must be current with at least `marginMs` left. */
export interface Fence {
  readonly holder: string;
  readonly token: number;
  readonly marginMs: number;
}

/** Lock changes made atomically with a commit. */
export interface LockChanges {
  /** Take the domain transition lease (idempotent for the current holder). */
  readonly acquireDomain?: {
    readonly domain: string;
    readonly stage: string;
    readonly priority: "normal" | "rollback";
  };
  /** Leave the domain's wait queue without taking the lease (e.g. halted while queued). */
  readonly leaveDomainQueue?: string;
  /** Release the domain transition lease if held by this operation (idempotent). */
  readonly releaseDomain?: string;
  /** Claim target objects until the operation ends (idempotent for this operation). */
  readonly acquireClaims?: readonly string[];
  /** Release every claim of this operation (idempotent). */
  readonly releaseClaims?: boolean;
}

/** Who holds a domain, and who waits, for `status` explanations. */
export interface DomainStatus {
  readonly domain: string;
  readonly holder?: {
    readonly operationId: string;
    readonly planName: string;
    readonly stage: string;
    readonly sinceMs: number;
  };
  readonly waiting: readonly {
    readonly operationId: string;
    readonly priority: "normal" | "rollback";
    readonly sinceMs: number;
  }[];
}

/** A freeze ("do not add capacity now") on a domain, or `*` for everything (the kill switch). */
export interface Freeze {
  readonly domain: string;
  readonly reason: string;
  /** Operation id or actor that set it. */
  readonly setBy: string;
  readonly setAtMs: number;
  /** Store-clock expiry; a live controller renews it. `null`: manual, until unfrozen. */
  readonly expiresAtMs: number | null;
}

/** An acknowledgement by a consumer or approver. */
export interface Ack {
  readonly operationId: string;
  /** Stage the ack is for. */
  readonly stage: string;
  readonly consumer: string;
  readonly actor: string;
  readonly atMs: number;
}

/** Expected failures of store calls, as values. */
export type StoreResult<T> =
  | { readonly ok: true; readonly value: T }
  | {
      readonly ok: false;
      readonly code: "lease-lost" | "version-conflict" | "domain-busy" | "claim-conflict" | "not-found" | "conflict";
      readonly message: string;
      /** For `domain-busy` / `claim-conflict`: the operation in the way. */
      readonly blockedBy?: {
        readonly operationId: string;
        readonly planName: string;
        readonly stage?: string;
        readonly claim?: string;
      };
    };

/** Everything the engine's runner writes in one transaction. */
export interface CommitRequest {
  readonly operationId: string;
  readonly fence: Fence;
  /** The `version` the caller last read; a mismatch fails with `version-conflict`. */
  readonly expectedVersion: number;
  readonly status: OperationStatus;
  readonly state: Json;
  readonly events: readonly NewEvent[];
  readonly locks?: LockChanges;
  /** Commands handled by this transition; marked consumed atomically. */
  readonly consumedCommandIds?: readonly number[];
}

/**
 * The store. All methods are safe to call from several processes at once;
 * every multi-row change is one transaction.
 */
export interface Store {
  /** Create or upgrade the schema. Idempotent. */
  migrate(): Promise<void>;
  /** The store's clock in ms since the epoch (the only clock leases use). */
  nowMs(): Promise<number>;

  /**
   * Create an operation, or attach to the live one with the same plan name and
   * hash (a retried CI job). A live operation with the same name but another
   * hash is a `conflict`. `created` tells which happened.
   */
  createOperation(input: {
    readonly id: string;
    readonly planName: string;
    readonly domain: string;
    readonly planHash: string;
    readonly planSource: string;
    readonly planFile: string;
    readonly state: Json;
  }): Promise<StoreResult<{ readonly created: boolean; readonly operation: OperationRecord }>>;
  getOperation(id: string): Promise<OperationRecord | undefined>;
  /** Newest first. `live`: not completed, rolled back, failed or abandoned. */
  listOperations(filter?: {
    readonly status?: OperationStatus;
    readonly domain?: string;
    readonly planName?: string;
    readonly live?: boolean;
    readonly limit?: number;
  }): Promise<readonly OperationRecord[]>;

  /**
   * Take the runner lease if it is free or expired (by the store clock), or
   * renew it if `holder` has it. A new grant gets a token greater than every
   * earlier token for this operation.
   */
  acquireRunnerLease(operationId: string, holder: string, ttlMs: number): Promise<StoreResult<RunnerLease>>;
  /** Give the lease up (only if `holder`/`token` still hold it). Idempotent. */
  releaseRunnerLease(operationId: string, holder: string, token: number): Promise<void>;
  getRunnerLease(operationId: string): Promise<RunnerLease | undefined>;

  /**
   * Append events, replace the state and apply lock changes atomically, only
   * if the fence holds (lease current with margin, by the store clock) and the
   * version matches. On any failure nothing is written.
   */
  commit(request: CommitRequest): Promise<StoreResult<{ readonly version: number; readonly firstSeq: number }>>;

  /** Events with `seq > afterSeq`, ascending, at most `limit`. */
  listEvents(operationId: string, afterSeq?: number, limit?: number): Promise<readonly StoredEvent[]>;

  /** Queue a manual command for the operation's runner. */
  enqueueCommand(input: Omit<StoredCommand, "id" | "createdAtMs">): Promise<StoreResult<StoredCommand>>;
  /** Commands not yet consumed, oldest first. */
  pendingCommands(operationId: string): Promise<readonly StoredCommand[]>;

  domainStatus(domain: string): Promise<DomainStatus>;

  /** Set or replace a freeze. */
  setFreeze(freeze: Freeze): Promise<void>;
  /** Remove a freeze (only the one set by `setBy` when given). */
  clearFreeze(domain: string, setBy?: string): Promise<void>;
  /** Unexpired freezes (by the store clock) for these domains (and always `*`). */
  activeFreezes(domains?: readonly string[]): Promise<readonly Freeze[]>;

  /** Record an ack (idempotent per operation/stage/consumer). */
  recordAck(ack: Ack): Promise<void>;
  listAcks(operationId: string): Promise<readonly Ack[]>;

  close(): Promise<void>;
}
