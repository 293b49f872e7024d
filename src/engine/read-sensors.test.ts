import { describe, expect, it } from "vitest";
import type { Reading, Sensor } from "../sensors/sensor.ts";
import { readSensors } from "./read-sensors.ts";

const scalar = (value: number): Sensor => ({
  read: async (ctx) => ({ ok: true, observedAtMs: ctx.nowMs, value: { type: "scalar", value } }),
});

describe("readSensors", () => {
  it("fails closed on unknown, throwing and rejecting sensors and still returns every other reading, in order", async () => {
    const sensors: Record<string, Sensor> = {
      good: scalar(7),
      throws: {
        read: () => {
          throw new Error("sync bug");
        },
      },
      rejects: { read: async () => Promise.reject(new Error("async bug")) },
      late: scalar(9),
    };
    const readings = await readSensors(
      sensors,
      ["good", "throws", "missing", "rejects", "late"],
      () => 1_000,
      5_000,
      {},
    );
    expect(Object.keys(readings)).toEqual(["good", "throws", "missing", "rejects", "late"]);
    expect(readings.good).toEqual({ ok: true, observedAtMs: 1_000, value: { type: "scalar", value: 7 } });
    expect(readings.late).toMatchObject({ ok: true, value: { value: 9 } });
    const failure = (reading: Reading | undefined) => (reading?.ok === false ? reading.code : "ok");
    expect([failure(readings.throws), failure(readings.missing), failure(readings.rejects)]).toEqual([
      "exception",
      "unknown-sensor",
      "exception",
    ]);
    expect(readings.rejects).toMatchObject({ message: "sensor rejects threw: async bug" });
  });

  it("aborts the shared signal when the deadline passes, so a slow sensor yields a failed reading", async () => {
    const slow: Sensor = {
      read: (ctx) =>
        new Promise<Reading>((resolve) => {
          ctx.signal.addEventListener("abort", () =>
            resolve({ ok: false, observedAtMs: ctx.nowMs, code: "timeout", message: String(ctx.signal.reason) }),
          );
        }),
    };
    const readings = await readSensors({ slow }, ["slow"], () => 0, 10, {});
    expect(readings.slow).toMatchObject({ ok: false, code: "timeout" });
  });
});
