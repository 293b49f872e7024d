/**
 * Store contract, part three: manual commands, freezes and acks. Registered
 * by `describeStoreContract`.
 */
import { describe, expect, it } from "vitest";
import { commitNext, createOperation, expectOk, type MakeStore, takeLease, useHarness } from "./contract-kit.ts";
import type { Freeze, Store } from "./store.ts";

function command(store: Store, operationId: string, type: string) {
  return store.enqueueCommand({ operationId, type, actor: "ann", reason: `because ${type}`, data: { type } });
}

/** Registers the command, freeze and ack parts of the contract. */
export function describeSignalContract(makeStore: MakeStore): void {
  describe("commands", () => {
    const h = useHarness(makeStore);

    it("queues commands oldest first and marks them consumed atomically with a commit", async () => {
      const { store } = h.current;
      await createOperation(store, "op-1");
      await createOperation(store, "op-2");
      const halt = expectOk(await command(store, "op-1", "halt"));
      expect(halt).toMatchObject({ operationId: "op-1", type: "halt", actor: "ann", data: { type: "halt" } });
      expect(halt.createdAtMs).toBeGreaterThan(0);
      const resume = expectOk(await command(store, "op-1", "resume"));
      expectOk(await command(store, "op-2", "abandon"));
      expect(await store.pendingCommands("op-1")).toEqual([halt, resume]);
      const fence = await takeLease(store, "op-1");
      const stale = {
        operationId: "op-1",
        fence,
        expectedVersion: 5,
        status: "running" as const,
        state: {},
        events: [],
      };
      expect(await store.commit({ ...stale, consumedCommandIds: [halt.id] })).toMatchObject({
        ok: false,
        code: "version-conflict",
      });
      expect(await store.pendingCommands("op-1")).toHaveLength(2);
      expectOk(await commitNext(store, "op-1", fence, { consumedCommandIds: [halt.id] }));
      expect(await store.pendingCommands("op-1")).toEqual([resume]);
      expect((await store.pendingCommands("op-2")).map((c) => c.type)).toEqual(["abandon"]);
    });

    it("a command or consumption by another controller shows in the next read, however often it was read before", async () => {
      const { store } = h.current;
      const peer = await h.current.openPeer();
      await createOperation(store, "op-1");
      for (let i = 0; i < 3; i += 1) expect(await store.pendingCommands("op-1")).toEqual([]);
      const halt = expectOk(await command(peer, "op-1", "halt"));
      expect(await store.pendingCommands("op-1")).toEqual([halt]);
      const fence = await takeLease(peer, "op-1");
      expectOk(await commitNext(peer, "op-1", fence, { consumedCommandIds: [halt.id] }));
      expect(await store.pendingCommands("op-1")).toEqual([]);
      const resume = expectOk(await command(store, "op-1", "resume"));
      expect(await peer.pendingCommands("op-1")).toEqual([resume]);
      expect(await store.pendingCommands("op-1")).toEqual([resume]);
    });

    it("refuses a command for an unknown operation", async () => {
      expect(await command(h.current.store, "missing", "halt")).toMatchObject({ ok: false, code: "not-found" });
    });
  });

  describe("freezes", () => {
    const h = useHarness(makeStore);
    const freeze = async (domain: string, setBy: string, ttlMs: number | null, reason = "halted"): Promise<Freeze> => {
      const nowMs = await h.current.store.nowMs();
      const value = { domain, setBy, reason, setAtMs: nowMs, expiresAtMs: ttlMs === null ? null : nowMs + ttlMs };
      await h.current.store.setFreeze(value);
      return value;
    };
    const active = async (domains?: readonly string[]) =>
      (await h.current.store.activeFreezes(domains)).map((f) => `${f.domain}:${f.setBy}:${f.reason}`).sort();

    it("returns freezes for the asked domains, always with the global `*`", async () => {
      const set = await freeze("east", "op-1", 60_000);
      await freeze("west", "op-2", 60_000);
      await freeze("*", "ann", null, "kill switch");
      expect(await active(["east"])).toEqual(["*:ann:kill switch", "east:op-1:halted"]);
      expect(await active(["north"])).toEqual(["*:ann:kill switch"]);
      expect(await active()).toEqual(["*:ann:kill switch", "east:op-1:halted", "west:op-2:halted"]);
      expect((await h.current.store.activeFreezes(["east"])).find((f) => f.domain === "east")).toEqual(set);
    });

    it("a freeze set or cleared by another controller shows in the next read", async () => {
      const peer = await h.current.openPeer();
      for (let i = 0; i < 3; i += 1) expect(await active(["prod"])).toEqual([]);
      const nowMs = await peer.nowMs();
      const frozen = { domain: "prod", setBy: "op-9", reason: "halted", setAtMs: nowMs, expiresAtMs: null };
      await peer.setFreeze(frozen);
      expect(await h.current.store.activeFreezes(["prod"])).toEqual([frozen]);
      expect(await active()).toEqual(["prod:op-9:halted"]);
      await peer.clearFreeze("prod", "op-9");
      expect(await active(["prod"])).toEqual([]);
    });

    it("replaces a freeze set again by the same setter", async () => {
      await freeze("east", "op-1", 60_000, "first");
      await freeze("east", "op-1", 60_000, "second");
      expect(await active(["east"])).toEqual(["east:op-1:second"]);
    });

    it("expires by the store clock, unless it has no expiry", async () => {
      await freeze("east", "op-1", 10_000);
      await freeze("east", "ann", null, "manual");
      h.current.advanceClockMs(11_000);
      expect(await active(["east"])).toEqual(["east:ann:manual"]);
    });

    it("clears one setter's freeze, or every freeze on the domain", async () => {
      await freeze("east", "op-1", 60_000);
      await freeze("east", "ann", null, "manual");
      await freeze("west", "op-1", 60_000);
      await h.current.store.clearFreeze("east", "op-1");
      expect(await active()).toEqual(["east:ann:manual", "west:op-1:halted"]);
      await h.current.store.clearFreeze("east");
      await h.current.store.clearFreeze("east");
      expect(await active()).toEqual(["west:op-1:halted"]);
    });
  });

  describe("acks", () => {
    const h = useHarness(makeStore);

    it("records each consumer's ack once per stage", async () => {
      const { store } = h.current;
      await createOperation(store, "op-1");
      const ack = { operationId: "op-1", stage: "publish", consumer: "billing", actor: "ci", atMs: 1_000 };
      await store.recordAck(ack);
      await store.recordAck({ ...ack, atMs: 2_000 });
      await store.recordAck({ ...ack, consumer: "search", atMs: 1_500 });
      await store.recordAck({ ...ack, stage: "revoke", atMs: 3_000 });
      expect(await store.listAcks("op-1")).toEqual([
        ack,
        { ...ack, consumer: "search", atMs: 1_500 },
        { ...ack, stage: "revoke", atMs: 3_000 },
      ]);
      expect(await store.listAcks("op-2")).toEqual([]);
    });
  });
}
