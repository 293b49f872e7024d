import { resolveBinary, SERVICE_BINARIES, type ServiceName } from "./binaries.ts";
import { useServiceHooks } from "./service-hooks.ts";

/**
 * Declares that the tests described by `tests` need real services. Call it at
 * the top level of a test file (or in a `describe`) and skip on `false`:
 *
 * ```ts
 * const ready = requireService(["haproxy", "prometheus"], "prometheus sensor on real HAProxy");
 * describe.skipIf(!ready)("prometheus sensor on real HAProxy", () => { ... });
 * ```
 *
 * When every binary is present it returns `true` and registers the hooks that
 * stop all started services after the file and print their logs when a test
 * fails. When one is missing it prints a loud notice naming the services and
 * the tests that will not run and returns `false`; with `CI=true` it throws
 * instead, so a missing service fails the run.
 */
export function requireService(names: ServiceName | readonly ServiceName[], tests: string): boolean {
  const wanted: readonly ServiceName[] = typeof names === "string" ? [names] : names;
  const missing = wanted.filter((name) => resolveBinary(SERVICE_BINARIES[name]) === undefined);
  if (missing.length === 0) {
    useServiceHooks();
    return true;
  }
  const list = missing.map((name) => `${name} (${SERVICE_BINARIES[name]})`).join(", ");
  if (process.env.CI === "true") {
    throw new Error(`missing real services: ${list}; needed by "${tests}". Run scripts/install-test-deps.sh as root.`);
  }
  const bar = "!".repeat(78);
  console.warn(
    `\n${bar}\n!! SKIPPED: "${tests}"\n!! missing real services: ${list}\n!! install them with: sudo scripts/install-test-deps.sh  (with CI=true this is a failure)\n${bar}\n`,
  );
  return false;
}
