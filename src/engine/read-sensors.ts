/**
 * Reads a set of sensors concurrently under one shared deadline. Never
 * rejects: a sensor that throws (a bug) or is unknown yields a failed reading,
 * so the engine fails closed instead of crashing.
 *
 * One controller and one timer per call, cleared when the reads are done:
 * a timeout signal per read would leave thousands of live timers per tick in a
 * busy controller, each firing seconds later for nothing.
 */
import type { ReadContext, Reading, Sensor } from "../sensors/sensor.ts";

/** Reads `names` from `sensors` within `timeoutMs`; returns a reading per name. */
export async function readSensors(
  sensors: Readonly<Record<string, Sensor>>,
  names: readonly string[],
  nowMs: () => number,
  timeoutMs: number,
  stage: Pick<ReadContext, "stageAppliedAtMs" | "stageAction">,
): Promise<Record<string, Reading>> {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new DOMException("sensor read timed out", "TimeoutError")), timeoutMs);
  const signal = deadline.signal;
  try {
    const entries = await Promise.all(names.map((name) => readOne(sensors, name, nowMs, signal, stage)));
    return Object.fromEntries(entries);
  } finally {
    clearTimeout(timer);
  }
}

async function readOne(
  sensors: Readonly<Record<string, Sensor>>,
  name: string,
  nowMs: () => number,
  signal: AbortSignal,
  stage: Pick<ReadContext, "stageAppliedAtMs" | "stageAction">,
): Promise<[string, Reading]> {
  const sensor = sensors[name];
  if (sensor === undefined) {
    return [name, { ok: false, observedAtMs: nowMs(), code: "unknown-sensor", message: `no sensor named ${name}` }];
  }
  try {
    return [name, await sensor.read({ ...stage, nowMs: nowMs(), signal })];
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return [name, { ok: false, observedAtMs: nowMs(), code: "exception", message: `sensor ${name} threw: ${message}` }];
  }
}
