/**
 * Lock reads and writes of the PostgreSQL store's commit: advisory locks,
 * the snapshot rows `checkCommit` needs, and the lock changes of a passed
 * commit. Every function runs on the caller's transaction client.
 */
import type pg from "pg";
import type { WaiterWrite } from "../check-commit.ts";
import type { CommitRequest } from "../store.ts";
import { HOLDER_SQL, type HolderRow, toHolder, toWaiter, WAITERS_SQL, type WaiterRow } from "./postgres-rows.ts";

/** Records or refreshes a waiter, keeping its place (`since_ms`). */
export async function upsertWaiter(client: pg.PoolClient, w: WaiterWrite): Promise<void> {
  await client.query(
    `INSERT INTO domain_waiters (domain, operation_id, priority, since_ms, last_seen_ms) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (domain, operation_id) DO UPDATE SET priority = excluded.priority,
       last_seen_ms = excluded.last_seen_ms`,
    [w.domain, w.operationId, w.priority, w.sinceMs, w.lastSeenMs],
  );
}

/** Takes advisory transaction locks on `names`, in one fixed order (by key) so two transactions cannot deadlock. */
export async function lockNames(client: pg.PoolClient, names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  await client.query(
    `SELECT pg_advisory_xact_lock(k) FROM (
       SELECT DISTINCT hashtextextended(n, 0) AS k FROM unnest($1::text[]) AS n ORDER BY k) keys`,
    [names],
  );
}

/** Current holders of `claims`, with their plan names. */
export async function claimHolders(client: pg.PoolClient, claims: readonly string[]) {
  if (claims.length === 0) return [];
  const { rows } = await client.query<{ claim: string; operation_id: string; plan_name: string }>(
    `SELECT c.claim, c.operation_id, COALESCE(o.plan_name, '') AS plan_name
     FROM claims c LEFT JOIN operations o ON o.id = c.operation_id WHERE c.claim = ANY($1::text[]) ORDER BY c.claim`,
    [claims],
  );
  return rows.map((row) => ({ claim: row.claim, operationId: row.operation_id, planName: row.plan_name }));
}

/** The holder and waiters of `domain`, as a commit snapshot part. */
export async function domainRows(client: pg.Pool | pg.PoolClient, domain: string) {
  const holder = (await client.query<HolderRow>(HOLDER_SQL, [domain])).rows[0];
  const waiters = (await client.query<WaiterRow>(WAITERS_SQL, [domain])).rows.map(toWaiter);
  return { domainHolder: holder === undefined ? undefined : toHolder(holder), domainWaiters: waiters };
}

/** Applies a passed commit's lock changes: releases first, then acquisitions. */
export async function applyLocks(client: pg.PoolClient, request: CommitRequest, nowMs: number): Promise<void> {
  const id = request.operationId;
  const locks = request.locks ?? {};
  if (locks.releaseDomain !== undefined) {
    await client.query("DELETE FROM domain_leases WHERE domain = $1 AND operation_id = $2", [locks.releaseDomain, id]);
  }
  if (locks.leaveDomainQueue !== undefined) {
    await client.query("DELETE FROM domain_waiters WHERE domain = $1 AND operation_id = $2", [
      locks.leaveDomainQueue,
      id,
    ]);
  }
  if (locks.releaseClaims === true) await client.query("DELETE FROM claims WHERE operation_id = $1", [id]);
  if (locks.acquireDomain !== undefined) {
    const { domain, stage } = locks.acquireDomain;
    await client.query(
      `INSERT INTO domain_leases (domain, operation_id, stage, since_ms) VALUES ($1, $2, $3, $4)
       ON CONFLICT (domain) DO UPDATE SET stage = excluded.stage,
         since_ms = CASE WHEN domain_leases.stage = excluded.stage THEN domain_leases.since_ms ELSE excluded.since_ms END
       WHERE domain_leases.operation_id = excluded.operation_id`,
      [domain, id, stage, nowMs],
    );
    await client.query("DELETE FROM domain_waiters WHERE domain = $1 AND operation_id = $2", [domain, id]);
  }
  if ((locks.acquireClaims?.length ?? 0) > 0) {
    await client.query(
      `INSERT INTO claims (claim, operation_id) SELECT c, $2 FROM unnest($1::text[]) AS c
       ON CONFLICT (claim) DO NOTHING`,
      [locks.acquireClaims, id],
    );
  }
}
