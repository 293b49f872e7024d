import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Logger } from "@openfeature/core";
import { FlagdCore } from "@openfeature/flagd-core";
import { afterAll, describe, expect, it } from "vitest";
import { parseFlagFile, replaceFile, splitTargeting } from "./flag-file.ts";

const variants = { new: "on", old: "off" };
const silent: Logger = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {} };

function flagText(flag: Record<string, unknown>): string {
  return JSON.stringify({ $schema: "https://flagd.dev/schema/v0/flags.json", flags: { checkout: flag } });
}

const valid = { state: "ENABLED", variants: { on: true, off: false }, defaultVariant: "off" };

describe("parseFlagFile", () => {
  it("accepts a valid flag and reads Airlock's stamp from its metadata", () => {
    const parsed = parseFlagFile(
      flagText({
        ...valid,
        metadata: { airlockRevision: 4, airlockKey: "k", airlockOperation: "op", airlockFence: 2 },
      }),
      "checkout",
      variants,
    );
    expect(parsed).toMatchObject({ ok: true, file: { stamp: { revision: 4, key: "k", operation: "op", fence: 2 } } });
  });

  it.each([
    ["text that is not JSON", "{ flags: ", /^not valid JSON/],
    [
      "a state flagd does not know",
      flagText({ ...valid, state: "SOMETIMES" }),
      /\/flags\/checkout\/state must be equal to one of the allowed values \(ENABLED, DISABLED\)/,
    ],
    [
      "a default variant that is not a variant",
      flagText({ ...valid, defaultVariant: "maybe" }),
      /Default variant maybe missing/,
    ],
    [
      "a targeting rule flagd cannot run",
      flagText({ ...valid, targeting: { nosuchop: [1] } }),
      /targeting must NOT have additional properties \(nosuchop\)/,
    ],
  ])("rejects %s as malformed with flagd's own reason", (_what, text, reason) => {
    const parsed = parseFlagFile(text, "checkout", variants);
    expect(parsed).toMatchObject({ ok: false, code: "malformed" });
    expect(parsed.ok ? "" : parsed.message).toMatch(reason);
  });

  it("rejects a file without the flag, or without one of the rollout's variants", () => {
    expect(parseFlagFile(flagText(valid), "other", variants)).toMatchObject({ ok: false, code: "no-flag" });
    expect(parseFlagFile(flagText(valid), "checkout", { new: "beta", old: "off" })).toMatchObject({
      ok: false,
      code: "no-variant",
      message: 'flag checkout has no variant "beta"',
    });
  });
});

describe("splitTargeting", () => {
  const served = (percent: number): number => {
    const core = new FlagdCore(undefined, silent);
    core.setConfigurations(flagText({ ...valid, targeting: splitTargeting(percent, variants) }));
    let on = 0;
    for (let i = 0; i < 20_000; i += 1) {
      if (core.resolveBooleanEvaluation("checkout", false, { targetingKey: `user-${i}` }).variant === "on") on += 1;
    }
    return (on / 20_000) * 100;
  };

  it("serves the new variant to the given share of targeting keys, as flagd-core evaluates it", () => {
    expect(served(0)).toBe(0);
    expect(served(10)).toBeCloseTo(10, 0);
    expect(served(50)).toBeCloseTo(50, 0);
    expect(served(100)).toBe(100);
  });

  it("writes whole percents as weights out of 100 and fractions as thousandths", () => {
    expect(splitTargeting(10, variants)).toEqual({
      fractional: [{ cat: [{ var: "$flagd.flagKey" }, { var: "targetingKey" }] }, ["on", 10], ["off", 90]],
    });
    expect(splitTargeting(2.5, variants)).toMatchObject({ fractional: [{}, ["on", 2500], ["off", 97_500]] });
  });
});

describe("replaceFile", () => {
  const dir = mkdtempSync(join(tmpdir(), "airlock-flag-file-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("replaces the file and keeps its mode", async () => {
    const path = join(dir, "a.json");
    writeFileSync(path, "old");
    chmodSync(path, 0o640);
    expect(await replaceFile(path, "old", "new")).toEqual({ ok: true });
    expect(readFileSync(path, "utf8")).toBe("new");
    expect(statSync(path).mode & 0o777).toBe(0o640);
  });

  it("refuses with a conflict when the file no longer holds what was read", async () => {
    const path = join(dir, "b.json");
    writeFileSync(path, "changed by hand");
    expect(await replaceFile(path, "what Airlock read", "new")).toMatchObject({ ok: false, code: "conflict" });
    expect(readFileSync(path, "utf8")).toBe("changed by hand");
  });
});
