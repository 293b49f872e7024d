import { describe, expect, it } from "vitest";
import { describeSensorContract } from "../sensor.contract.ts";
import type { Reading, Sensor } from "../sensor.ts";
import { createFakeSensor, fakeSensorDefinition } from "./fake-sensor.ts";

const NOW_MS = 1_700_000_000_000;

describeSensorContract("fake", async () => ({
  succeeding: () => createFakeSensor([{ value: 1 }]).sensor,
  hanging: () => createFakeSensor([{ hang: true }]).sensor,
  failures: [
    { code: "unreachable", create: () => createFakeSensor([{ error: "unreachable" }]).sensor },
    { code: "empty", create: () => createFakeSensor().sensor },
  ],
  secrets: [],
}));

describe("fake sensor", () => {
  const readAll = async (sensor: Sensor, count: number): Promise<Reading[]> => {
    const readings: Reading[] = [];
    for (let i = 0; i < count; i += 1) {
      readings.push(await sensor.read({ nowMs: NOW_MS + i, signal: new AbortController().signal }));
    }
    return readings;
  };

  it("plays a plan's script one step per read, then repeats the last step", async () => {
    const config = fakeSensorDefinition.config.parse({
      script: [{ value: 140 }, { error: "timeout" }, { values: { a: 0 }, labels: { a: { cohort: "legacy" } } }],
    });
    const readings = await readAll(fakeSensorDefinition.create(config, { planDir: "." }), 4);
    expect(readings).toMatchObject([
      { ok: true, value: { type: "scalar", value: 140 } },
      { ok: false, code: "timeout" },
      { ok: true, value: { type: "vector", values: { a: 0 }, labels: { a: { cohort: "legacy" } } } },
      { ok: true, value: { type: "vector", values: { a: 0 } } },
    ]);
  });

  it("dates a step observedAgoMs before the read's clock", async () => {
    const [reading] = await readAll(createFakeSensor([{ value: 1, observedAgoMs: 60_000 }]).sensor, 1);
    expect(reading?.observedAtMs).toBe(NOW_MS - 60_000);
  });

  it("serves pushed readings after the script, whole readings included", async () => {
    const fake = createFakeSensor([{ value: 1 }]);
    await readAll(fake.sensor, 2);
    const pushed: Reading = { ok: false, code: "stale", message: "old", observedAtMs: 5 };
    fake.push({ value: 2 });
    fake.push(pushed);
    const readings = await readAll(fake.sensor, 3);
    expect(readings).toMatchObject([{ value: { value: 2 } }, pushed, pushed]);
    expect(fake.readCount()).toBe(5);
  });

  it("rejects a script step that is neither value, values, error nor hang", () => {
    expect(fakeSensorDefinition.config.safeParse({ script: [{ valeu: 1 }] }).success).toBe(false);
    expect(fakeSensorDefinition.config.safeParse({ script: [] }).success).toBe(false);
  });
});
