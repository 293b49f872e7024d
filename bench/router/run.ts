/**
 * `npm run bench:router`: the built-in router's overhead against direct
 * connections to the same backend. Open loop at fixed rates (added p50/p99),
 * and closed-loop throughput with wrk (Debian's, when installed). The backend
 * and the router run as their own processes; the load comes from this one.
 * Direct and routed runs alternate, and the table shows medians.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { createInterface } from "node:readline";
import { startLoadGenerator } from "../../src/sample/load-generator.ts";

const RATES = [500, 2000];
const REPETITIONS = Number(process.env.BENCH_REPETITIONS ?? 3);
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 10_000);
const children: ChildProcess[] = [];

async function startProcess(script: string, args: readonly string[]): Promise<{ url: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", script, ...args], { stdio: ["ignore", "pipe", "inherit"] });
  children.push(child);
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  for await (const line of lines) {
    const parsed = JSON.parse(line) as { url?: string };
    if (parsed.url !== undefined) return { url: parsed.url };
  }
  throw new Error(`${script} exited before it was ready`);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function wrk(url: string): number | undefined {
  const run = spawnSync("wrk", ["-t2", "-c32", "-d5s", url], { encoding: "utf8" });
  const match = /Requests\/sec:\s+([0-9.]+)/.exec(run.stdout ?? "");
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

async function main(): Promise<void> {
  const backend = await startProcess("src/sample/main.ts", [
    "--name",
    "b1",
    "--version",
    "1",
    "--latency-median-ms",
    "1",
    "--latency-p99-ms",
    "3",
  ]);
  const router = await startProcess("src/router/main.ts", ["--server", `b1=${backend.url}@1`]);
  const targets = { direct: `${backend.url}/`, router: `${router.url}/` };
  const rows: { rate: number; path: string; p50Ms: number; p99Ms: number; failures: number }[] = [];
  for (const rate of RATES) {
    for (let rep = 0; rep < REPETITIONS; rep += 1) {
      for (const [path, url] of Object.entries(targets)) {
        const summary = await startLoadGenerator({ url, ratePerSecond: rate, durationMs: DURATION_MS }).done;
        rows.push({
          rate,
          path,
          p50Ms: summary.p50Ms ?? Number.NaN,
          p99Ms: summary.p99Ms ?? Number.NaN,
          failures: summary.failures,
        });
      }
    }
  }
  const table = RATES.map((rate) => {
    const of = (path: string, key: "p50Ms" | "p99Ms") =>
      median(rows.filter((r) => r.rate === rate && r.path === path).map((r) => r[key]));
    return {
      ratePerSecond: rate,
      directP50Ms: of("direct", "p50Ms"),
      routerP50Ms: of("router", "p50Ms"),
      addedP50Ms: of("router", "p50Ms") - of("direct", "p50Ms"),
      directP99Ms: of("direct", "p99Ms"),
      routerP99Ms: of("router", "p99Ms"),
      addedP99Ms: of("router", "p99Ms") - of("direct", "p99Ms"),
      failures: rows.filter((r) => r.rate === rate).reduce((sum, r) => sum + r.failures, 0),
    };
  });
  const throughput = { directRps: wrk(targets.direct), routerRps: wrk(targets.router) };
  const machine = {
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    node: process.version,
    loadAverage1m: loadavg()[0],
  };
  console.table(table);
  console.log(
    `wrk -t2 -c32 -d5s (closed loop): direct ${throughput.directRps ?? "n/a"} req/s, via router ${throughput.routerRps ?? "n/a"} req/s`,
  );
  mkdirSync("bench/results", { recursive: true });
  writeFileSync(
    "bench/results/router.json",
    `${JSON.stringify({ openLoop: table, closedLoop: throughput, repetitions: REPETITIONS, durationMs: DURATION_MS, machine, runs: rows }, null, 2)}\n`,
  );
}

try {
  await main();
} finally {
  for (const child of children) child.kill("SIGTERM");
  await Promise.all(children.map((c) => (c.exitCode === null ? once(c, "exit") : undefined)));
}
