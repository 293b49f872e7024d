import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

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
