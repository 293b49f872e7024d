/** True when an abort reason is a deadline (`AbortSignal.timeout`) rather than a cancellation. Pure. */
export function isTimeoutReason(reason: unknown): boolean {
  return reason instanceof Error && reason.name === "TimeoutError";
}
