import { describe, expect, it } from "vitest";
import { redisCacheConfigSchema } from "./redis-cache-config.ts";
import { CACHE_ROLLBACK_STOPS_AT, redisCacheTargetDefinition as cache } from "./redis-cache-target.ts";

const config = redisCacheConfigSchema.parse({
  nodes: [
    { name: "eu-1", url: "redis://:hunter22@10.0.0.1:6379/2" },
    { name: "us-1", url: "redis://10.0.1.1:6379" },
  ],
  namespaceKey: "catalog:ns",
});

describe("redis-cache target: plan-time parts", () => {
  it("gates every action on every node reading a miss or the new version, 3 probes in a row unless told", () => {
    const params = cache.actions["bump-version"]?.parse({ probe: { keys: ["item:1"], versionField: "v" } }) ?? {};
    expect(cache.defaultGates({ type: "bump-version", params }, config).conditions?.invalidated).toEqual([
      {
        sensor: "target.invalidated",
        aggregate: "every",
        op: ">=",
        threshold: 1,
        expectNodes: ["eu-1", "us-1"],
        consecutive: 3,
        label: "nodes that dropped the old entry",
      },
    ]);
    const deletion =
      cache.actions["delete-pattern"]?.parse({ pattern: "s:*", probe: { keys: ["s:1"] }, consecutive: 5 }) ?? {};
    expect(deletion).toEqual({ pattern: "s:*", batch: 500, probe: { keys: ["s:1"] }, consecutive: 5 });
    expect(
      cache.defaultGates({ type: "delete-pattern", params: deletion }, config).conditions?.invalidated?.[0]
        ?.consecutive,
    ).toBe(5);
  });

  it("has no rollback, and says why", () => {
    expect(cache.rollback([{ type: "bump-version", params: {} }], config)).toEqual({
      steps: [],
      stopsAt: CACHE_ROLLBACK_STOPS_AT,
    });
  });

  it("claims each node by address, without its password", () => {
    expect(cache.claims(config)).toEqual(["redis://10.0.0.1:6379/2", "redis://10.0.1.1:6379"]);
  });

  it("refuses actions without a probe, and duplicate node names", () => {
    expect(cache.actions.publish?.safeParse({ channel: "c", message: "m" }).success).toBe(false);
    const twice = {
      nodes: [
        { name: "a", url: "redis://h:1" },
        { name: "a", url: "redis://h:2" },
      ],
    };
    expect(redisCacheConfigSchema.safeParse(twice).success).toBe(false);
  });
});
