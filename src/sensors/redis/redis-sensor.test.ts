import { describe, expect, it } from "vitest";
import { redisNodeClient } from "./redis-node.ts";
import { redisSensorDefinition, replyNumber } from "./redis-sensor.ts";

describe("replyNumber", () => {
  it.each([
    [7, 7],
    ["8", 8],
    ["-2.5", -2.5],
    [" 1e3 ", 1000],
  ])("reads %j as %d", (reply, value) => {
    expect(replyNumber(reply, "GET k")).toEqual({ ok: true, value });
  });

  it("calls a missing value empty and anything else a parse error, without echoing the value", () => {
    expect(replyNumber(null, "eu-1: GET k")).toEqual({ ok: false, code: "empty", message: "eu-1: GET k: no value" });
    expect(replyNumber("secret-token", "eu-1: GET k")).toEqual({
      ok: false,
      code: "parse",
      message: "eu-1: GET k: expected a number, found a 12-character string",
    });
    expect(replyNumber("Infinity", "x")).toMatchObject({ ok: false, code: "parse" });
  });
});

describe("redis sensor config", () => {
  const nodes = [{ name: "eu-1", url: "redis://127.0.0.1:6379" }];
  it("needs a field for HGET and refuses one elsewhere", () => {
    expect(redisSensorDefinition.config.safeParse({ nodes, command: "HGET", key: "k" }).success).toBe(false);
    expect(redisSensorDefinition.config.safeParse({ nodes, command: "GET", key: "k", field: "f" }).success).toBe(false);
    expect(redisSensorDefinition.config.safeParse({ nodes, command: "HGET", key: "k", field: "f" }).success).toBe(true);
  });

  it("refuses write commands and non-redis URLs", () => {
    expect(redisSensorDefinition.config.safeParse({ nodes, command: "DEL", key: "k" }).success).toBe(false);
    const http = [{ name: "a", url: "http://127.0.0.1:6379" }];
    expect(redisSensorDefinition.config.safeParse({ nodes: http, command: "GET", key: "k" }).success).toBe(false);
  });
});

describe("redis node URLs", () => {
  it("take passwords from the environment and name an unset variable without connecting", async () => {
    const node = { name: "eu-1", url: `redis://:\${REDIS_TEST_UNSET_PASSWORD}@127.0.0.1:1` };
    const client = redisNodeClient(node, { connectTimeoutMs: 100, commandTimeoutMs: 100 }, {});
    expect(await client.run((redis) => redis.ping(), new AbortController().signal)).toEqual({
      ok: false,
      code: "config",
      message: "eu-1 (redis://127.0.0.1:1): url references unset environment variable REDIS_TEST_UNSET_PASSWORD",
    });
    await client.close();
  });
});
