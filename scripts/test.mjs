// `npm test`: installs node modules if needed, then lint, typecheck and every
// test (unit, contract, property, crash, real-service e2e). Real services that
// are missing are reported loudly; with CI=true they fail the run.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureDeps } from "./ensure-deps.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
ensureDeps(root);
const bin = (name) => join(root, "node_modules", ".bin", name);
const resultsFile = join(root, "test-artifacts", "vitest.json");
const steps = [
  ["lint", bin("biome"), ["check", "."]],
  ["typecheck", bin("tsc"), ["--noEmit", "-p", "tsconfig.json"]],
  [
    "tests",
    bin("vitest"),
    ["run", "--reporter=default", "--reporter=json", `--outputFile.json=${resultsFile}`, ...process.argv.slice(2)],
  ],
];
for (const [name, cmd, args] of steps) {
  process.stdout.write(`\n== ${name}: ${[cmd.replace(`${root}/`, ""), ...args].join(" ")}\n`);
  const result = spawnSync(cmd, args, { cwd: root, stdio: "inherit" });
  if (name === "tests") printTotals();
  if (result.status !== 0) {
    process.stdout.write(`\n== ${name} failed (exit ${result.status ?? result.signal})\n`);
    process.exit(result.status ?? 1);
  }
}

/** The plain closing line CI reads: "tests: N passed, N failed, N skipped". */
function printTotals() {
  try {
    const totals = JSON.parse(readFileSync(resultsFile, "utf8"));
    const skipped = (totals.numPendingTests ?? 0) + (totals.numTodoTests ?? 0);
    process.stdout.write(
      `\ntests: ${totals.numPassedTests} passed, ${totals.numFailedTests} failed, ${skipped} skipped\n`,
    );
  } catch {
    process.stdout.write("\ntests: no result file was written\n");
  }
}
