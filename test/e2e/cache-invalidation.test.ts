/**
 * The cache-invalidation example run by the real engine against three real
 * Redis 7 nodes: a node that keeps the old entry holds the stage and is
 * named; once fixed, the stage seals within the gate's consecutive probes
 * plus one interval; a stopped node blocks the gate and halts after
 * sensorBlind; a malformed entry never passes.
 */
import { resolve } from "node:path";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { builtinRegistries } from "../../src/cli/wiring.ts";
import type { Plan } from "../../src/plan/types.ts";
import {
  loadTestPlan,
  startTestOperation,
  type TestOperation,
} from "../../src/targets/redis-cache/testing-operation.ts";
import { type RedisService, requireService, startRedis } from "../services/index.ts";

const example = resolve(import.meta.dirname, "../../examples/cache-invalidation.yaml");
const registries = builtinRegistries();
const SAMPLE_ITEMS = ["catalog:item:1", "catalog:item:42", "catalog:item:977"];
const INTERVAL_MS = 200;

const ready = requireService("redis", "cache invalidation through the engine on three Redis nodes");

describe.skipIf(!ready)("cache invalidation through the engine on three Redis nodes", () => {
  let redis: RedisService;
  let clients: Redis[];
  let operation: TestOperation | undefined;
  const timers: NodeJS.Timeout[] = [];

  const plan = (sensorBlind = "30s"): Plan =>
    loadTestPlan(example, registries, (source) =>
      source
        .replace("redis://127.0.0.1:6379", redis.nodes[0]?.url ?? "")
        .replace("redis://127.0.0.1:6380", redis.nodes[1]?.url ?? "")
        .replace("redis://127.0.0.1:6381", redis.nodes[2]?.url ?? "")
        .replace("interval: 500ms", `interval: ${INTERVAL_MS}ms`)
        .replace("sensorBlind: 30s", `sensorBlind: ${sensorBlind}`),
    );

  const client = (i: number): Redis => {
    const c = clients[i];
    if (c === undefined) throw new Error(`no client ${i}`);
    return c;
  };

  /** The application on node `i`: rebuilds entries older than catalog:ns, or, when stale, from an old source (v7). */
  const application = (i: number, stale: { value: boolean }): void => {
    const timer = setInterval(async () => {
      const c = client(i);
      const ns = Number(await c.get("catalog:ns").catch(() => "7"));
      for (const key of SAMPLE_ITEMS) {
        const v = Number(await c.hget(key, "v").catch(() => "0"));
        const rebuiltFrom = stale.value ? 7 : ns;
        if (v !== rebuiltFrom) await c.hset(key, { v: rebuiltFrom, body: "{}" }).catch(() => 0);
      }
    }, 50);
    timers.push(timer);
  };

  beforeAll(async () => {
    redis = await startRedis({ count: 3 });
    clients = redis.nodes.map((node) => {
      const c = new Redis(node.url, { maxRetriesPerRequest: 1 });
      c.on("error", () => {}); // a stopped node is part of the test
      return c;
    });
  });
  afterAll(async () => {
    for (const c of clients ?? []) c.disconnect();
    await redis?.stop();
  });
  beforeEach(async () => {
    for (const [i] of redis.nodes.entries()) {
      await redis.startNode(i);
      const c = client(i);
      await c.flushall();
      await c.set("catalog:ns", "7");
      for (const key of SAMPLE_ITEMS) await c.hset(key, { v: 7, body: "{}" });
      const search = c.pipeline();
      for (let n = 0; n < 1200; n += 1) search.set(`catalog:search:q${n}`, "[]");
      search.set("catalog:search:shoes", "[]");
      await search.exec();
    }
  });
  afterEach(async () => {
    for (const timer of timers.splice(0)) clearInterval(timer);
    await operation?.stop();
    operation = undefined;
  });

  it("holds the stage while one node keeps the old entry, names it, and seals within 3 probes + 1 interval of the fix", async () => {
    const stale = { value: true };
    application(0, { value: false });
    application(1, { value: false });
    application(2, stale);
    const p = plan();
    operation = await startTestOperation(p, example, registries);

    // Right after the action every node may still show the old entry; the gate must come to name us-1 alone.
    const blocked = await operation.waitFor("the invalidated gate to name us-1 alone", (state) =>
      state.gateChecks.some((c) => c.gate === "invalidated" && !c.ok && c.observed === "us-1=0"),
    );
    expect(blocked.gateChecks.find((c) => c.gate === "invalidated")?.observed).toBe("us-1=0");
    await new Promise((r) => setTimeout(r, 1_000));
    expect(operation.runner.state.stageTimes[0]?.sealedAtMs).toBeUndefined();
    const lastRead = operation.reads.filter((r) => r.sensor === "target.invalidated").at(-1)?.reading;
    expect(lastRead?.ok === true ? lastRead.detail : "").toMatch(/us-1: catalog:item:\d+ has version 7 < 8/);

    stale.value = false;
    const fixedAtMs = Date.now();
    const sealed = await operation.waitFor("bump-namespace to seal", (s) => s.stageTimes[0]?.sealedAtMs !== undefined);
    const sealedAtMs = sealed.stageTimes[0]?.sealedAtMs ?? Number.NaN;
    const probesAfterFix = operation.reads.filter(
      (r) => r.sensor === "target.invalidated" && r.startedAtMs >= fixedAtMs && r.startedAtMs <= sealedAtMs,
    ).length;
    console.info(
      `cache: bump-namespace sealed ${sealedAtMs - fixedAtMs} ms after the fix, on probe ${probesAfterFix} (consecutive 3, interval ${INTERVAL_MS} ms)`,
    );
    expect(probesAfterFix).toBeLessThanOrEqual(3 + 1);

    const done = await operation.waitFor("completion", (s) => s.phase.kind === "completed");
    expect(done.phase.kind).toBe("completed");
    for (const [i] of redis.nodes.entries()) {
      const c = client(i);
      expect(await c.get("catalog:ns")).toBe("8");
      const [, left] = await c.scan("0", "MATCH", "catalog:search:*", "COUNT", 10_000);
      expect(left).toEqual([]);
      expect(await c.exists("catalog:item:1")).toBe(1);
    }
  });

  it("blocks the gate on a stopped node, names it, and halts after sensorBlind", async () => {
    for (const i of [0, 1, 2]) application(i, { value: false });
    operation = await startTestOperation(plan("1s"), example, registries);
    await operation.waitFor("bump-namespace to be sealing", (s) => s.phase.kind === "sealing");
    await redis.stopNode(2);

    const named = await operation.waitFor("the gate to name the stopped node", (s) =>
      s.gateChecks.some((c) => c.gate === "invalidated" && c.observed.startsWith("unreachable: us-1")),
    );
    expect(named.gateChecks.find((c) => c.gate === "invalidated")?.observed).toMatch(
      /^unreachable: us-1 \(redis:\/\/127\.0\.0\.1:\d+\/?\)/,
    );
    const halted = await operation.waitFor("the halt", (s) => s.phase.kind === "halted");
    expect(halted.phase.kind === "halted" ? halted.phase.reason.code : "").toBe("sensor-blind");
    expect(halted.stageTimes[0]?.sealedAtMs).toBeUndefined();
  });

  it("never seals on a malformed entry: the probe fails with a parse error naming node and key, then halts blind", async () => {
    operation = await startTestOperation(plan("1s"), example, registries);
    await operation.waitFor("bump-namespace to be sealing", (s) => s.phase.kind === "sealing");
    for (const [i] of redis.nodes.entries()) for (const key of SAMPLE_ITEMS) await client(i).hset(key, { v: 8 });
    await client(1).hset("catalog:item:42", { v: "eight" });

    const named = await operation.waitFor("a parse error", (s) =>
      s.gateChecks.some((c) => c.gate === "invalidated" && c.observed.startsWith("parse:")),
    );
    expect(named.gateChecks.find((c) => c.gate === "invalidated")?.observed).toBe(
      "parse: eu-2: catalog:item:42 field v: expected a number, found a 5-character string",
    );
    const halted = await operation.waitFor("the halt", (s) => s.phase.kind === "halted");
    expect(halted.phase.kind === "halted" ? halted.phase.reason.code : "").toBe("sensor-blind");
    expect(halted.stageTimes[0]?.sealedAtMs).toBeUndefined();
  });
});

describe("cache-invalidation example", () => {
  it("validates, with an invalidated gate over every node on each stage and no rollback", () => {
    const plan = loadTestPlan(example, registries);
    expect(plan.kind).toBe("CacheInvalidation");
    const gates = plan.stages.map((s) => s.gates.conditions?.invalidated?.[0]);
    expect(gates.map((g) => g?.expectNodes)).toEqual([
      ["eu-1", "eu-2", "us-1"],
      ["eu-1", "eu-2", "us-1"],
    ]);
    expect(gates.map((g) => g?.consecutive)).toEqual([3, 2]);
    const rollback = registries.targets.get("redis-cache")?.rollback(
      plan.stages.map((s) => s.action),
      plan.target.config,
    );
    expect(rollback?.steps).toEqual([]);
    expect(rollback?.stopsAt).toMatch(/one-way/);
  });
});
