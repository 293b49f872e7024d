/**
 * Polls `check` every `intervalMs` until it returns true, for at most
 * `timeoutMs`; rejects with a message naming `what` (and the last error the
 * check threw) when the time is up or `abortWhen` reports a reason first
 * (e.g. "the process exited").
 */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean> | boolean,
  options: { timeoutMs: number; intervalMs?: number; abortWhen?: () => string | undefined },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError = "";
  for (;;) {
    const reason = options.abortWhen?.();
    if (reason !== undefined) throw new Error(`${what}: ${reason}`);
    try {
      if (await check()) return;
      lastError = "";
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `${what}: not ready after ${options.timeoutMs} ms${lastError ? ` (last error: ${lastError})` : ""}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
  }
}
