import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadPlanSource } from "../../src/cli/load-plan.ts";
import { buildRuntime } from "../../src/cli/wiring.ts";
import { realClock } from "../../src/engine/clock.ts";
import { engine } from "../../src/engine/engine.ts";
import { Runner, toJson } from "../../src/engine/runner.ts";
import type { Plan } from "../../src/plan/types.ts";
import { MemoryStore } from "../../src/store/memory/memory-store.ts";
import { scramVerifier } from "../../src/util/scram.ts";
import { type PgCluster, registriesWithPostgres, requirePostgres, sharedPgCluster } from "./postgres-cluster.ts";

const examples = resolve(import.meta.dirname, "../../examples");
const registries = registriesWithPostgres();

function loadExample(name: string, edit: (source: string) => string = (s) => s): Plan {
  const file = join(examples, name);
  const loaded = loadPlanSource(edit(readFileSync(file, "utf8")), file, registries);
  if (!loaded.ok) throw new Error(loaded.lines.join("\n"));
  return loaded.loaded.plan;
}

describe("example plans", () => {
  it("migration.yaml validates, with a replicated gate over both replicas on every phase", () => {
    const plan = loadExample("migration.yaml");
    expect(plan.claims).toEqual(["postgres:127.0.0.1:5432/shop"]);
    for (const stage of plan.stages) {
      expect(stage.gates.conditions?.replicated?.[0]?.expectNodes, stage.name).toEqual(["replica-a", "replica-b"]);
    }
    expect(plan.stages[2]?.gates.conditions?.drained?.[0]?.sensor).toBe("target.old_version_sessions");
  });

  it("secret-rotation.yaml validates, with adoption and every consumer's ack on rotate", () => {
    const plan = loadExample("secret-rotation.yaml");
    const [rotate, revoke] = plan.stages;
    expect(rotate?.gates.conditions?.adopted?.map((c) => c.sensor)).toEqual([
      "target.consumers_on_new_role",
      "target.old_role_sessions",
    ]);
    expect(rotate?.gates.confirmedBy).toEqual(["billing", "orders", "reports"]);
    expect(revoke?.gates.conditions).toBeUndefined();
  });
});

const ready = requirePostgres("migration example run by the engine on a primary and two replicas");
const shared = sharedPgCluster({ replicas: 2 });
afterAll(() => shared.stop());

describe.skipIf(!ready)("migration example run by the engine on a primary and two replicas", () => {
  let cluster: PgCluster;
  let plan: Plan;

  beforeAll(async () => {
    cluster = await shared.get();
    const admin = new pg.Client({ connectionString: cluster.primary.url });
    await admin.connect();
    await admin.query(`CREATE ROLE airlock LOGIN SUPERUSER PASSWORD '${scramVerifier(cluster.adminPassword)}'`);
    await admin.query("CREATE DATABASE shop OWNER airlock");
    await admin.end();
    const shop = new pg.Client({ connectionString: cluster.primary.url.replace(/\/postgres$/, "/shop") });
    await shop.connect();
    await shop.query("CREATE TABLE orders (id serial PRIMARY KEY, total int NOT NULL)");
    await shop.query("INSERT INTO orders (total) SELECT g FROM generate_series(1, 2500) g");
    await shop.end();
    process.env.PGPASSWORD_SHOP = cluster.adminPassword;
    const [a, b] = cluster.replicas;
    plan = loadExample("migration.yaml", (source) =>
      source
        .replaceAll("127.0.0.1:5432/", `127.0.0.1:${cluster.primary.port}/`)
        .replaceAll("127.0.0.1:5433/", `127.0.0.1:${a?.port}/`)
        .replaceAll("127.0.0.1:5434/", `127.0.0.1:${b?.port}/`)
        .replace("interval: 1s", "interval: 200ms"),
    );
  });

  it("runs every phase once, seals each only after both replicas replay it, and completes", async () => {
    const [replicaA] = cluster.replicas;
    if (replicaA === undefined) throw new Error("no replica");
    const pause = async (sql: string) => {
      const client = new pg.Client({ connectionString: replicaA.url });
      await client.connect();
      await client.query(sql);
      await client.end();
    };
    await pause("SELECT pg_wal_replay_pause()");

    const store = new MemoryStore();
    const created = await store.createOperation({
      id: "op-migration",
      planName: plan.name,
      domain: plan.domain,
      planHash: "hash",
      planSource: "",
      planFile: join(examples, "migration.yaml"),
      state: toJson(engine.initialState("op-migration", plan)),
    });
    expect(created.ok).toBe(true);
    const runtime = buildRuntime(plan, join(examples, "migration.yaml"), registries);
    // Count the replication sensor's reads that start after replay resumes.
    let resumedAtMs = Number.POSITIVE_INFINITY;
    let readsAfterResume = 0;
    const gap = runtime.sensors["target.replay_lsn_gap"];
    if (gap === undefined) throw new Error("no target.replay_lsn_gap");
    const sensors = {
      ...runtime.sensors,
      "target.replay_lsn_gap": {
        read: (ctx: Parameters<typeof gap.read>[0]) => {
          if (Date.now() >= resumedAtMs) readsAfterResume += 1;
          return gap.read(ctx);
        },
      },
    };
    const runner = new Runner({
      store,
      engine,
      plan,
      operationId: "op-migration",
      target: runtime.target,
      targetDefinition: runtime.targetDefinition,
      sensors,
      clock: realClock,
      holder: "test",
    });
    const controller = new AbortController();
    const running = runner.run(controller.signal, true);
    try {
      // The first phase commits, but replica-a does not replay it: the stage stays unsealed and names it.
      let blocked = "";
      for (let i = 0; i < 100 && blocked === ""; i += 1) {
        await new Promise((r) => setTimeout(r, 100));
        const state = runner.state;
        const check = state?.gateChecks.find((c) => c.gate === "replicated" && !c.ok);
        if (state?.phase.kind === "sealing" && check !== undefined && check.observed.includes("replica-a")) {
          blocked = check.observed;
        }
      }
      expect(blocked).toContain("replica-a");
      await new Promise((r) => setTimeout(r, 1_000));
      expect(runner.state?.stageTimes[0]?.sealedAtMs).toBeUndefined();

      await pause("SELECT pg_wal_replay_resume()");
      resumedAtMs = Date.now();
      for (let i = 0; i < 100 && runner.state?.stageTimes[0]?.sealedAtMs === undefined; i += 1) {
        await new Promise((r) => setTimeout(r, 20));
      }
      const sealedAfterMs = (runner.state?.stageTimes[0]?.sealedAtMs ?? Number.NaN) - resumedAtMs;
      console.info(
        `expand sealed on sensor read ${readsAfterResume} after pg_wal_replay_resume() (${sealedAfterMs} ms, interval ${plan.intervalMs} ms)`,
      );
      expect(readsAfterResume).toBeGreaterThanOrEqual(1);
      expect(readsAfterResume).toBeLessThanOrEqual(2);

      const stop = await running;
      expect(stop).toEqual({ kind: "terminal", status: "completed" });
    } finally {
      controller.abort();
      await running.catch(() => undefined);
      await runtime.close();
    }

    const events = await store.listEvents("op-migration", 0, 100_000);
    const applied = events.filter((e) => e.type === "ActionApplied").length;
    const sealed = events.filter((e) => e.type === "StageSealed").length;
    console.info(`events: ${events.length}, ActionApplied ${applied}, StageSealed ${sealed}`);
    expect(sealed).toBe(4);
    const shop = new pg.Client({ connectionString: cluster.primary.url.replace(/\/postgres$/, "/shop") });
    await shop.connect();
    try {
      const ledger = await shop.query("SELECT phase FROM airlock_migrations ORDER BY applied_at");
      expect(ledger.rows.map((r) => r.phase)).toEqual([
        "expand",
        "index-total-cents",
        "backfill-total-cents",
        "contract",
      ]);
      const left = await shop.query("SELECT count(*)::int AS n FROM orders WHERE total_cents IS NULL");
      expect(left.rows[0]).toEqual({ n: 0 });
      const column = await shop.query(
        "SELECT count(*)::int AS n FROM information_schema.columns WHERE column_name = 'total'",
      );
      expect(column.rows[0]).toEqual({ n: 0 });
    } finally {
      await shop.end();
    }
    expect(JSON.stringify(events)).not.toContain(cluster.adminPassword);
  });
});
