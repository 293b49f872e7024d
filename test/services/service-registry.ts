import { afterAll, afterEach, TestRunner } from "vitest";

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
const hooked = new WeakSet<object>();

/**
 * Records a started service so that it is stopped even when a test throws:
 * by {@link stopAllServices} (an `afterAll` hook that `requireService`
 * registers) and, as a last resort, by a process `exit`/signal handler.
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

/** The logs of every running service, each under a header with its name. */
export function liveServiceLogs(): string {
  return [...live].map((service) => formatLogs(service.name, service.logs())).join("\n");
}

/** A service's log under a banner, trimmed to its last `maxChars` characters. */
export function formatLogs(name: string, logs: string, maxChars = 20_000): string {
  const tail = logs.length > maxChars ? `…${logs.slice(-maxChars)}` : logs;
  return `----- ${name} log -----\n${tail.trimEnd() || "(empty)"}\n----- end of ${name} log -----`;
}

/**
 * Registers the hooks of a test file that uses services: stop them all after
 * the file (or `describe`) and, when a test fails, print the logs of every
 * service still running. Registers once per suite however often it is
 * called. `requireService` calls it; call it directly in a file that starts
 * services without `requireService`.
 */
export function useServiceHooks(): void {
  const suite = TestRunner.getCurrentSuite();
  if (hooked.has(suite)) return;
  hooked.add(suite);
  afterEach((context) => {
    if (context.task.result?.state === "fail" && live.size > 0) {
      console.error(`\n${context.task.name} failed; service logs follow\n${liveServiceLogs()}`);
    }
  });
  afterAll(stopAllServices);
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
