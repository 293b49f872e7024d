import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeStoreContract } from "../contract.ts";
import { openSqliteStore } from "./sqlite-store.ts";

describeStoreContract("sqlite", async () => {
  const dir = mkdtempSync(join(tmpdir(), "airlock-sqlite-"));
  const path = join(dir, "nested", "airlock.db");
  let offsetMs = 0;
  const now = () => Date.now() + offsetMs;
  const store = openSqliteStore(path, { now });
  await store.migrate();
  const peers = [store];
  return {
    store,
    advanceClockMs: (ms) => {
      offsetMs += ms;
    },
    openPeer: async () => {
      const peer = openSqliteStore(path, { now });
      await peer.migrate();
      peers.push(peer);
      return peer;
    },
    cleanup: async () => {
      for (const peer of peers) await peer.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
