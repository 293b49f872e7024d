/**
 * Process entry of the built-in router: `tsx src/router/main.ts --server v1-a=http://127.0.0.1:8081@100 ...`
 * (options in `router-cli-options.ts`). Prints one JSON line
 * `{"event":"router-started","url":...,"adminUrl":...,"pid":...}` when ready,
 * and shuts down gracefully (in-flight requests get 10 s) on SIGTERM or SIGINT.
 */
import { readFileSync } from "node:fs";
import { parseRouterArgs } from "./router-cli-options.ts";
import { startRouter } from "./start-router.ts";

const SHUTDOWN_GRACE_MS = 10_000;

const parsed = parseRouterArgs(process.argv.slice(2), process.env, (path) => readFileSync(path, "utf8"));
if (!parsed.ok) {
  process.stderr.write(`router: ${parsed.message}\n`);
  process.exit(2);
}
try {
  const router = await startRouter(parsed.value);
  process.stdout.write(
    `${JSON.stringify({ event: "router-started", url: router.url, adminUrl: router.adminUrl, pid: process.pid })}\n`,
  );
  const stop = (): void => {
    void router.close({ graceMs: SHUTDOWN_GRACE_MS }).then(() => process.exit(0));
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
} catch (error) {
  process.stderr.write(`router: cannot start: ${(error as Error).message}\n`);
  process.exit(1);
}
