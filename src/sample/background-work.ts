/**
 * The sample service's work besides HTTP requests — what a real application
 * must finish before it can be stopped: periodic background jobs, a buffer of
 * records flushed periodically, and an optional PostgreSQL pool.
 */
import pg from "pg";

/** A background job starts every `intervalMs` and runs for `durationMs`. */
export interface JobsSpec {
  readonly intervalMs: number;
  readonly durationMs: number;
}

/** PostgreSQL pool settings. The connection string is never logged or reported. */
export interface DbSpec {
  readonly connectionString: string;
  readonly poolSize: number;
  /**
   * Connections opened at start and kept open while not quiesced (HikariCP's
   * `minimumIdle`); `poolSize` makes a fixed-size pool. Default 0.
   */
  readonly minConnections?: number;
  /** Share of requests, 0–1, that run their whole duration inside the database (holding a connection). Default 0. */
  readonly holdShare?: number;
}

/** The application's own drain report; every field reaches 0 after quiesce once work is done. */
export interface DrainReport {
  readonly inflightRequests: number;
  readonly runningJobs: number;
  /** Records buffered and not yet flushed. */
  readonly unflushedBuffers: number;
  readonly openDbConnections: number;
}

/** Background jobs, buffered records and the database pool of one instance. */
export class BackgroundWork {
  runningJobs = 0;
  jobsStartedTotal = 0;
  flushedRecordsTotal = 0;
  private unflushed = 0;
  private quiescedFlag = false;
  private readonly pool: pg.Pool | undefined;
  /** Jobs and requests using the pool now; the pool closes after quiesce once this is 0. */
  private dbUsers = 0;
  private readonly maxConcurrentJobs: number;
  private readonly minConnections: number = 0;
  private poolEnded: Promise<void> | undefined;
  private readonly jobTimer: NodeJS.Timeout | undefined;
  private readonly flushTimer: NodeJS.Timeout;

  constructor(
    private readonly jobs: JobsSpec | undefined,
    db: DbSpec | undefined,
    flushIntervalMs: number,
  ) {
    // Jobs leave one connection free for requests.
    this.maxConcurrentJobs = db === undefined ? Number.POSITIVE_INFINITY : Math.max(1, db.poolSize - 1);
    if (db !== undefined) {
      this.minConnections = Math.min(db.minConnections ?? 0, db.poolSize);
      this.pool = new pg.Pool({
        connectionString: db.connectionString,
        max: db.poolSize,
        min: this.minConnections,
        connectionTimeoutMillis: 2000,
      });
      // An idle client that loses its connection must not crash the process; the pool replaces it.
      this.pool.on("error", () => {});
    }
    if (jobs !== undefined) {
      this.jobTimer = setInterval(() => this.startJob(), jobs.intervalMs);
      this.jobTimer.unref();
    }
    this.flushTimer = setInterval(() => this.flush(), flushIntervalMs);
    this.flushTimer.unref();
  }

  /** Whether {@link quiesce} has been called. */
  get quiesced(): boolean {
    return this.quiescedFlag;
  }

  /** Database connections open now (0 without a database). */
  openDbConnections(): number {
    return this.pool?.totalCount ?? 0;
  }

  /** Records waiting for the next flush. */
  unflushedRecords(): number {
    return this.unflushed;
  }

  /** Buffer one record of a finished request; flushed at once when quiesced. */
  record(): void {
    this.unflushed += 1;
    if (this.quiescedFlag) this.flush();
  }

  /**
   * Opens the pool's minimum connections at once, as a fixed-size pool does
   * at start. Resolves to how many could not be opened (a full database
   * refuses them; the pool opens them later on demand). Call once.
   */
  async openMinConnections(): Promise<number> {
    const pool = this.pool;
    if (pool === undefined || this.minConnections === 0) return 0;
    const opened = await Promise.allSettled(Array.from({ length: this.minConnections }, () => pool.connect()));
    for (const result of opened) if (result.status === "fulfilled") result.value.release();
    return opened.filter((result) => result.status === "rejected").length;
  }

  /** One round trip to the database, if there is one and it is not closed. Rejects on a database error. */
  touchDb(): Promise<void> {
    return this.withDb("SELECT 1", []);
  }

  /** Holds one connection for `durationMs` (`SELECT pg_sleep`), if there is a database and it is not closed. Rejects on a database error. */
  holdDb(durationMs: number): Promise<void> {
    return this.withDb("SELECT pg_sleep($1)", [durationMs / 1000]);
  }

  /**
   * Stop starting jobs, flush the buffer, and close the pool once the jobs
   * and requests using it have finished. Idempotent.
   */
  quiesce(): void {
    if (this.quiescedFlag) return;
    this.quiescedFlag = true;
    if (this.jobTimer !== undefined) clearInterval(this.jobTimer);
    this.flush();
    this.endPoolWhenIdle();
  }

  /** Stop everything; resolves once the pool is closed. Idempotent. */
  async close(): Promise<void> {
    this.quiesce();
    clearInterval(this.flushTimer);
    while (this.dbUsers > 0) await new Promise((resolve) => setTimeout(resolve, 10));
    await this.poolEnded;
  }

  /** Run one statement on the pool unless there is none or it is closing; counts as a pool user meanwhile. */
  private async withDb(sql: string, params: unknown[]): Promise<void> {
    if (this.pool === undefined || this.quiescedFlag) return;
    this.dbUsers += 1;
    try {
      await this.pool.query(sql, params);
    } finally {
      this.dbUsers -= 1;
      this.endPoolWhenIdle();
    }
  }

  private endPoolWhenIdle(): void {
    if (this.quiescedFlag && this.dbUsers === 0) this.poolEnded ??= this.pool?.end().catch(() => {});
  }

  private flush(): void {
    this.flushedRecordsTotal += this.unflushed;
    this.unflushed = 0;
  }

  private startJob(): void {
    if (this.jobs === undefined || this.quiescedFlag || this.runningJobs >= this.maxConcurrentJobs) return;
    this.runningJobs += 1;
    this.jobsStartedTotal += 1;
    const durationMs = this.jobs.durationMs;
    const work =
      this.pool === undefined
        ? new Promise<void>((resolve) => setTimeout(resolve, durationMs).unref())
        : this.withDb("SELECT pg_sleep($1)", [durationMs / 1000]);
    work
      .catch(() => {})
      .finally(() => {
        this.runningJobs -= 1;
        this.record();
      });
  }
}
