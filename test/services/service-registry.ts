/** What the registry needs from a started service. */
export interface RegisteredService {
  /** e.g. `haproxy`, `postgres`, `redis` — used in log headers. */
  readonly name: string;
  logs(): string;
  /** Graceful stop; idempotent. */
  stop(): Promise<void>;
  /** Synchronous hard stop for the process `exit` handler; idempotent. */
  killNow(): void;
}

const live = new Set<RegisteredService>();
let exitHandlerInstalled = false;

/**
 * Records a started service so that it is stopped even when a test throws:
 * by {@link stopAllServices} (an `afterAll` hook that `useServiceHooks`
 * registers) and, as a last resort, by a process `exit`/signal handler.
 * Free of vitest, so scripts (benchmarks, demos) can start services too.
 */
export function trackService(service: RegisteredService): void {
  live.add(service);
  installExitHandler();
}

/** Forgets a service (its own `stop` calls this). Idempotent. */
export function untrackService(service: RegisteredService): void {
  live.delete(service);
}

/** Stops every service still running. Idempotent; never throws. */
export async function stopAllServices(): Promise<void> {
  await Promise.allSettled([...live].map((service) => service.stop()));
  live.clear();
}

/** How many services are running. */
export function liveServiceCount(): number {
  return live.size;
}

/** The logs of every running service, each under a header with its name. */
export function liveServiceLogs(): string {
  return [...live].map((service) => formatLogs(service.name, service.logs())).join("\n");
}

/** A service's log under a banner, trimmed to its last `maxChars` characters. */
export function formatLogs(name: string, logs: string, maxChars = 20_000): string {
  const tail = logs.length > maxChars ? `…${logs.slice(-maxChars)}` : logs;
  return `----- ${name} log -----\n${tail.trimEnd() || "(empty)"}\n----- end of ${name} log -----`;
}

function installExitHandler(): void {
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  const killAll = (): void => {
    for (const service of live) service.killNow();
    live.clear();
  };
  process.on("exit", killAll);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      killAll();
      // Re-raise with the default disposition so the process still ends by that signal.
      process.kill(process.pid, signal);
    });
  }
}
