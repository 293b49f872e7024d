import { describe, expect, it } from "vitest";
import { describeTargetContract } from "../target.contract.ts";
import type { ActionRequest, ActionSpec } from "../target.ts";
import { createFakeTarget, fakeTargetDefinition } from "./fake-target.ts";

const actions: ActionSpec[] = [
  { type: "run", params: { weight: 10 } },
  { type: "run", params: { weight: 100 } },
];

describeTargetContract("fake", async () => ({
  create: () => createFakeTarget().target,
  actions,
  planRollback: (applied) => fakeTargetDefinition.rollback(applied, {}),
  checksFencingTokens: true,
  observesApplies: true,
  failures: [
    { name: "scripted retryable", retryable: true, create: () => failingOnFirst(true) },
    {
      name: "scripted permanent",
      retryable: false,
      code: "bad-config",
      create: () => failingOnFirst(false, "bad-config"),
    },
  ],
  secrets: [],
}));

function failingOnFirst(retryable: boolean, code?: string) {
  return createFakeTarget({ failures: [{ apply: 1, retryable, ...(code === undefined ? {} : { code }) }] }).target;
}

describe("fake target", () => {
  const request = (key: string, fencingToken = 1): ActionRequest => ({
    operationId: "op",
    stageName: "s",
    stageIndex: 0,
    action: actions[0] ?? { type: "run", params: {} },
    idempotencyKey: key,
    fencingToken,
    rollback: false,
    signal: new AbortController().signal,
  });

  it("records every call and applies each key once", async () => {
    const fake = createFakeTarget();
    await fake.target.apply(request("a"));
    await fake.target.apply(request("a"));
    await fake.target.apply(request("b", 2));
    await fake.target.apply(request("c", 1));
    expect(fake.calls().map((c) => [c.idempotencyKey, c.fencingToken, c.outcome])).toEqual([
      ["a", 1, "applied"],
      ["a", 1, "duplicate"],
      ["b", 2, "applied"],
      ["c", 1, "fenced"],
    ]);
    expect(fake.applied().map((c) => c.idempotencyKey)).toEqual(["a", "b"]);
  });

  it("accepts stale tokens when told not to check them", async () => {
    const fake = createFakeTarget({ rejectStaleTokens: false });
    await fake.target.apply(request("a", 5));
    expect(await fake.target.apply(request("b", 1))).toMatchObject({ ok: true });
  });

  it("fails the n-th apply as scripted, then lets the retry through", async () => {
    const fake = createFakeTarget();
    fake.failOnApply(2, { retryable: true });
    const results = [
      await fake.target.apply(request("a")),
      await fake.target.apply(request("b")),
      await fake.target.apply(request("b")),
    ];
    expect(results).toMatchObject([{ ok: true }, { ok: false, retryable: true }, { ok: true }]);
    expect(fake.applied().map((c) => c.idempotencyKey)).toEqual(["a", "b"]);
  });

  it("reports drift until it is cleared, dated by the injected clock", async () => {
    const fake = createFakeTarget({ drift: "weight changed by hand" }, () => 42);
    const signal = new AbortController().signal;
    expect(await fake.target.observe(undefined, signal)).toMatchObject({
      value: { observedAtMs: 42, drift: "weight changed by hand", matches: "unknown" },
    });
    fake.setDrift(undefined);
    const observed = await fake.target.observe(undefined, signal);
    expect(observed.ok && "drift" in observed.value).toBe(false);
  });

  it("provides settable sensors that plans address as target.<name>", async () => {
    const config = fakeTargetDefinition.config.parse({ sensors: { inflight: [{ value: 3 }] } });
    const fake = createFakeTarget(config);
    fake.sensor("inflight").push({ value: 0 });
    const sensor = fake.target.sensors().inflight;
    const read = () => sensor?.read({ nowMs: 0, signal: new AbortController().signal });
    expect([await read(), await read()]).toMatchObject([{ value: { value: 3 } }, { value: { value: 0 } }]);
    expect(fakeTargetDefinition.sensorNames(config)).toEqual(["inflight"]);
  });

  it("offers a definition that hands the engine this very instance", async () => {
    const fake = createFakeTarget();
    const created = fake.definition.create({}, { planDir: "." });
    await created.apply(request("via-definition"));
    expect(fake.applied().map((c) => c.idempotencyKey)).toEqual(["via-definition"]);
  });

  it("adds configured default gates to every stage", () => {
    expect(
      fakeTargetDefinition.defaultGates(actions[0] ?? { type: "run", params: {} }, { defaultGates: { bakeMs: 10 } }),
    ).toEqual({
      bakeMs: 10,
    });
  });
});
