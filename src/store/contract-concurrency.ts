/**
 * Store contract, part four: two store instances on one database (two
 * controllers) racing on the same rows. Schedules are randomized with a fixed
 * seed so a failure replays. Registered by `describeStoreContract`.
 */
import { describe, expect, it } from "vitest";
import {
  commitNext,
  createOperation,
  event,
  expectOk,
  leasedOperation,
  type MakeStore,
  seededRandom,
  takeLease,
  useHarness,
  yieldTimes,
} from "./contract-kit.ts";
import type { Fence, Store } from "./store.ts";

async function expectGapFreeEvents(store: Store, operationId: string, count: number): Promise<void> {
  const seqs = (await store.listEvents(operationId)).map((e) => e.seq);
  expect(seqs).toEqual(Array.from({ length: count }, (_, i) => i + 1));
}

/** Registers the concurrency part of the contract. */
export function describeConcurrencyContract(makeStore: MakeStore): void {
  describe("concurrency between two store instances", () => {
    const h = useHarness(makeStore);

    it("never has two holders of a domain under randomized concurrent acquires and releases", async () => {
      const stores = [h.current.store, await h.current.openPeer()];
      const random = seededRandom(20_240_601);
      const workers = 6;
      const rounds = 8;
      const fences: Fence[] = [];
      for (let i = 0; i < workers; i += 1) fences.push(await leasedOperation(h.current.store, `op-${i}`));
      let inside: number | undefined;
      let overlaps = 0;
      let grants = 0;
      const commits = new Array<number>(workers).fill(0);
      const delays = Array.from({ length: workers * rounds * 4 }, () => Math.floor(random() * 4));
      const worker = async (i: number) => {
        const store = stores[i % 2] as Store;
        const fence = fences[i];
        if (fence === undefined) throw new Error("missing fence");
        for (let round = 0; round < rounds; round += 1) {
          for (;;) {
            const acquired = await commitNext(store, `op-${i}`, fence, {
              events: [event("StageStarted")],
              locks: { acquireDomain: { domain: "dom-1", stage: `s${round}`, priority: "normal" } },
            });
            if (acquired.ok) break;
            expect(acquired).toMatchObject({ code: "domain-busy" });
            await yieldTimes(delays.pop() ?? 1);
          }
          commits[i] = (commits[i] ?? 0) + 1;
          if (inside !== undefined) overlaps += 1;
          inside = i;
          grants += 1;
          await yieldTimes(delays.pop() ?? 1);
          inside = undefined;
          expectOk(
            await commitNext(store, `op-${i}`, fence, {
              events: [event("StageSealed")],
              locks: { releaseDomain: "dom-1" },
            }),
          );
          commits[i] = (commits[i] ?? 0) + 1;
        }
      };
      await Promise.all(Array.from({ length: workers }, (_, i) => worker(i)));
      expect(overlaps).toBe(0);
      expect(grants).toBe(workers * rounds);
      for (let i = 0; i < workers; i += 1) await expectGapFreeEvents(h.current.store, `op-${i}`, commits[i] ?? 0);
    });

    it("lets exactly one of two racing commits at the same version win, keeping seqs gap-free", async () => {
      const peer = await h.current.openPeer();
      await createOperation(h.current.store, "op-1");
      const fence = await takeLease(h.current.store, "op-1");
      for (let version = 0; version < 10; version += 1) {
        const request = { operationId: "op-1", fence, expectedVersion: version, status: "running" as const, state: {} };
        const results = await Promise.all([
          h.current.store.commit({ ...request, events: [event("A"), event("B")] }),
          peer.commit({ ...request, events: [event("C"), event("D")] }),
        ]);
        expect(results.filter((r) => r.ok)).toHaveLength(1);
        expect(results.filter((r) => !r.ok)).toMatchObject([{ code: "version-conflict" }]);
      }
      await expectGapFreeEvents(peer, "op-1", 20);
    });

    it("grants a runner lease to exactly one of several racing holders", async () => {
      const peer = await h.current.openPeer();
      await createOperation(h.current.store, "op-1");
      const results = await Promise.all(
        ["a", "b", "c", "d"].map((name, i) =>
          (i % 2 ? peer : h.current.store).acquireRunnerLease("op-1", name, 60_000),
        ),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(1);
    });

    it("creates one operation when two controllers start the same plan at once", async () => {
      const peer = await h.current.openPeer();
      const input = (id: string) => ({
        id,
        planName: "checkout",
        domain: "dom-1",
        planHash: "h1",
        planSource: "x",
        planFile: "x.yaml",
        state: {},
      });
      const results = await Promise.all([
        h.current.store.createOperation(input("op-1")),
        peer.createOperation(input("op-2")),
        h.current.store.createOperation(input("op-3")),
        peer.createOperation(input("op-4")),
      ]);
      const values = results.map(expectOk);
      expect(values.filter((v) => v.created)).toHaveLength(1);
      expect(new Set(values.map((v) => v.operation.id)).size).toBe(1);
    });

    it("gives a contested claim to exactly one operation", async () => {
      const peer = await h.current.openPeer();
      const ids = ["op-a", "op-b", "op-c", "op-d"];
      const contenders = await Promise.all(
        ids.map(async (id, i) => ({
          id,
          store: i % 2 ? peer : h.current.store,
          fence: await leasedOperation(h.current.store, id),
        })),
      );
      const results = await Promise.all(
        contenders.map(({ id, store, fence }) =>
          commitNext(store, id, fence, { locks: { acquireClaims: ["db/orders", `own/${id}`] } }),
        ),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      expect(results.filter((r) => !r.ok).every((r) => !r.ok && r.code === "claim-conflict")).toBe(true);
    });
  });
}
