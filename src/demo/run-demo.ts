/**
 * `airlock demo`: the embedded default end to end (ARCHITECTURE.md §11).
 * Starts 3 legacy and 3 candidate sample-service processes, a router (the
 * built-in one as a process, or HAProxy), a latency monitor, a SQLite store
 * and `airlock serve` in-process (controller, API, dashboard), puts an
 * open-loop load on the router, and runs the good and/or bad release through
 * the controller. Everything it started is stopped in `finally`, and killed
 * by an `exit` handler should the process end abruptly.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TokenSet } from "../api/auth.ts";
import { type RunningServer, startServer } from "../api/start-server.ts";
import type { LoadedPlan } from "../cli/load-plan.ts";
import type { Output } from "../cli/output.ts";
import { formatEvent } from "../cli/render.ts";
import { holderId } from "../cli/run-operation.ts";
import { builtinRegistries } from "../cli/wiring.ts";
import { type LoadGenerator, startLoadGenerator } from "../sample/load-generator.ts";
import { openStore } from "../store/open.ts";
import type { Store, StoredEvent } from "../store/store.ts";
import { type DemoRouter, type DemoRouterKind, startBuiltinRouterProcess } from "./demo-router.ts";
import { type DemoSummary, renderSummary, type ScenarioName, type ScenarioReport } from "./demo-summary.ts";
import { startHaproxyProcess } from "./haproxy-process.ts";
import { type LatencyMonitor, startLatencyMonitor } from "./latency-monitor.ts";
import { demoPlanText, runScenario, type ScenarioContext } from "./run-scenario.ts";
import { type SampleFleet, startSampleFleet } from "./sample-fleet.ts";

/** What `airlock demo` was asked to do. */
export interface DemoOptions {
  readonly scenarios: readonly ScenarioName[];
  readonly router: DemoRouterKind;
  readonly json: boolean;
  readonly printPlan: boolean;
  /** Open-loop load on the router, requests per second. */
  readonly ratePerSecond: number;
  /** Minimum observation time per stage, in ms. */
  readonly bakeMs: number;
  /** Keep the fleet and the dashboard up after the summary, until `signal` aborts. */
  readonly keepOpen: boolean;
  readonly out: Output;
  /** Ctrl-C: stop, clean up, report what ran. */
  readonly signal: AbortSignal;
}

/** The summary, and whether the demo showed what it promises. */
export interface DemoResult {
  readonly summary: DemoSummary;
  /** Good release completed without a failed request; bad release rolled back. */
  readonly asExpected: boolean;
  readonly interrupted: boolean;
}

/** Everything running, stopped in reverse order. */
class Resources {
  readonly #stops: (() => Promise<void>)[] = [];
  readonly #kills: (() => void)[] = [];
  readonly #onExit = (): void => {
    for (const kill of this.#kills) kill();
  };

  constructor() {
    process.on("exit", this.#onExit);
  }

  add<T>(resource: T, stop: (resource: T) => Promise<void>, kill?: (resource: T) => void): T {
    this.#stops.push(() => stop(resource));
    if (kill !== undefined) this.#kills.push(() => kill(resource));
    return resource;
  }

  async stopAll(): Promise<void> {
    for (const stop of this.#stops.reverse()) await stop().catch(() => {});
    process.off("exit", this.#onExit);
  }
}

/** Was the scenario's promise kept? */
function expected(report: ScenarioReport): boolean {
  return report.scenario === "good"
    ? report.outcome === "completed" && report.failedRequests === 0
    : report.outcome === "rolled_back";
}

/** Requests each node serves before the demo starts (see `SampleFleet.warmUp`). */
const WARM_UP_REQUESTS_PER_NODE = 200;

/** Runs the demo. Throws only when something could not start (after cleaning up). */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const { out } = options;
  const note = (text: string): void => (options.json ? out.error(text) : out.line(text));
  const startedAtMs = Date.now();
  const dir = mkdtempSync(join(tmpdir(), "airlock-demo-"));
  const resources = new Resources();
  resources.add(dir, async (path) => rmSync(path, { recursive: true, force: true }));
  const restoreEnv: [string, string | undefined][] = [];
  const reports: ScenarioReport[] = [];
  let dashboardUrl: string | null = null;
  let router: DemoRouter | undefined;
  let fleet: SampleFleet | undefined;
  try {
    note(`starting 3 legacy (v1) and 3 candidate (v2) sample-service processes and the ${options.router} router ...`);
    fleet = resources.add(
      await startSampleFleet({ legacy: 3, candidate: 3, latencyMs: { median: 5, p99: 25 } }),
      (f) => f.stop(),
      (f) => f.killNow(),
    );
    await fleet.warmUp(WARM_UP_REQUESTS_PER_NODE);
    const nodes = fleet.nodes;
    router = resources.add(
      options.router === "haproxy" ? await startHaproxyProcess(nodes, dir) : await startBuiltinRouterProcess(nodes),
      (r) => r.stop(),
      (r) => r.killNow(),
    );
    for (const [name, value] of Object.entries(router.controllerEnv)) {
      restoreEnv.push([name, process.env[name]]);
      process.env[name] = value;
    }
    const monitor: LatencyMonitor = resources.add(await startLatencyMonitor({ nodes }), (m) => m.close());
    const store = resources.add(await openDemoStore(dir), (s) => s.close());
    const server = resources.add(await startDemoServer(store, note), (s) => s.stop());
    dashboardUrl = `${server.url}/`;
    note(`dashboard: ${dashboardUrl}  (live stages, gates, drain gauges, per-node error heat map)`);
    note(`router ${router.url} → ${nodes.map((node) => `${node.name} ${node.address}`).join(", ")}; plans in ${dir}`);

    const load: LoadGenerator = resources.add(
      startLoadGenerator({
        url: router.url,
        ratePerSecond: options.ratePerSecond,
        durationMs: 3_600_000,
        phase: "warm-up",
      }),
      async (generator) => {
        await generator.stop();
      },
    );
    note(`load generator: ${options.ratePerSecond} requests/s, open loop, through the router`);
    const ctx: ScenarioContext = {
      store,
      registries: builtinRegistries(),
      dir,
      fleet,
      router,
      load,
      latencyUrl: monitor.url,
      resetLatency: (cohort) => monitor.reset(cohort),
      bakeMs: options.bakeMs,
      signal: options.signal,
      onEvent: (scenario, event, loaded) => printEvent(options, scenario, event, loaded),
      onStatus: (text) => out.status(text),
      note,
    };
    if (options.printPlan) {
      note(`--- the plan (${join(dir, "demo-<scenario>.yaml")}) ---`);
      for (const line of demoPlanText(ctx, options.scenarios[0] ?? "good")
        .trimEnd()
        .split("\n"))
        note(line);
      note("---");
    }
    for (const scenario of options.scenarios) {
      if (options.signal.aborted) break;
      reports.push(await runScenario(ctx, scenario));
    }
    await load.stop();
    const summary: DemoSummary = {
      router: options.router,
      ratePerSecond: options.ratePerSecond,
      dashboardUrl,
      totalMs: Date.now() - startedAtMs,
      scenarios: reports,
    };
    if (options.json) out.line(JSON.stringify(summary));
    else for (const line of renderSummary(summary)) out.line(line);
    if (options.keepOpen && !options.signal.aborted) {
      note(`the fleet and the dashboard stay up at ${dashboardUrl}; Ctrl-C to stop`);
      await new Promise((resolve) => options.signal.addEventListener("abort", resolve, { once: true }));
    }
    return {
      summary,
      asExpected: reports.length === options.scenarios.length && reports.every(expected),
      interrupted: options.signal.aborted,
    };
  } catch (error) {
    out.error(`airlock demo: ${error instanceof Error ? error.message : String(error)}`);
    if (router !== undefined) out.error(`router output (tail):\n${router.logs().slice(-2000)}`);
    if (fleet !== undefined) out.error(`fleet output (tail):\n${fleet.logs().slice(-2000)}`);
    throw error;
  } finally {
    await resources.stopAll();
    for (const [name, value] of restoreEnv) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

function printEvent(options: DemoOptions, scenario: ScenarioName, event: StoredEvent, loaded: LoadedPlan): void {
  if (options.json)
    options.out.line(
      JSON.stringify({ scenario, event: event.type, seq: event.seq, atMs: event.atMs, data: event.data }),
    );
  else options.out.line(`[${scenario}] ${formatEvent(event, loaded.plan)}`);
}

async function openDemoStore(dir: string): Promise<Store> {
  const opened = await openStore(`sqlite:${join(dir, "airlock.db")}`);
  if (!opened.ok) throw new Error(opened.message);
  await opened.value.migrate();
  return opened.value;
}

/**
 * `airlock serve` in-process: the controller that runs the demo's operations,
 * the API and the dashboard, readable without a token on loopback. Mutations
 * need an admin token that is generated and never shown: the demo is watched,
 * not steered.
 */
async function startDemoServer(store: Store, log: (line: string) => void): Promise<RunningServer> {
  const tokens = TokenSet.build([{ name: "demo", role: "admin", token: randomBytes(24).toString("hex") }]);
  if (!tokens.ok) throw new Error(tokens.message);
  return startServer({
    store,
    registries: builtinRegistries(),
    access: { tokens: tokens.value, publicRead: true, publicMetrics: true },
    planPolicy: { allowUrlPrefixes: [], allowEnv: [] },
    host: "127.0.0.1",
    port: 0,
    holder: holderId(),
    freezeTtlMs: 10_000,
    leaseTtlMs: 5_000,
    pollMs: 50,
    log: (line) => log(`airlock serve: ${line}`),
  });
}
