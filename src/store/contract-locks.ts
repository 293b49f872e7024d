/**
 * Store contract, part two: the domain transition lease with its waiting
 * queue, and target claims. Registered by `describeStoreContract`.
 */
import { describe, expect, it } from "vitest";
import { commitNext, event, expectOk, leasedOperation, type MakeStore, useHarness } from "./contract-kit.ts";
import type { Fence, Store } from "./store.ts";

type Priority = "normal" | "rollback";

function acquire(store: Store, id: string, fence: Fence, stage = "s1", priority: Priority = "normal") {
  return commitNext(store, id, fence, {
    events: [event("StageStarted")],
    state: { stage },
    locks: { acquireDomain: { domain: "dom-1", stage, priority } },
  });
}

function release(store: Store, id: string, fence: Fence) {
  return commitNext(store, id, fence, { locks: { releaseDomain: "dom-1" } });
}

/** Registers the lock parts of the contract. */
export function describeLockContract(makeStore: MakeStore): void {
  describe("domain transition lease", () => {
    const h = useHarness(makeStore);

    it("grants a free domain and shows the holder's operation, plan and stage", async () => {
      const { store } = h.current;
      const a = await leasedOperation(store, "op-a", { planName: "checkout-v2" });
      expectOk(await acquire(store, "op-a", a, "stage-2"));
      const status = await store.domainStatus("dom-1");
      expect(status).toMatchObject({
        domain: "dom-1",
        holder: { operationId: "op-a", planName: "checkout-v2", stage: "stage-2" },
        waiting: [],
      });
      expect(status.holder?.sinceMs).toBeGreaterThan(0);
    });

    it("is idempotent for the holder, which may move on to its next stage", async () => {
      const { store } = h.current;
      const a = await leasedOperation(store, "op-a");
      expectOk(await acquire(store, "op-a", a, "s1"));
      expectOk(await acquire(store, "op-a", a, "s1"));
      expectOk(await acquire(store, "op-a", a, "s2"));
      expect((await store.domainStatus("dom-1")).holder).toMatchObject({ operationId: "op-a", stage: "s2" });
    });

    it("refuses another operation with domain-busy naming the holder, and queues it as the only write", async () => {
      const { store } = h.current;
      const a = await leasedOperation(store, "op-a", { planName: "checkout-v2" });
      const b = await leasedOperation(store, "op-b", { planName: "search-v7" });
      expectOk(await acquire(store, "op-a", a, "stage-2"));
      // Recording the waiter is the only write a failed commit ever makes: no events, no state, no locks.
      const refused = await acquire(store, "op-b", b);
      expect(refused).toMatchObject({
        ok: false,
        code: "domain-busy",
        blockedBy: { operationId: "op-a", planName: "checkout-v2", stage: "stage-2" },
      });
      expect(await store.getOperation("op-b")).toMatchObject({ version: 0, status: "pending" });
      expect(await store.listEvents("op-b")).toEqual([]);
      const status = await store.domainStatus("dom-1");
      expect(status.holder?.operationId).toBe("op-a");
      expect(status.waiting).toMatchObject([{ operationId: "op-b", priority: "normal" }]);
    });

    it("releases only when held, idempotently, and the next operation can take it", async () => {
      const { store } = h.current;
      const a = await leasedOperation(store, "op-a");
      const b = await leasedOperation(store, "op-b");
      expectOk(await acquire(store, "op-a", a));
      expectOk(await release(store, "op-b", b));
      expect((await store.domainStatus("dom-1")).holder?.operationId).toBe("op-a");
      expectOk(await release(store, "op-a", a));
      expectOk(await release(store, "op-a", a));
      expect((await store.domainStatus("dom-1")).holder).toBeUndefined();
      expectOk(await acquire(store, "op-b", b));
      expect(await store.domainStatus("dom-1")).toMatchObject({ holder: { operationId: "op-b" }, waiting: [] });
    });

    it("grants a rollback waiter before earlier normal waiters", async () => {
      const { store } = h.current;
      const a = await leasedOperation(store, "op-a");
      const b = await leasedOperation(store, "op-b");
      const c = await leasedOperation(store, "op-c", { planName: "rescue" });
      expectOk(await acquire(store, "op-a", a));
      await acquire(store, "op-b", b);
      h.current.advanceClockMs(10);
      await acquire(store, "op-c", c, "rollback-1", "rollback");
      expect((await store.domainStatus("dom-1")).waiting.map((w) => [w.operationId, w.priority])).toEqual([
        ["op-c", "rollback"],
        ["op-b", "normal"],
      ]);
      expectOk(await release(store, "op-a", a));
      expect(await acquire(store, "op-b", b)).toMatchObject({
        code: "domain-busy",
        blockedBy: { operationId: "op-c", planName: "rescue" },
      });
      expectOk(await acquire(store, "op-c", c, "rollback-1", "rollback"));
      expect((await store.domainStatus("dom-1")).waiting.map((w) => w.operationId)).toEqual(["op-b"]);
    });

    it("serves equal priorities first come, first served", async () => {
      const { store } = h.current;
      const a = await leasedOperation(store, "op-a");
      const b = await leasedOperation(store, "op-b");
      const c = await leasedOperation(store, "op-c");
      expectOk(await acquire(store, "op-a", a));
      await acquire(store, "op-b", b);
      h.current.advanceClockMs(10);
      await acquire(store, "op-c", c);
      expectOk(await release(store, "op-a", a));
      expect(await acquire(store, "op-c", c)).toMatchObject({
        code: "domain-busy",
        blockedBy: { operationId: "op-b" },
      });
      expectOk(await acquire(store, "op-b", b));
    });

    it("ignores waiters that stopped retrying for 30 s of store time", async () => {
      const { store } = h.current;
      const a = await leasedOperation(store, "op-a");
      const b = await leasedOperation(store, "op-b");
      const c = await leasedOperation(store, "op-c");
      expectOk(await acquire(store, "op-a", a));
      await acquire(store, "op-b", b);
      h.current.advanceClockMs(31_000);
      expectOk(await release(store, "op-a", a));
      expect((await store.domainStatus("dom-1")).waiting).toEqual([]);
      expectOk(await acquire(store, "op-c", c));
    });

    it("ignores waiters whose operation has ended", async () => {
      const { store } = h.current;
      const a = await leasedOperation(store, "op-a");
      const b = await leasedOperation(store, "op-b");
      const c = await leasedOperation(store, "op-c");
      expectOk(await acquire(store, "op-a", a));
      await acquire(store, "op-b", b);
      expectOk(await commitNext(store, "op-b", b, { status: "failed" }));
      expectOk(await release(store, "op-a", a));
      expectOk(await acquire(store, "op-c", c));
    });

    it("lets a waiter leave the queue without taking the lease", async () => {
      const { store } = h.current;
      const a = await leasedOperation(store, "op-a");
      const b = await leasedOperation(store, "op-b");
      const c = await leasedOperation(store, "op-c");
      expectOk(await acquire(store, "op-a", a));
      await acquire(store, "op-b", b);
      expectOk(await commitNext(store, "op-b", b, { status: "halted", locks: { leaveDomainQueue: "dom-1" } }));
      expect((await store.domainStatus("dom-1")).waiting).toEqual([]);
      expectOk(await release(store, "op-a", a));
      expectOk(await acquire(store, "op-c", c));
    });

    it("refuses a domain or claims to an operation that is ending", async () => {
      const { store } = h.current;
      const a = await leasedOperation(store, "op-a");
      for (const locks of [
        { acquireDomain: { domain: "dom-1", stage: "s1", priority: "normal" as const } },
        { acquireClaims: ["db-1"] },
      ]) {
        const result = await commitNext(store, "op-a", a, { status: "completed", locks, events: [event("Done")] });
        expect(result).toMatchObject({ ok: false, code: "conflict" });
      }
      expect(await store.getOperation("op-a")).toMatchObject({ version: 0, status: "pending" });
      expect(await store.domainStatus("dom-1")).toEqual({ domain: "dom-1", waiting: [] });
    });
  });

  describe("target claims", () => {
    const h = useHarness(makeStore);
    const claim = (store: Store, id: string, fence: Fence, claims: string[]) =>
      commitNext(store, id, fence, { events: [event("Claimed")], locks: { acquireClaims: claims } });

    it("refuses a claimed object naming the holder and the claim, writing nothing", async () => {
      const { store } = h.current;
      const a = await leasedOperation(store, "op-a", { planName: "migrate-orders" });
      const b = await leasedOperation(store, "op-b");
      expectOk(await claim(store, "op-a", a, ["db/orders", "db/users"]));
      const refused = await commitNext(store, "op-b", b, {
        events: [event("Claimed")],
        locks: {
          acquireClaims: ["db/payments", "db/users"],
          acquireDomain: { domain: "dom-2", stage: "s1", priority: "normal" },
        },
      });
      expect(refused).toMatchObject({
        ok: false,
        code: "claim-conflict",
        blockedBy: { operationId: "op-a", planName: "migrate-orders", claim: "db/users" },
      });
      expect(await store.listEvents("op-b")).toEqual([]);
      expect(await store.domainStatus("dom-2")).toEqual({ domain: "dom-2", waiting: [] });
      const c = await leasedOperation(store, "op-c");
      expectOk(await claim(store, "op-c", c, ["db/payments"]));
    });

    it("is idempotent for the holding operation", async () => {
      const { store } = h.current;
      const a = await leasedOperation(store, "op-a");
      expectOk(await claim(store, "op-a", a, ["db/orders"]));
      expectOk(await claim(store, "op-a", a, ["db/orders", "db/users"]));
    });

    it("never expires, however much store time passes", async () => {
      const { store } = h.current;
      const a = await leasedOperation(store, "op-a");
      expectOk(await claim(store, "op-a", a, ["db/orders"]));
      h.current.advanceClockMs(30 * 24 * 3_600_000);
      const b = await leasedOperation(store, "op-b");
      expect(await claim(store, "op-b", b, ["db/orders"])).toMatchObject({ code: "claim-conflict" });
    });

    it("is released by releaseClaims, after which another operation can claim", async () => {
      const { store } = h.current;
      const a = await leasedOperation(store, "op-a");
      const b = await leasedOperation(store, "op-b");
      expectOk(await claim(store, "op-a", a, ["db/orders"]));
      expectOk(await commitNext(store, "op-a", a, { status: "completed", locks: { releaseClaims: true } }));
      expectOk(await commitNext(store, "op-a", a, { status: "completed", locks: { releaseClaims: true } }));
      expectOk(await claim(store, "op-b", b, ["db/orders"]));
    });
  });
}
