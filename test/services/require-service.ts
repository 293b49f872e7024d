import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { useServiceHooks } from "./service-registry.ts";

/** The real services (and tools) that end-to-end tests may need. */
export type ServiceName = "haproxy" | "prometheus" | "postgres" | "redis" | "chromium" | "wrk";

/** The binary each service needs: a name looked up on PATH (plus the sbin dirs), or an absolute path. */
export const SERVICE_BINARIES: Readonly<Record<ServiceName, string>> = {
  haproxy: "haproxy",
  prometheus: "prometheus",
  postgres: "/usr/lib/postgresql/15/bin/postgres",
  redis: "redis-server",
  chromium: "chromium",
  wrk: "wrk",
};

// Debian installs haproxy in /usr/sbin, which a non-login PATH may lack.
const EXTRA_DIRS = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/** The absolute path of an executable `binary` (a name or a path), or `undefined` when absent. */
export function resolveBinary(binary: string): string | undefined {
  const candidates = binary.startsWith("/")
    ? [binary]
    : [...(process.env.PATH ?? "").split(delimiter), ...EXTRA_DIRS]
        .filter((dir) => dir !== "")
        .map((dir) => join(dir, binary));
  return candidates.find((path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Like {@link resolveBinary} but throws, naming the install script, when it is missing (for `start*` helpers). */
export function binaryPath(binary: string): string {
  const path = resolveBinary(binary);
  if (path === undefined) throw new Error(`${binary} is not installed; run scripts/install-test-deps.sh as root`);
  return path;
}

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
