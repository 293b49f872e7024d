/**
 * Reads a set of sensors concurrently, each with its own deadline. Never
 * rejects: a sensor that throws (a bug) or is unknown yields a failed reading,
 * so the engine fails closed instead of crashing.
 */
import type { ReadContext, Reading, Sensor } from "../sensors/sensor.ts";

/** Reads `names` from `sensors` within `timeoutMs` each; returns a reading per name. */
export async function readSensors(
  sensors: Readonly<Record<string, Sensor>>,
  names: readonly string[],
  nowMs: () => number,
  timeoutMs: number,
  stage: Pick<ReadContext, "stageAppliedAtMs" | "stageAction">,
): Promise<Record<string, Reading>> {
  const entries = await Promise.all(
    names.map(async (name): Promise<[string, Reading]> => {
      const sensor = sensors[name];
      if (sensor === undefined) {
        return [name, { ok: false, observedAtMs: nowMs(), code: "unknown-sensor", message: `no sensor named ${name}` }];
      }
      const signal = AbortSignal.timeout(timeoutMs);
      try {
        return [name, await sensor.read({ ...stage, nowMs: nowMs(), signal })];
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        return [
          name,
          { ok: false, observedAtMs: nowMs(), code: "exception", message: `sensor ${name} threw: ${message}` },
        ];
      }
    }),
  );
  return Object.fromEntries(entries);
}
