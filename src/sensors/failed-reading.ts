/** Helpers for building failed readings (errors are data). */
import { isTimeoutReason } from "../util/is-timeout-reason.ts";
import type { Reading } from "./sensor.ts";

/** A failed reading. `message` must already be free of secrets. */
export function failedReading(code: string, message: string, observedAtMs: number): Reading {
  return { ok: false, code, message, observedAtMs };
}

/** The failed reading for an aborted read: `timeout` when the engine's deadline passed, else `aborted`. */
export function abortedReading(signal: AbortSignal, observedAtMs: number): Reading {
  return isTimeoutReason(signal.reason)
    ? failedReading("timeout", "read deadline passed", observedAtMs)
    : failedReading("aborted", "read aborted", observedAtMs);
}
