import { afterAll, afterEach, TestRunner } from "vitest";
import { liveServiceCount, liveServiceLogs, stopAllServices } from "./service-registry.ts";

const hooked = new WeakSet<object>();

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
    if (context.task.result?.state === "fail" && liveServiceCount() > 0) {
      console.error(`\n${context.task.name} failed; service logs follow\n${liveServiceLogs()}`);
    }
  });
  afterAll(stopAllServices);
}
