/**
 * Helpers for the store contract suite (`contract.ts`): the harness every
 * implementation provides, and small builders that keep the tests readable.
 * Test-only code; nothing in production imports it.
 */
import { afterEach, beforeEach, expect } from "vitest";
import type { Json } from "../targets/target.ts";
import type { CommitRequest, Fence, OperationRecord, Store, StoreResult } from "./store.ts";

/** A fresh, migrated store on its own empty database, with control over the store clock. */
export interface StoreHarness {
  readonly store: Store;
  /** Moves the store clock forward for this store and every peer (never backward). */
  advanceClockMs(ms: number): void;
  /** Another store instance on the same database and clock (a second controller). */
  openPeer(): Promise<Store>;
  /** Closes every instance and deletes the database. */
  cleanup(): Promise<void>;
}

/** Builds a harness per test. */
export type MakeStore = () => Promise<StoreHarness>;

/** Long enough that no lease in a test expires unless the test moves the clock. */
export const LONG_TTL_MS = 3_600_000;

/** Gives each test its own harness; read `.current` inside tests. */
export function useHarness(makeStore: MakeStore): { readonly current: StoreHarness } {
  const box: { current?: StoreHarness } = {};
  beforeEach(async () => {
    box.current = await makeStore();
  });
  afterEach(async () => {
    await box.current?.cleanup();
    delete box.current;
  });
  return {
    get current(): StoreHarness {
      if (box.current === undefined) throw new Error("harness used outside a test");
      return box.current;
    },
  };
}

/** Unwraps a successful result, failing the test with the error otherwise. */
export function expectOk<T>(result: StoreResult<T>): T {
  if (!result.ok) expect.fail(`expected ok, got ${result.code}: ${result.message}`);
  return result.value;
}

/** Creates an operation; `planName` defaults to the id, `domain` to `dom-1`, `planHash` to `h1`. */
export async function createOperation(
  store: Store,
  id: string,
  fields: { planName?: string; domain?: string; planHash?: string } = {},
): Promise<OperationRecord> {
  const created = await store.createOperation({
    id,
    planName: fields.planName ?? id,
    domain: fields.domain ?? "dom-1",
    planHash: fields.planHash ?? "h1",
    planSource: `name: ${fields.planName ?? id}\n`,
    planFile: `${id}.yaml`,
    state: { phase: "pending" },
  });
  return expectOk(created).operation;
}

/** Takes the runner lease and returns a fence with no margin. */
export async function takeLease(store: Store, operationId: string, holder = "runner-a", ttlMs = LONG_TTL_MS) {
  const lease = expectOk(await store.acquireRunnerLease(operationId, holder, ttlMs));
  return { holder, token: lease.token, marginMs: 0 } satisfies Fence;
}

/** Commits at the operation's current version; defaults: status `running`, state `{}`, no events. */
export async function commitNext(
  store: Store,
  operationId: string,
  fence: Fence,
  changes: Partial<Omit<CommitRequest, "operationId" | "fence" | "expectedVersion">> = {},
) {
  const operation = await store.getOperation(operationId);
  return store.commit({
    operationId,
    fence,
    expectedVersion: operation?.version ?? -1,
    status: "running",
    state: {},
    events: [],
    ...changes,
  });
}

/** One event of a given type at time 0. */
export function event(type: string, data: Json = null) {
  return { type, atMs: 0, data };
}

/** A creates-leases-and-commits shortcut: a new operation with a lease, ready to commit. */
export async function leasedOperation(
  store: Store,
  id: string,
  fields: { planName?: string; domain?: string } = {},
): Promise<Fence> {
  await createOperation(store, id, fields);
  return takeLease(store, id, `runner-${id}`);
}

/** A small deterministic PRNG (mulberry32) so randomized tests replay the same schedule. */
export function seededRandom(seed: number): () => number {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

/** Yields to the event loop a few times, letting other concurrent calls interleave. */
export async function yieldTimes(times: number): Promise<void> {
  for (let i = 0; i < times; i += 1) await new Promise<void>((resolve) => setImmediate(resolve));
}
