#!/usr/bin/env node
// Dependency-free launcher: `npx airlock` runs this file directly, so npm's
// pre-scripts never run. It installs node_modules when they are missing or
// older than the lock file, then starts the TypeScript CLI through tsx.
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ensureDeps } from "../scripts/ensure-deps.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
ensureDeps(root);
const { register } = await import(
  pathToFileURL(join(root, "node_modules", "tsx", "dist", "esm", "api", "index.mjs")).href
);
register();
const { applyHeapPolicy } = await import(pathToFileURL(join(root, "src", "cli", "heap-policy.ts")).href);
applyHeapPolicy();
const { main } = await import(pathToFileURL(join(root, "src", "cli", "main.ts")).href);
process.exitCode = await main(process.argv.slice(2));
