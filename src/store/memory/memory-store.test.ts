import { describeStoreContract } from "../contract.ts";
import { MemoryDatabase, MemoryStore } from "./memory-store.ts";

describeStoreContract("memory", async () => {
  const database = new MemoryDatabase();
  let offsetMs = 0;
  const now = () => Date.now() + offsetMs;
  return {
    store: new MemoryStore({ database, now }),
    advanceClockMs: (ms) => {
      offsetMs += ms;
    },
    openPeer: async () => new MemoryStore({ database, now }),
    cleanup: async () => {},
  };
});
