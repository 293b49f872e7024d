/**
 * Runs `work` in one transaction on a pooled client: COMMIT when it returns,
 * ROLLBACK when it throws (and the client is discarded, since its connection
 * may be broken). Callers only write after every check has passed, so a
 * returned failure has nothing to undo.
 */
import type pg from "pg";

/** Runs `work` inside BEGIN … COMMIT; rethrows after ROLLBACK. */
export async function withTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const value = await work(client);
    await client.query("COMMIT");
    client.release();
    return value;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    client.release(true);
    throw error;
  }
}
