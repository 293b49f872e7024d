import { describe, expect, it } from "vitest";
import { ACQUIRED, ConnectionPools, MIN_IDLE_RETRY_MS, POOL_FULL, REFUSED } from "./connection-pools.ts";

const settings = { size: 3, minIdle: 2, idleTimeoutMs: 0, maxConnections: 5 };

describe("connection pools against one database limit", () => {
  it("refuses idle minimums above the database's limit and retries them a second later", () => {
    const pools = new ConnectionPools(3, settings);
    for (let i = 0; i < 3; i += 1) pools.fill(i, 0);
    expect(pools.total).toBe(5);
    expect(pools.idleRefused).toBe(1);
    pools.closeAll(0);
    pools.fill(2, MIN_IDLE_RETRY_MS - 1);
    expect(pools.open[2]).toBe(1);
    pools.fill(2, MIN_IDLE_RETRY_MS);
    expect(pools.open[2]).toBe(2);
    expect(pools.peak).toBe(5);
  });

  it("uses idle connections first, then opens new ones up to the pool's size while the database has room", () => {
    const pools = new ConnectionPools(2, settings);
    pools.fill(0, 0);
    expect([pools.acquire(0), pools.acquire(0), pools.acquire(0)]).toEqual([ACQUIRED, ACQUIRED, ACQUIRED]);
    expect(pools.acquire(0)).toBe(POOL_FULL);
    expect([pools.acquire(1), pools.acquire(1), pools.acquire(1)]).toEqual([ACQUIRED, ACQUIRED, REFUSED]);
    expect(pools.total).toBe(5);
  });

  it("keeps connections needed within the idle timeout and closes the rest, down to the minimum", () => {
    const pools = new ConnectionPools(1, { ...settings, idleTimeoutMs: 2000 });
    for (let c = 0; c < 3; c += 1) pools.acquire(0);
    pools.release(0, 3, 2);
    pools.sweep(() => 2);
    expect(pools.open[0]).toBe(3);
    pools.sweep(() => 2);
    pools.sweep(() => 2);
    expect(pools.open[0]).toBe(2);
    pools.closeIdle(0, 0);
    expect(pools.total).toBe(0);
  });
});
