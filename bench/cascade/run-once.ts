/**
 * One measured run: a fresh fleet (legacy nodes up, candidates not started)
 * behind a fresh router, an open-loop warm-up, then the strategy's rollout
 * under the same constant load, counted per second over a fixed window;
 * DB connections and router counters are sampled meanwhile. Everything the
 * run started is stopped before it returns.
 */
import { loadavg } from "node:os";
import { startBuiltinRouterProcess } from "../../src/demo/demo-router.ts";
import { startHaproxyProcess } from "../../src/demo/haproxy-process.ts";
import { startLoadGenerator } from "../../src/sample/load-generator.ts";
import { PG_PASSWORD_ENV } from "./cascade-plan.ts";
import type { CascadePostgres } from "./cascade-postgres.ts";
import { startFleetManager } from "./fleet-manager.ts";
import type { PeersFile } from "./peers-file.ts";
import {
  buildSeries,
  type CounterSample,
  counterBetween,
  type DbSample,
  type Release,
  type RouterKind,
  type RunRecord,
  type Strategy,
} from "./run-record.ts";
import { runStrategy } from "./run-strategy.ts";
import type { Workload } from "./workload.ts";

/** One run's parameters. */
export interface RunSpec {
  readonly strategy: Strategy;
  readonly release: Release;
  readonly router: RouterKind;
  readonly rep: number;
  readonly windowMs: number;
}

/** The shared parts every run uses. */
export interface RunEnvironment {
  readonly workload: Workload;
  readonly peers: PeersFile;
  readonly postgres: CascadePostgres;
  readonly dir: string;
  readonly signal: AbortSignal;
  readonly log: (line: string) => void;
}

const DB_SAMPLE_MS = 200;
const ROUTER_SAMPLE_MS = 250;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `spec` and measures it. */
export async function runOnce(spec: RunSpec, env: RunEnvironment): Promise<RunRecord> {
  const { workload, postgres } = env;
  const loadAverage1m = loadavg()[0] ?? 0;
  await postgres.resetConnections();
  const manager = await startFleetManager({
    workload,
    dbUrl: postgres.appUrl,
    terminationGraceMs: env.peers.naive.terminationGraceMs,
    ...(spec.release === "bad" ? { bad: { node: workload.badNode, errorRate: workload.badErrorRate } } : {}),
  });
  const stops: (() => Promise<void>)[] = [() => manager.stop()];
  const restoreEnv: [string, string | undefined][] = [];
  try {
    await Promise.all(manager.nodes.filter((n) => n.cohort === "legacy").map((n) => manager.start(n.name)));
    const router =
      spec.router === "haproxy"
        ? await startHaproxyProcess(manager.nodes, env.dir)
        : await startBuiltinRouterProcess(manager.nodes);
    stops.unshift(() => router.stop());
    for (const [name, value] of Object.entries({
      ...router.controllerEnv,
      [PG_PASSWORD_ENV]: postgres.superuserPassword,
    })) {
      restoreEnv.push([name, process.env[name]]);
      process.env[name] = value;
    }
    for (const node of manager.nodes.filter((n) => n.cohort === "candidate")) {
      const set = await router.driver.setState(node.name, "maint", AbortSignal.timeout(5000));
      if (!set.ok) throw new Error(`cannot put ${node.name} in maint: ${set.message}`);
    }
    await waitLegacyUp(
      router.driver,
      manager.nodes.filter((n) => n.cohort === "legacy").map((n) => n.name),
    );
    const loadOptions = {
      url: router.url,
      ratePerSecond: workload.ratePerSecond,
      timeoutMs: workload.requestTimeoutMs,
    };
    await startLoadGenerator({ ...loadOptions, durationMs: workload.warmUpMs, phase: "warm-up" }).done;

    const db: DbSample[] = [];
    const bad: CounterSample[] = [];
    const sampling = new AbortController();
    const samplers = [
      every(DB_SAMPLE_MS, sampling.signal, async () => {
        db.push({ atMs: Date.now(), connections: await postgres.appConnections() });
      }),
      every(ROUTER_SAMPLE_MS, sampling.signal, async () => {
        const servers = await router.driver.servers(AbortSignal.timeout(2000));
        const server = servers.ok ? servers.value.find((s) => s.name === workload.badNode) : undefined;
        if (server !== undefined) bad.push({ atMs: Date.now(), requestsTotal: server.requestsTotal });
      }),
    ];
    const refusedBefore = postgres.refusedTotal();
    const startMs = Date.now();
    const load = startLoadGenerator({ ...loadOptions, durationMs: 3_600_000, phase: "t0" });
    const phases = setInterval(() => load.setPhase(`t${Math.floor((Date.now() - startMs) / 1000)}`), 50);
    const ended = await runStrategy(spec.strategy, {
      workload,
      peers: env.peers,
      router,
      manager,
      postgresAddress: postgres.address,
      dir: env.dir,
      signal: env.signal,
    });
    const endMs = Date.now();
    const rolloutSeconds = Math.ceil((endMs - startMs) / 1000);
    await sleep(Math.max(startMs + spec.windowMs, endMs + workload.tailMs) - Date.now());
    clearInterval(phases);
    const summary = await load.stop();
    const windowEndMs = Date.now();
    sampling.abort();
    await Promise.all(samplers);
    const seconds = Math.ceil((windowEndMs - startMs) / 1000);
    const series = buildSeries(startMs, seconds, (s) => summary.byPhase[`t${s}`], db);
    const failedDuringRollout = Object.entries(summary.byPhase)
      .filter(([phase]) => Number(phase.slice(1)) < rolloutSeconds)
      .reduce((sum, [, counts]) => sum + counts.failures, 0);
    return {
      ...spec,
      outcome: ended.outcome,
      failedRequests: summary.failures,
      failedDuringRollout,
      requests: summary.requests,
      failuresByReason: summary.failuresByReason,
      p99Ms: summary.p99Ms,
      peakDbConnections: Math.max(0, ...db.map((d) => d.connections)),
      connectionRefused: postgres.refusedTotal() - refusedBefore,
      // From the rollout's own start: Airlock's process start-up is not rollout time.
      durationS: Math.round((endMs - Math.max(startMs, ended.startedAtMs ?? startMs)) / 100) / 10,
      ...(spec.release === "bad"
        ? { badNodeRequests: counterBetween(bad, startMs, ended.stoppedAtMs ?? windowEndMs) }
        : {}),
      ...(ended.stoppedAtMs === undefined ? {} : { stoppedAtS: Math.round((ended.stoppedAtMs - startMs) / 100) / 10 }),
      ...(ended.message === undefined ? {} : { message: ended.message }),
      loadAverage1m,
      series,
    };
  } finally {
    for (const stop of stops) await stop().catch(() => {});
    for (const [name, value] of restoreEnv) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

async function waitLegacyUp(
  driver: Awaited<ReturnType<typeof startHaproxyProcess>>["driver"],
  legacy: readonly string[],
): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const servers = await driver.servers(AbortSignal.timeout(2000));
    if (servers.ok && legacy.every((name) => servers.value.find((s) => s.name === name)?.status === "UP")) return;
    await sleep(100);
  }
  throw new Error("the legacy nodes did not come UP at the router");
}

/** Runs `body` every `intervalMs` until `signal` aborts; errors skip a sample. */
async function every(intervalMs: number, signal: AbortSignal, body: () => Promise<void>): Promise<void> {
  while (!signal.aborted) {
    await body().catch(() => {});
    await sleep(intervalMs);
  }
}
