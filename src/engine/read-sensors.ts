/**
 * Reads a set of sensors concurrently under one shared deadline. Never
 * rejects: a sensor that throws (a bug) or is unknown yields a failed reading,
 * so the engine fails closed instead of crashing.
 *
 * One controller and one timer per call, cleared when the reads are done:
 * a timeout signal per read would leave thousands of live timers per tick in a
 * busy controller, each firing seconds later for nothing. Every read of a call
 * shares one context object and no read gets an async wrapper of its own: a
 * controller ticking a thousand operations makes twenty thousand reads a
 * second, and what each read allocates is garbage the process must collect.
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
  const ctx: ReadContext = { ...stage, nowMs: nowMs(), signal: deadline.signal };
  const reads: Promise<Reading>[] = [];
  for (const name of names) {
    const sensor = sensors[name];
    if (sensor === undefined) {
      reads.push(
        Promise.resolve({
          ok: false,
          observedAtMs: nowMs(),
          code: "unknown-sensor",
          message: `no sensor named ${name}`,
        }),
      );
      continue;
    }
    try {
      reads.push(sensor.read(ctx));
    } catch (error) {
      reads.push(Promise.resolve(threw(name, error, nowMs())));
    }
  }
  let values: readonly Reading[];
  try {
    values = await Promise.all(reads);
  } catch {
    // A sensor rejected (a bug: failures are readings). Rare, so only then is each read looked at alone.
    const settled = await Promise.allSettled(reads);
    values = settled.map((outcome, i) =>
      outcome.status === "fulfilled" ? outcome.value : threw(names[i] ?? "?", outcome.reason, nowMs()),
    );
  } finally {
    clearTimeout(timer);
  }
  const readings: Record<string, Reading> = {};
  for (let i = 0; i < names.length; i += 1) {
    const name = names[i];
    const value = values[i];
    if (name !== undefined && value !== undefined) readings[name] = value;
  }
  return readings;
}

function threw(name: string, error: unknown, observedAtMs: number): Reading {
  const message = error instanceof Error ? error.message : String(error);
  return { ok: false, observedAtMs, code: "exception", message: `sensor ${name} threw: ${message}` };
}
