/**
 * The contract every sensor kind must pass, as a vitest suite. Each kind's
 * test file calls {@link describeSensorContract} with a setup that can build
 * a succeeding sensor, a sensor for each failure mode it can provoke, and a
 * sensor whose read only ends when aborted.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Reading, Sensor } from "./sensor.ts";

/** What a kind's test provides to the contract suite. */
export interface SensorContractFixture {
  /** A sensor whose reads succeed. */
  succeeding(): Sensor;
  /** One sensor per failure mode the setup can provoke, with the code its reading must carry. */
  readonly failures: readonly { readonly code: string; create(): Sensor }[];
  /** A sensor whose read does not finish on its own (only an abort ends it). */
  hanging(): Sensor;
  /** Secret values the sensors were configured with; no failure message may contain one. */
  readonly secrets: readonly string[];
  /** Stops servers, removes temp files. */
  cleanup?(): Promise<void>;
}

const NOW_MS = 1_700_000_000_000;

/** Registers the contract suite for one sensor kind. `setup` runs once, before the tests. */
export function describeSensorContract(name: string, setup: () => Promise<SensorContractFixture>): void {
  describe(`sensor contract: ${name}`, () => {
    let fixture: SensorContractFixture;
    const sensors: Sensor[] = [];
    const track = (sensor: Sensor): Sensor => {
      sensors.push(sensor);
      return sensor;
    };

    beforeAll(async () => {
      fixture = await setup();
    });
    afterAll(async () => {
      await Promise.all(sensors.map((sensor) => sensor.close?.()));
      await fixture?.cleanup?.();
    });

    it("returns a successful reading with a value and its observation time", async () => {
      const reading = await readOnce(track(fixture.succeeding()));
      expect(reading.ok, describeReading(reading)).toBe(true);
      expect(Number.isFinite(reading.observedAtMs)).toBe(true);
    });

    it("returns a failed reading with a code, never a rejection, for every failure mode", async () => {
      expect(fixture.failures.length).toBeGreaterThan(0);
      for (const failure of fixture.failures) {
        const reading = await readOnce(track(failure.create()));
        expect(reading, `failure mode ${failure.code}`).toMatchObject({ ok: false, code: failure.code });
        expect(Number.isFinite(reading.observedAtMs), `observedAtMs for ${failure.code}`).toBe(true);
      }
    });

    it("never puts a secret in a failure message", async () => {
      for (const failure of fixture.failures) {
        const reading = await readOnce(track(failure.create()));
        const message = reading.ok ? "" : reading.message;
        for (const secret of fixture.secrets) expect(message, `message of ${failure.code}`).not.toContain(secret);
      }
    });

    it("resolves with an error reading when the signal aborts during a read", async () => {
      const controller = new AbortController();
      const pending = track(fixture.hanging()).read({ nowMs: NOW_MS, signal: controller.signal });
      setImmediate(() => controller.abort());
      const reading = await pending;
      expect(reading.ok).toBe(false);
      expect(Number.isFinite(reading.observedAtMs)).toBe(true);
    });

    it("resolves with an error reading when the signal has already aborted", async () => {
      const reading = await track(fixture.succeeding()).read({ nowMs: NOW_MS, signal: AbortSignal.abort() });
      expect(reading).toMatchObject({ ok: false, code: "aborted" });
    });

    it("reports a passed read deadline as a timeout", async () => {
      const controller = new AbortController();
      const pending = track(fixture.hanging()).read({ nowMs: NOW_MS, signal: controller.signal });
      setImmediate(() => controller.abort(new DOMException("deadline", "TimeoutError")));
      expect(await pending).toMatchObject({ ok: false, code: "timeout" });
    });

    it("can be closed twice", async () => {
      const sensor = fixture.succeeding();
      await readOnce(sensor);
      await sensor.close?.();
      await expect(sensor.close?.()).resolves.toBeUndefined();
    });
  });
}

function readOnce(sensor: Sensor): Promise<Reading> {
  return sensor.read({ nowMs: NOW_MS, signal: new AbortController().signal });
}

function describeReading(reading: Reading): string {
  return reading.ok ? "ok" : `${reading.code}: ${reading.message}`;
}
