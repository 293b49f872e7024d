// Installs node_modules with `npm ci` when they are missing or older than the
// lock file. Dependency-free: used by bin/airlock.js and scripts/test.mjs
// before anything from node_modules can be loaded.
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";

/** Runs `npm ci` in `root` if needed; exits the process when it fails. */
export function ensureDeps(root) {
  const lockFile = join(root, "package-lock.json");
  const marker = join(root, "node_modules", ".package-lock.json");
  const stale = !existsSync(marker) || (existsSync(lockFile) && statSync(marker).mtimeMs < statSync(lockFile).mtimeMs);
  if (!stale) return;
  process.stderr.write("airlock: installing dependencies (npm ci)...\n");
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const result = spawnSync(npm, ["ci", "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd: root,
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (result.status !== 0) {
    process.stderr.write(`airlock: npm ci failed; run it by hand in ${root}\n`);
    process.exit(1);
  }
}
