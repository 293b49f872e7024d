import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { type RunningSampleService, startSampleService } from "../../sample/sample-service.ts";
import type { Reading } from "../../sensors/sensor.ts";
import type { ActionRequest, Target } from "../target.ts";
import { type FlagdConfig, flagdConfigSchema } from "./flagd-config.ts";
import { flagdTargetDefinition as flagd } from "./flagd-target.ts";

const dir = mkdtempSync(join(tmpdir(), "airlock-flagd-"));
const file = join(dir, "flags.json");
const initial = {
  $schema: "https://flagd.dev/schema/v0/flags.json",
  flags: { checkout: { state: "ENABLED", variants: { on: true, off: false }, defaultVariant: "off" } },
};
const services: RunningSampleService[] = [];
afterAll(async () => {
  await Promise.all(services.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

function configFor(evaluators: { name: string; url: string }[] = [{ name: "a", url: "http://127.0.0.1:9/metrics" }]) {
  return flagdConfigSchema.parse({
    file: "flags.json",
    flag: "checkout",
    variants: { new: "on", old: "off" },
    evaluators,
  });
}

function target(config: FlagdConfig = configFor()): Target {
  return flagd.create(config, { planDir: dir });
}

let keys = 0;
function split(percent: number, overrides: Partial<ActionRequest> = {}): ActionRequest {
  keys += 1;
  return {
    operationId: "op-1",
    stageName: `s${keys}`,
    stageIndex: 0,
    action: { type: "split", params: { percent } },
    idempotencyKey: `key-${keys}`,
    fencingToken: 1,
    rollback: false,
    signal: new AbortController().signal,
    ...overrides,
  };
}

type FlagOnDisk = { targeting?: unknown; metadata?: Record<string, unknown> };
const onDisk = (): FlagOnDisk =>
  (JSON.parse(readFileSync(file, "utf8")) as { flags: { checkout: FlagOnDisk } }).flags.checkout;

beforeEach(() => writeFileSync(file, JSON.stringify(initial)));

describe("flagd target: applying splits", () => {
  it("writes the split as revision 1, and the same key again changes nothing", async () => {
    const t = target();
    const request = split(10);
    expect(await t.apply(request)).toMatchObject({ ok: true, value: { state: { revision: 1, percent: 10 } } });
    const written = readFileSync(file, "utf8");
    expect(onDisk().metadata).toMatchObject({
      airlockRevision: 1,
      airlockKey: request.idempotencyKey,
      airlockOperation: "op-1",
    });
    expect(await t.apply({ ...request, signal: new AbortController().signal })).toMatchObject({ ok: true });
    expect(readFileSync(file, "utf8")).toBe(written);
    expect(await t.apply(split(50))).toMatchObject({ ok: true, value: { state: { revision: 2, percent: 50 } } });
    expect(await t.observe(request, new AbortController().signal)).toMatchObject({
      ok: true,
      value: { matches: false },
    });
  });

  it("refuses a fencing token older than the one the operation wrote with", async () => {
    const t = target();
    await t.apply(split(10, { fencingToken: 5 }));
    expect(await t.apply(split(50, { fencingToken: 4 }))).toMatchObject({
      ok: false,
      code: "fenced",
      retryable: false,
    });
  });

  it("refuses to overwrite a targeting changed by hand during the operation, and observe reports the drift", async () => {
    const t = target();
    const first = split(10);
    await t.apply(first);
    const edited = JSON.parse(readFileSync(file, "utf8"));
    edited.flags.checkout.targeting.fractional[1][1] = 30;
    edited.flags.checkout.targeting.fractional[2][1] = 70;
    writeFileSync(file, JSON.stringify(edited));
    expect(await t.apply(split(50))).toMatchObject({ ok: false, code: "drift", retryable: false });
    const observed = await t.observe(first, new AbortController().signal);
    expect(observed.ok ? observed.value.drift : "").toBe(
      "the targeting of flag checkout was changed outside Airlock after revision 1",
    );
  });

  it("fails without retry on a malformed file, and observe reports it as drift", async () => {
    const t = target();
    writeFileSync(file, "{ not json");
    expect(await t.apply(split(10))).toMatchObject({ ok: false, code: "malformed-flag-file", retryable: false });
    expect(await t.observe(undefined, new AbortController().signal)).toMatchObject({
      ok: true,
      value: { matches: false, drift: expect.stringMatching(/^not valid JSON/) },
    });
  });

  it("restores the targeting from before the operation as a new revision, even over a hand edit", async () => {
    writeFileSync(
      file,
      JSON.stringify({
        ...initial,
        flags: { checkout: { ...initial.flags.checkout, targeting: { if: [true, "off", "off"] } } },
      }),
    );
    const t = target();
    await t.apply(split(10));
    await t.apply(split(50));
    const restore = split(0, { action: { type: "restore", params: {} }, rollback: true });
    expect(await t.apply(restore)).toMatchObject({ ok: true, value: { state: { revision: 3, percent: null } } });
    expect(onDisk().targeting).toEqual({ if: [true, "off", "off"] });
  });
});

describe("flagd target: plan-time parts", () => {
  it("gates every stage on every evaluator reporting the new revision", () => {
    const config = configFor([
      { name: "a", url: "http://127.0.0.1:1/metrics" },
      { name: "b", url: "http://127.0.0.1:2/metrics" },
    ]);
    expect(flagd.defaultGates({ type: "split", params: { percent: 5 } }, config).conditions?.propagated).toEqual([
      expect.objectContaining({ sensor: "target.propagated", op: ">=", threshold: 1, expectNodes: ["a", "b"] }),
    ]);
  });

  it("rolls back in one restore step, or not at all when nothing was applied", () => {
    const config = configFor();
    expect(flagd.rollback([], config).steps).toEqual([]);
    const applied = [10, 50].map((percent) => ({ type: "split", params: { percent } }));
    expect(flagd.rollback(applied, config).steps).toEqual([
      {
        name: "restore-split",
        action: { type: "restore", params: {} },
        gates: flagd.defaultGates(applied[0] ?? { type: "split", params: {} }, config),
      },
    ]);
  });

  it("rejects two evaluators with one name and a rollout between a variant and itself", () => {
    const same = {
      file: "f",
      flag: "x",
      variants: { new: "on", old: "on" },
      evaluators: [{ name: "a", url: "http://127.0.0.1:1/m" }],
    };
    expect(flagdConfigSchema.safeParse(same).success).toBe(false);
    const twice = {
      ...same,
      variants: { new: "on", old: "off" },
      evaluators: [same.evaluators[0], same.evaluators[0]],
    };
    expect(flagdConfigSchema.safeParse(twice).success).toBe(false);
  });
});

describe("flagd target: sensors over evaluators", () => {
  const read = (t: Target, sensor: string): Promise<Reading> => {
    const s = t.sensors()[sensor];
    if (s === undefined) throw new Error(`no sensor ${sensor}`);
    return s.read({ nowMs: Date.now(), signal: new AbortController().signal });
  };

  it("reports each evaluator's revision, whether it has the written one, and per-variant counters by cohort", async () => {
    const service = await startSampleService({
      port: 0,
      name: "a",
      version: "1",
      latencyMs: { median: 1, p99: 2 },
      errorRate: 0,
      longRequestShare: 0,
      longRequestMs: 0,
      flags: { file, flag: "checkout", reloadMs: 60_000, errorRates: { on: 1 } },
      random: () => 0.5,
    });
    services.push(service);
    const t = target(configFor([{ name: "a", url: `${service.url}/metrics` }]));
    await t.apply(split(100));
    expect(await read(t, "propagated")).toMatchObject({
      ok: true,
      value: { values: { a: 0 } },
      detail: "a evaluates revision 0 < 1",
    });
    await fetch(`${service.url}/flag`); // served by revision 0: "off"
    expect(await read(t, "requests")).toMatchObject({
      value: {
        values: { "a/on": 0, "a/off": 1 },
        labels: { "a/on": { cohort: "candidate" }, "a/off": { cohort: "legacy" } },
      },
    });
    expect(await read(t, "errors")).toMatchObject({ value: { values: { "a/on": 0, "a/off": 0 } } });
  });

  it("fails the revision reading when an evaluator is unreachable, naming it; the counters leave it out", async () => {
    const service = await startSampleService({
      port: 0,
      name: "up",
      version: "1",
      latencyMs: { median: 1, p99: 2 },
      errorRate: 0,
      longRequestShare: 0,
      longRequestMs: 0,
      flags: { file, flag: "checkout", reloadMs: 60_000, errorRates: {} },
    });
    services.push(service);
    const t = target(
      configFor([
        { name: "up", url: `${service.url}/metrics` },
        { name: "down", url: "http://127.0.0.1:9/metrics" },
      ]),
    );
    expect(await read(t, "propagated")).toMatchObject({
      ok: false,
      code: "unreachable",
      message: expect.stringMatching(/^down: /),
    });
    const requests = await read(t, "requests");
    expect(requests.ok ? Object.keys(requests.value.type === "vector" ? requests.value.values : {}) : []).toEqual([
      "up/on",
      "up/off",
    ]);
    expect(requests.ok ? requests.detail : "").toMatch(/^left out: down: /);
  });
});
