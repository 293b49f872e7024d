/**
 * `npm run bench:cascade`: does the airlock prevent the cascade? The same
 * workload, fleet and actions under four strategies that differ only in
 * when they advance, on the real stack (PostgreSQL, HAProxy or the built-in
 * router, sample-service processes, open-loop load). See docs/benchmarks.md.
 *
 *   --reps N                 repetitions per strategy × release on HAProxy (default 3; the built-in router runs 1)
 *   --router haproxy|builtin|both   (default both)
 *   --strategies a,b         only these strategies
 *   --quick                  smoke run: airlock and naive, 1 rep, HAProxy, a shorter window, results in a temp dir
 *   --write-peers            write bench/peers.json from the workload and exit
 *   --render                 recompute medians, goals, the simulator comparison and the charts from bench/results/cascade.json
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startCascadePostgres } from "./cascade-postgres.ts";
import { compareWithSimulator } from "./compare.ts";
import { derivePeers, parsePeers, renderPeers } from "./peers-file.ts";
import { runOnce } from "./run-once.ts";
import { type RouterKind, type RunRecord, STRATEGIES, type Strategy } from "./run-record.ts";
import { simulateAll } from "./simulate.ts";
import { checkGoals, groupMedians, renderTable } from "./summary.ts";
import { renderChart } from "./svg-chart.ts";
import { appConnectionSlots, WORKLOAD } from "./workload.ts";

const PEERS_FILE = "bench/peers.json";
const QUICK_WINDOW_MS = 35_000;

const { values } = parseArgs({
  options: {
    reps: { type: "string", default: "3" },
    router: { type: "string", default: "both" },
    strategies: { type: "string" },
    quick: { type: "boolean", default: false },
    "write-peers": { type: "boolean", default: false },
    render: { type: "boolean", default: false },
  },
});

if (values["write-peers"]) {
  writeFileSync(PEERS_FILE, renderPeers(derivePeers(WORKLOAD)));
  console.log(`wrote ${PEERS_FILE}; commit it before any measured run`);
  process.exit(0);
}
const peersText = readFileSync(PEERS_FILE, "utf8");
const peers = parsePeers(peersText);
if (!peers.ok) throw new Error(peers.message);
if (peersText !== renderPeers(derivePeers(WORKLOAD))) {
  throw new Error(
    `${PEERS_FILE} does not match bench/cascade/workload.ts: the peers' settings are fixed before measuring`,
  );
}
const quick = values.quick;
const reps = quick ? 1 : Number(values.reps);
if (!Number.isInteger(reps) || reps < 1) throw new Error("--reps: expected an integer >= 1");
const routerFlag = quick ? "haproxy" : values.router;
if (!["haproxy", "builtin", "both"].includes(routerFlag)) throw new Error("--router: haproxy, builtin or both");
const strategies: Strategy[] = (
  values.strategies?.split(",") ?? (quick ? ["naive", "airlock"] : [...STRATEGIES])
).filter((s): s is Strategy => (STRATEGIES as readonly string[]).includes(s));
const plan: { router: RouterKind; reps: number }[] = [
  ...(routerFlag === "builtin" ? [] : [{ router: "haproxy" as const, reps }]),
  ...(routerFlag === "haproxy" ? [] : [{ router: "builtin" as const, reps: routerFlag === "both" ? 1 : reps }]),
];
const outDir = quick ? mkdtempSync(join(tmpdir(), "airlock-cascade-quick-")) : ".";
const resultsFile = join(outDir, quick ? "cascade.json" : "bench/results/cascade.json");
const imgDir = join(outDir, quick ? "" : "docs/img");
const windowMs = quick ? QUICK_WINDOW_MS : WORKLOAD.windowMs;
const runDir = mkdtempSync(join(tmpdir(), "airlock-cascade-"));
const peersCommit = gitOutput(["log", "-1", "--format=%H", "--", PEERS_FILE]);
const machine = {
  cpu: cpus()[0]?.model ?? "unknown",
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  loadAverageAtStart: loadavg(),
};
const startedAt = new Date().toISOString();
const runs: RunRecord[] = [];
const interrupt = new AbortController();
process.once("SIGINT", () => interrupt.abort());

/** With `--render`: the results file being re-rendered (its runs, machine and times are kept). */
const previous = values.render
  ? (JSON.parse(readFileSync(resultsFile, "utf8")) as Record<string, unknown> & { runs: RunRecord[] })
  : undefined;
runs.push(...(previous?.runs ?? []));
const postgres = previous === undefined ? await startCascadePostgres(WORKLOAD) : undefined;
try {
  for (const { router, reps: count } of plan)
    for (let rep = 0; rep < count; rep += 1)
      for (const release of ["good", "bad"] as const)
        for (const strategy of strategies) {
          if (interrupt.signal.aborted || postgres === undefined) break;
          const dir = join(runDir, `${router}-${release}-${strategy}-${rep}`);
          mkdirSync(dir);
          console.log(`[${new Date().toISOString()}] ${router} ${release} ${strategy} rep ${rep + 1}/${count} ...`);
          const record = await runOnce(
            { strategy, release, router, rep, windowMs },
            { workload: WORKLOAD, peers: peers.value, postgres, dir, signal: interrupt.signal, log: console.log },
          );
          runs.push(record);
          console.log(
            `  ${record.outcome} in ${record.durationS} s; failed ${record.failedRequests}/${record.requests} (${record.failedDuringRollout} during the rollout), p99 ${record.p99Ms} ms, peak DB ${record.peakDbConnections}, refused ${record.connectionRefused}${record.badNodeRequests === undefined ? "" : `, bad-node requests ${record.badNodeRequests}`}${record.message === undefined ? "" : ` (${record.message})`}`,
          );
          writeResults();
        }
} finally {
  await postgres?.stop();
  rmSync(runDir, { recursive: true, force: true });
}
writeResults(true);

function writeResults(final = false): void {
  const medians = groupMedians(runs);
  const goals = checkGoals(medians);
  const simulator = final ? compareWithSimulator(medians, simulateAll()) : undefined;
  mkdirSync(join(outDir, quick ? "" : "bench/results"), { recursive: true });
  writeFileSync(
    resultsFile,
    `${JSON.stringify(
      {
        command: `npm run bench:cascade -- ${process.argv.slice(2).join(" ")}`.trim(),
        startedAt,
        finishedAt: new Date().toISOString(),
        machine: { ...machine, loadAverageAtEnd: loadavg() },
        ...(previous === undefined ? {} : { ...previous, renderedAt: new Date().toISOString() }),
        loadAverage1mPerRun: runs.map((r) => r.loadAverage1m),
        workload: WORKLOAD,
        appConnectionSlots: appConnectionSlots(WORKLOAD),
        windowMs,
        peers: peers.ok ? peers.value : null,
        peersCommit,
        medians,
        goals,
        ...(simulator === undefined ? {} : { simulator }),
        runs,
      },
      null,
      2,
    )}\n`,
  );
  if (!final) return;
  for (const line of renderTable(medians, goals)) console.log(line);
  if (simulator !== undefined) for (const row of simulator) console.log(row.line);
  mkdirSync(imgDir, { recursive: true });
  for (const release of ["good", "bad"] as const) {
    const rows = strategies.flatMap((strategy) => {
      const run = runs.find((r) => r.strategy === strategy && r.release === release && r.router === "haproxy");
      return run === undefined ? [] : [{ label: strategy, series: run.series }];
    });
    if (rows.length === 0) continue;
    const file = join(imgDir, `cascade-${release}.svg`);
    writeFileSync(
      file,
      renderChart({
        title: `${release} release on HAProxy (first repetition of each strategy)`,
        rows,
        connectionLimit: appConnectionSlots(WORKLOAD),
      }),
    );
    console.log(`chart: ${file}`);
  }
  console.log(`results: ${resultsFile}`);
}

function gitOutput(args: readonly string[]): string | null {
  try {
    return execFileSync("git", [...args], { encoding: "utf8" }).trim() || null;
  } catch {
    return null;
  }
}
