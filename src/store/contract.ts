/**
 * The store contract: one vitest suite that every `Store` implementation
 * (in-memory fake, SQLite, PostgreSQL) must pass. Call
 * `describeStoreContract(name, makeStore)` from the implementation's test
 * file; `makeStore` returns a fresh, migrated store on an empty database.
 */
import { describe, expect, it } from "vitest";
import { describeConcurrencyContract } from "./contract-concurrency.ts";
import {
  commitNext,
  createOperation,
  event,
  expectOk,
  LONG_TTL_MS,
  type MakeStore,
  takeLease,
  useHarness,
} from "./contract-kit.ts";
import { describeLockContract } from "./contract-locks.ts";
import { describeSignalContract } from "./contract-signals.ts";

export type { MakeStore, StoreHarness } from "./contract-kit.ts";

/** Registers the whole contract suite for one implementation. */
export function describeStoreContract(name: string, makeStore: MakeStore): void {
  describe(`store contract: ${name}`, () => {
    describeOperationContract(makeStore);
    describeRunnerLeaseContract(makeStore);
    describeCommitContract(makeStore);
    describeLockContract(makeStore);
    describeSignalContract(makeStore);
    describeConcurrencyContract(makeStore);
  });
}

function describeOperationContract(makeStore: MakeStore): void {
  describe("operations", () => {
    const h = useHarness(makeStore);

    it("migrates idempotently, keeping data", async () => {
      await createOperation(h.current.store, "op-1");
      await h.current.store.migrate();
      await h.current.store.migrate();
      expect((await h.current.store.getOperation("op-1"))?.planName).toBe("op-1");
    });

    it("creates a pending operation at version 0 with its plan pinned", async () => {
      const op = await createOperation(h.current.store, "op-1", { planName: "checkout", planHash: "abc" });
      expect(op).toMatchObject({ id: "op-1", planName: "checkout", planHash: "abc", status: "pending", version: 0 });
      expect(await h.current.store.getOperation("op-1")).toEqual(op);
      expect(op.planSource).toBe("name: checkout\n");
      expect(op.state).toEqual({ phase: "pending" });
    });

    it("attaches to the live operation with the same plan name and hash", async () => {
      await createOperation(h.current.store, "op-1", { planName: "checkout" });
      const again = await h.current.store.createOperation({
        id: "op-2",
        planName: "checkout",
        domain: "dom-1",
        planHash: "h1",
        planSource: "x",
        planFile: "x.yaml",
        state: {},
      });
      expect(expectOk(again)).toMatchObject({ created: false, operation: { id: "op-1" } });
      expect(await h.current.store.getOperation("op-2")).toBeUndefined();
    });

    it("refuses a second live operation with the same name and another hash", async () => {
      await createOperation(h.current.store, "op-1", { planName: "checkout", planHash: "h1" });
      const other = await h.current.store.createOperation({
        id: "op-2",
        planName: "checkout",
        domain: "dom-1",
        planHash: "h2",
        planSource: "x",
        planFile: "x.yaml",
        state: {},
      });
      expect(other).toMatchObject({ ok: false, code: "conflict" });
    });

    it("creates a new operation once the live one with that name has ended", async () => {
      const { store } = h.current;
      await createOperation(store, "op-1", { planName: "checkout", planHash: "h1" });
      const fence = await takeLease(store, "op-1");
      expectOk(await commitNext(store, "op-1", fence, { status: "completed" }));
      const next = await store.createOperation({
        id: "op-2",
        planName: "checkout",
        domain: "dom-1",
        planHash: "h1",
        planSource: "x",
        planFile: "x.yaml",
        state: {},
      });
      expect(expectOk(next)).toMatchObject({ created: true, operation: { id: "op-2", status: "pending" } });
    });

    it("refuses an id that already exists", async () => {
      await createOperation(h.current.store, "op-1", { planName: "a" });
      const again = await h.current.store.createOperation({
        id: "op-1",
        planName: "b",
        domain: "dom-1",
        planHash: "h1",
        planSource: "x",
        planFile: "x.yaml",
        state: {},
      });
      expect(again).toMatchObject({ ok: false, code: "conflict" });
    });

    it("lists operations newest first, filtered by status, domain, plan name, liveness and limit", async () => {
      const { store } = h.current;
      await createOperation(store, "op-1", { planName: "a", domain: "east" });
      h.current.advanceClockMs(10);
      await createOperation(store, "op-2", { planName: "b", domain: "west" });
      h.current.advanceClockMs(10);
      await createOperation(store, "op-3", { planName: "c", domain: "east" });
      expectOk(await commitNext(store, "op-3", await takeLease(store, "op-3"), { status: "failed" }));
      const ids = async (filter?: Parameters<typeof store.listOperations>[0]) =>
        (await store.listOperations(filter)).map((op) => op.id);
      expect(await ids()).toEqual(["op-3", "op-2", "op-1"]);
      expect(await ids({ domain: "east" })).toEqual(["op-3", "op-1"]);
      expect(await ids({ status: "failed" })).toEqual(["op-3"]);
      expect(await ids({ planName: "b" })).toEqual(["op-2"]);
      expect(await ids({ live: true })).toEqual(["op-2", "op-1"]);
      expect(await ids({ live: false })).toEqual(["op-3"]);
      expect(await ids({ limit: 2 })).toEqual(["op-3", "op-2"]);
      expect(await store.getOperation("missing")).toBeUndefined();
    });
  });
}

function describeRunnerLeaseContract(makeStore: MakeStore): void {
  describe("runner leases", () => {
    const h = useHarness(makeStore);

    it("grants a free lease with a positive token and a store-clock expiry", async () => {
      const { store } = h.current;
      await createOperation(store, "op-1");
      const before = await store.nowMs();
      const lease = expectOk(await store.acquireRunnerLease("op-1", "runner-a", 10_000));
      expect(lease.token).toBeGreaterThan(0);
      expect(lease.expiresAtMs).toBeGreaterThanOrEqual(before + 10_000);
      expect(await store.getRunnerLease("op-1")).toEqual(lease);
    });

    it("lets the holder renew, keeping the token and extending the expiry", async () => {
      const { store } = h.current;
      await createOperation(store, "op-1");
      const first = expectOk(await store.acquireRunnerLease("op-1", "runner-a", 10_000));
      h.current.advanceClockMs(5_000);
      const renewed = expectOk(await store.acquireRunnerLease("op-1", "runner-a", 10_000));
      expect(renewed.token).toBe(first.token);
      expect(renewed.expiresAtMs).toBeGreaterThanOrEqual(first.expiresAtMs + 5_000);
    });

    it("refuses another holder while the lease is unexpired", async () => {
      const { store } = h.current;
      await createOperation(store, "op-1");
      expectOk(await store.acquireRunnerLease("op-1", "runner-a", 10_000));
      h.current.advanceClockMs(8_000);
      expect(await store.acquireRunnerLease("op-1", "runner-b", 10_000)).toMatchObject({ ok: false, code: "conflict" });
      expect((await store.getRunnerLease("op-1"))?.holder).toBe("runner-a");
    });

    it("lets another holder take over after expiry by the store clock, with a greater token", async () => {
      const { store } = h.current;
      await createOperation(store, "op-1");
      const first = expectOk(await store.acquireRunnerLease("op-1", "runner-a", 10_000));
      h.current.advanceClockMs(11_000);
      const taken = expectOk(await store.acquireRunnerLease("op-1", "runner-b", 10_000));
      expect(taken.holder).toBe("runner-b");
      expect(taken.token).toBeGreaterThan(first.token);
      expect(await store.acquireRunnerLease("op-1", "runner-a", 10_000)).toMatchObject({ ok: false });
    });

    it("releases only for the current holder and token, and never reuses a token", async () => {
      const { store } = h.current;
      await createOperation(store, "op-1");
      const first = expectOk(await store.acquireRunnerLease("op-1", "runner-a", 10_000));
      await store.releaseRunnerLease("op-1", "runner-b", first.token);
      await store.releaseRunnerLease("op-1", "runner-a", first.token + 1);
      expect(await store.getRunnerLease("op-1")).toEqual(first);
      await store.releaseRunnerLease("op-1", "runner-a", first.token);
      await store.releaseRunnerLease("op-1", "runner-a", first.token);
      expect(await store.getRunnerLease("op-1")).toBeUndefined();
      const next = expectOk(await store.acquireRunnerLease("op-1", "runner-b", 10_000));
      expect(next.token).toBeGreaterThan(first.token);
    });

    it("answers not-found for an unknown operation", async () => {
      expect(await h.current.store.acquireRunnerLease("missing", "runner-a", 10_000)).toMatchObject({
        ok: false,
        code: "not-found",
      });
      expect(await h.current.store.getRunnerLease("missing")).toBeUndefined();
    });
  });
}

function describeCommitContract(makeStore: MakeStore): void {
  describe("commit", () => {
    const h = useHarness(makeStore);

    it("writes state, status and events with a current lease and enough margin", async () => {
      const { store } = h.current;
      await createOperation(store, "op-1");
      const lease = expectOk(await store.acquireRunnerLease("op-1", "runner-a", 10_000));
      h.current.advanceClockMs(5_000);
      const result = await store.commit({
        operationId: "op-1",
        fence: { holder: "runner-a", token: lease.token, marginMs: 2_000 },
        expectedVersion: 0,
        status: "running",
        state: { phase: "applying", n: [1, 2] },
        events: [event("Started", { by: "test" }), event("StageStarted")],
      });
      expect(expectOk(result)).toEqual({ version: 1, firstSeq: 1 });
      const op = await store.getOperation("op-1");
      expect(op).toMatchObject({ status: "running", version: 1, state: { phase: "applying", n: [1, 2] } });
      expect((await store.listEvents("op-1")).map((e) => [e.seq, e.type, e.data])).toEqual([
        [1, "Started", { by: "test" }],
        [2, "StageStarted", null],
      ]);
    });

    const staleFences = [
      { name: "a stale token after takeover", ttlMs: 10_000, advanceMs: 11_000, marginMs: 0, takeOver: true },
      { name: "an expired lease", ttlMs: 10_000, advanceMs: 11_000, marginMs: 0, takeOver: false },
      { name: "less than the margin left", ttlMs: 10_000, advanceMs: 7_000, marginMs: 5_000, takeOver: false },
    ];
    for (const stale of staleFences) {
      it(`fails lease-lost with ${stale.name}, writing nothing`, async () => {
        const { store } = h.current;
        await createOperation(store, "op-1");
        await createOperation(store, "op-2");
        const fence = await takeLease(store, "op-1", "runner-a", stale.ttlMs);
        expectOk(await commitNext(store, "op-1", fence, { events: [event("Started")], state: { v: 1 } }));
        const command = expectOk(
          await store.enqueueCommand({ operationId: "op-1", type: "halt", actor: "ann", reason: "r", data: null }),
        );
        h.current.advanceClockMs(stale.advanceMs);
        if (stale.takeOver) await takeLease(store, "op-1", "runner-b", stale.ttlMs);
        const result = await commitNext(
          store,
          "op-1",
          { ...fence, marginMs: stale.marginMs },
          {
            status: "completed",
            state: { v: 2 },
            events: [event("StageSealed")],
            locks: { acquireDomain: { domain: "dom-1", stage: "s1", priority: "normal" }, acquireClaims: ["db-1"] },
            consumedCommandIds: [command.id],
          },
        );
        expect(result).toMatchObject({ ok: false, code: "lease-lost" });
        expect(await store.getOperation("op-1")).toMatchObject({ version: 1, status: "running", state: { v: 1 } });
        expect((await store.listEvents("op-1")).map((e) => e.type)).toEqual(["Started"]);
        expect(await store.domainStatus("dom-1")).toEqual({ domain: "dom-1", waiting: [] });
        expect(await store.pendingCommands("op-1")).toHaveLength(1);
        const other = await takeLease(store, "op-2", "runner-c", LONG_TTL_MS);
        expectOk(await commitNext(store, "op-2", other, { locks: { acquireClaims: ["db-1"] } }));
      });
    }

    it("fails lease-lost for another holder's name with the right token", async () => {
      const { store } = h.current;
      await createOperation(store, "op-1");
      const fence = await takeLease(store, "op-1");
      expect(await commitNext(store, "op-1", { ...fence, holder: "runner-x" })).toMatchObject({
        ok: false,
        code: "lease-lost",
      });
    });

    it("fails version-conflict on a stale version, writing nothing", async () => {
      const { store } = h.current;
      await createOperation(store, "op-1");
      const fence = await takeLease(store, "op-1");
      expectOk(await commitNext(store, "op-1", fence, { events: [event("Started")] }));
      const result = await store.commit({
        operationId: "op-1",
        fence,
        expectedVersion: 0,
        status: "halted",
        state: { stale: true },
        events: [event("Halted")],
      });
      expect(result).toMatchObject({ ok: false, code: "version-conflict" });
      expect(await store.getOperation("op-1")).toMatchObject({ version: 1, status: "running" });
      expect(await store.listEvents("op-1")).toHaveLength(1);
    });

    it("answers not-found for an unknown operation", async () => {
      const result = await h.current.store.commit({
        operationId: "missing",
        fence: { holder: "runner-a", token: 1, marginMs: 0 },
        expectedVersion: 0,
        status: "running",
        state: {},
        events: [],
      });
      expect(result).toMatchObject({ ok: false, code: "not-found" });
    });

    it("numbers events per operation without gaps from 1, and pages through them", async () => {
      const { store } = h.current;
      await createOperation(store, "op-1");
      await createOperation(store, "op-2");
      const fence1 = await takeLease(store, "op-1");
      const fence2 = await takeLease(store, "op-2");
      expect(expectOk(await commitNext(store, "op-1", fence1, { events: [event("A"), event("B")] })).firstSeq).toBe(1);
      expect(expectOk(await commitNext(store, "op-2", fence2, { events: [event("X")] })).firstSeq).toBe(1);
      expect(expectOk(await commitNext(store, "op-1", fence1)).firstSeq).toBe(3);
      const third = expectOk(await commitNext(store, "op-1", fence1, { events: [event("C"), event("D"), event("E")] }));
      expect(third).toEqual({ version: 3, firstSeq: 3 });
      const all = await store.listEvents("op-1");
      expect(all.map((e) => [e.seq, e.type])).toEqual([
        [1, "A"],
        [2, "B"],
        [3, "C"],
        [4, "D"],
        [5, "E"],
      ]);
      expect(all.every((e) => e.operationId === "op-1")).toBe(true);
      expect((await store.listEvents("op-1", 1, 2)).map((e) => e.seq)).toEqual([2, 3]);
      expect((await store.listEvents("op-1", 3)).map((e) => e.seq)).toEqual([4, 5]);
      expect(await store.listEvents("op-1", 5)).toEqual([]);
      expect((await store.listEvents("op-2")).map((e) => e.seq)).toEqual([1]);
    });
  });
}
