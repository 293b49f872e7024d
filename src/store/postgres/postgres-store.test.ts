import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PostgresService, requireService, startPostgres } from "../../../test/services/index.ts";
import { describeStoreContract } from "../contract.ts";
import { PostgresStore, storePoolConfig } from "./postgres-store.ts";

// One schema per test file, emptied after each test: faster than a fresh schema per test.
const SCHEMA = `store_contract_${process.pid}`;
const TABLES = [
  "operations",
  "events",
  "runner_leases",
  "domain_leases",
  "domain_waiters",
  "claims",
  "commands",
  "freezes",
  "acks",
];

const ready = requireService("postgres", "store contract on PostgreSQL 15");

describe.skipIf(!ready)("postgres store", () => {
  let service: PostgresService | undefined;
  let admin: pg.Pool | undefined;
  beforeAll(async () => {
    service = await startPostgres();
    admin = new pg.Pool({ connectionString: service.primary.connectionString, max: 2 });
    // The server stops at the end of the file; a closing idle connection may still report it.
    admin.on("error", () => {});
    await admin.query(`CREATE SCHEMA ${SCHEMA}`);
  });
  afterAll(async () => {
    await admin?.end();
    await service?.stop();
  });

  it("ends a session left idle inside a transaction, so a frozen controller cannot hold a row a survivor needs", async () => {
    const client = new pg.Client(storePoolConfig({ connectionString: service?.primary.connectionString }));
    await client.connect();
    try {
      const shown = await client.query<{ idle_in_transaction_session_timeout: string }>(
        "SHOW idle_in_transaction_session_timeout",
      );
      expect(shown.rows[0]?.idle_in_transaction_session_timeout).toBe("5s");
    } finally {
      await client.end();
    }
  });

  describeStoreContract("postgres", async () => {
    if (service === undefined || admin === undefined) throw new Error("postgres did not start");
    const pool = admin;
    let offsetMs = 0;
    const open = () =>
      new PostgresStore({
        connectionString: service?.primary.connectionString,
        options: `-c search_path=${SCHEMA}`,
        max: 4,
        clockOffsetMs: () => offsetMs,
      });
    const store = open();
    await store.migrate();
    const stores = [store];
    return {
      store,
      advanceClockMs: (ms) => {
        offsetMs += ms;
      },
      openPeer: async () => {
        const peer = open();
        stores.push(peer);
        return peer;
      },
      cleanup: async () => {
        for (const s of stores) await s.close();
        await pool.query(`TRUNCATE ${TABLES.map((t) => `${SCHEMA}.${t}`).join(", ")} RESTART IDENTITY`);
      },
    };
  });
});
