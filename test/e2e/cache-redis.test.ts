/**
 * The `redis` sensor (shared contract suite) and the `redis-cache` target on
 * real Redis 7 nodes: once-per-key applies, fencing, SCAN-batched deletes,
 * one publish per node, refusals that are not retried, unreachable nodes
 * that are, and passwords that never reach a message.
 */
import net from "node:net";
import { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { redisSensorDefinition } from "../../src/sensors/redis/redis-sensor.ts";
import { describeSensorContract } from "../../src/sensors/sensor.contract.ts";
import { redisCacheConfigSchema } from "../../src/targets/redis-cache/redis-cache-config.ts";
import { redisCacheTargetDefinition as cache } from "../../src/targets/redis-cache/redis-cache-target.ts";
import type { ActionRequest, Target } from "../../src/targets/target.ts";
import { freePort, type RedisService, requireService, startRedis } from "../services/index.ts";

const PASSWORD = "s3cret-redis-pass";
const ready = requireService("redis", "redis sensor and redis-cache target on real Redis");

describe.skipIf(!ready)("redis sensor and redis-cache target on real Redis", () => {
  let redis: RedisService;
  let silent: net.Server;
  let silentPort = 0;
  let closedPort = 0;
  const admin: Redis[] = [];

  beforeAll(async () => {
    redis = await startRedis({ count: 3 });
    for (const node of redis.nodes) admin.push(new Redis(node.url));
    // Accepts connections and never answers: a hung node.
    silent = net.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    silentPort = (silent.address() as net.AddressInfo).port;
    closedPort = await freePort();
  });
  afterAll(async () => {
    for (const c of admin) c.disconnect();
    silent?.close();
    await redis?.stop();
  });

  const nodes = () => redis.nodes.map((n) => ({ name: n.name, url: n.url }));
  const deadNode = () => ({ name: "dead", url: `redis://:${PASSWORD}@127.0.0.1:${closedPort}` });
  const sensor = (config: Record<string, unknown>) =>
    redisSensorDefinition.create(redisSensorDefinition.config.parse(config), { planDir: "." });

  describeSensorContract("redis", async () => {
    for (const c of admin) await c.mset({ "contract:n": "5", "contract:text": "five" });
    return {
      succeeding: () => sensor({ nodes: nodes(), command: "GET", key: "contract:n" }),
      failures: [
        {
          code: "unreachable",
          create: () => sensor({ nodes: [...nodes(), deadNode()], command: "GET", key: "contract:n" }),
        },
        { code: "parse", create: () => sensor({ nodes: nodes(), command: "GET", key: "contract:text" }) },
        { code: "empty", create: () => sensor({ nodes: nodes(), command: "GET", key: "contract:none" }) },
      ],
      hanging: () =>
        sensor({ nodes: [{ name: "hung", url: `redis://127.0.0.1:${silentPort}` }], command: "EXISTS", key: "k" }),
      secrets: [PASSWORD],
    };
  });

  describe("redis-cache target", () => {
    const targets: Target[] = [];
    let keys = 0;
    const target = (extra: object[] = []): Target => {
      const t = cache.create(redisCacheConfigSchema.parse({ nodes: [...nodes(), ...extra], namespaceKey: "ns" }), {
        planDir: ".",
      });
      targets.push(t);
      return t;
    };
    const request = (type: string, params: Record<string, unknown>, overrides: Partial<ActionRequest> = {}) => {
      keys += 1;
      const schema = cache.actions[type];
      if (schema === undefined) throw new Error(`no action ${type}`);
      return {
        operationId: "op-redis",
        stageName: `s${keys}`,
        stageIndex: 0,
        action: { type, params: schema.parse({ probe: { keys: ["x"] }, ...params }) },
        idempotencyKey: `key-${keys}`,
        fencingToken: 1,
        rollback: false,
        signal: new AbortController().signal,
        ...overrides,
      } satisfies ActionRequest;
    };

    beforeEach(async () => {
      for (const c of admin) await c.flushall();
    });
    afterAll(async () => {
      await Promise.all(targets.map((t) => t.close?.()));
    });

    it("bumps the version once per key on every node, however often it is applied", async () => {
      for (const c of admin) await c.set("ns", "7");
      const t = target();
      const bump = request("bump-version", {});
      for (let i = 0; i < 3; i += 1) {
        expect(await t.apply({ ...bump, signal: new AbortController().signal })).toMatchObject({
          ok: true,
          value: { state: { version: { "redis-0": "8", "redis-1": "8", "redis-2": "8" } } },
        });
      }
      expect(await Promise.all(admin.map((c) => c.get("ns")))).toEqual(["8", "8", "8"]);
      expect(await t.observe(bump, new AbortController().signal)).toMatchObject({ ok: true, value: { matches: true } });
      expect(await t.observe(request("bump-version", {}), new AbortController().signal)).toMatchObject({
        value: { matches: false },
      });
    });

    it("retries a bump after a node was unreachable, applying it only where it had not landed", async () => {
      const t = target();
      const bump = request("bump-version", {});
      await redis.stopNode(2);
      expect(await t.apply(bump)).toMatchObject({ ok: false, code: "unreachable", retryable: true });
      await redis.startNode(2);
      expect(await t.apply({ ...bump, signal: new AbortController().signal })).toMatchObject({ ok: true });
      expect(await Promise.all(admin.map((c) => c.get("ns")))).toEqual(["1", "1", "1"]);
    });

    it("refuses a stale fencing token, a version that would go down and a version key that is not a number", async () => {
      const t = target();
      await t.apply(request("bump-version", { to: 10 }, { fencingToken: 5 }));
      expect(await t.apply(request("bump-version", {}, { fencingToken: 4 }))).toMatchObject({
        ok: false,
        code: "fenced",
        retryable: false,
      });
      expect(await t.apply(request("bump-version", { to: 9 }, { fencingToken: 5 }))).toMatchObject({
        ok: false,
        code: "config",
        message: expect.stringContaining("redis-0 already holds version 10"),
        retryable: false,
      });
      await admin[1]?.set("ns", "ten");
      expect(await t.apply(request("bump-version", {}, { fencingToken: 5 }))).toMatchObject({
        ok: false,
        code: "parse",
        message: "bump-version refused: redis-1 holds a version that is not an integer",
        retryable: false,
      });
    });

    it("deletes by SCAN in batches, never KEYS, only the matching keys", async () => {
      for (const c of admin) {
        const fill = c.pipeline();
        for (let i = 0; i < 2_500; i += 1) fill.set(`old:${i}`, "x");
        fill.set("keep:1", "x");
        await fill.exec();
        await c.config("RESETSTAT");
      }
      const t = target();
      expect(await t.apply(request("delete-pattern", { pattern: "old:*", batch: 200 }))).toMatchObject({
        ok: true,
        value: { state: { deleted: { "redis-0": "2500", "redis-1": "2500", "redis-2": "2500" } } },
      });
      for (const c of admin) {
        expect(await c.dbsize()).toBe(1 + 2); // keep:1, the applied marker and the fence
        const stats = await c.info("commandstats");
        expect(stats).not.toMatch(/cmdstat_keys:/);
        expect(Number(/cmdstat_scan:calls=(\d+)/.exec(stats)?.[1])).toBeGreaterThan(2_500 / 200);
      }
    });

    it("publishes once per node, even when applied twice", async () => {
      const subscriber = new Redis(redis.nodes[0]?.url ?? "");
      const received: string[] = [];
      subscriber.on("message", (_channel, message: string) => received.push(message));
      await subscriber.subscribe("invalidations");
      const t = target();
      const publish = request("publish", { channel: "invalidations", message: "catalog:ns bumped" });
      await t.apply(publish);
      expect(await t.apply({ ...publish, signal: new AbortController().signal })).toMatchObject({
        ok: true,
        value: { state: { receivers: { "redis-0": "1" } } },
      });
      await new Promise((r) => setTimeout(r, 100));
      expect(received).toEqual(["catalog:ns bumped"]);
      subscriber.disconnect();
    });

    it("probes nothing outside a sealing stage: every node must answer, and none passes", async () => {
      const idle = await target()
        .sensors()
        .invalidated?.read({ nowMs: Date.now(), signal: new AbortController().signal });
      expect(idle).toMatchObject({
        ok: true,
        value: { values: { "redis-0": 0, "redis-1": 0, "redis-2": 0 } },
        detail: "no cache stage is sealing: nothing to probe",
      });
    });

    it("keeps passwords out of failures, and fails closed on a node that is down", async () => {
      const t = target([deadNode()]);
      const result = await t.apply(request("bump-version", {}));
      expect(result).toMatchObject({ ok: false, code: "unreachable", retryable: true });
      expect(result.ok ? "" : result.message).toMatch(/dead \(redis:\/\/127\.0\.0\.1:\d+\/?\): connect ECONNREFUSED/);
      expect(result.ok ? "" : result.message).not.toContain(PASSWORD);
      const reading = await t.sensors().invalidated?.read({
        nowMs: Date.now(),
        signal: new AbortController().signal,
        stageAction: { ...request("bump-version", {}).action, rollback: false },
      });
      expect(reading).toMatchObject({ ok: false, code: "unreachable" });
      expect(reading?.ok === false ? reading.message : PASSWORD).not.toContain(PASSWORD);
    });
  });
});
