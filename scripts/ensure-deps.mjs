// Installs node_modules with `npm ci` when they are missing or were installed
// from another package-lock.json (compared by content hash, not mtime: git
// checkouts and npm's own rewrites make mtimes meaningless). Concurrent
// launches wait on an exclusive lock instead of running `npm ci` in parallel,
// which would delete each other's node_modules mid-build. Dependency-free:
// used by bin/airlock.js and scripts/test.mjs before anything from
// node_modules can be loaded.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const LOCK_STALE_MS = 15 * 60 * 1000;

function lockHash(root) {
  const lockFile = join(root, "package-lock.json");
  return existsSync(lockFile) ? createHash("sha256").update(readFileSync(lockFile)).digest("hex") : "none";
}

function installed(root, hash) {
  if (!existsSync(join(root, "node_modules", ".package-lock.json"))) return false;
  const stamp = join(root, "node_modules", ".airlock-lock-hash");
  if (!existsSync(stamp)) {
    writeFileSync(stamp, hash); // installed before stamps existed: adopt it
    return true;
  }
  return readFileSync(stamp, "utf8").trim() === hash;
}

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function takeLock(lockDir) {
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, "pid"), String(process.pid));
      return;
    } catch (error) {
      if (error.code !== "EEXIST") throw error;
      let holder = Number.NaN;
      try {
        holder = Number(readFileSync(join(lockDir, "pid"), "utf8"));
      } catch {}
      const old = Date.now() - statSync(lockDir, { throwIfNoEntry: false })?.mtimeMs > LOCK_STALE_MS;
      if (old || (Number.isInteger(holder) && !pidAlive(holder))) rmSync(lockDir, { recursive: true, force: true });
      else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    }
  }
}

/** Runs `npm ci` in `root` if needed (waiting for a concurrent install); exits the process when it fails. */
export function ensureDeps(root) {
  const hash = lockHash(root);
  if (installed(root, hash)) return;
  const lockDir = join(root, ".airlock-install.lock");
  takeLock(lockDir);
  try {
    if (installed(root, hash)) return; // another process installed while we waited
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
    writeFileSync(join(root, "node_modules", ".airlock-lock-hash"), hash);
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}
