import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { binaryPath } from "./binaries.ts";
import { freePort } from "./free-port.ts";
import { startProcess } from "./managed-process.ts";
import { type ServiceHandle, ServiceProcesses } from "./service-handle.ts";
import { waitUntil } from "./wait-until.ts";

/** Options of {@link startPrometheus}. */
export interface StartPrometheusOptions {
  /** Metrics URLs to scrape, e.g. `http://127.0.0.1:8404/metrics`; each becomes job `target-<i>`. */
  readonly scrapeTargets: readonly string[];
  /** Scrape (and rule evaluation) interval, default 1000 ms. */
  readonly scrapeIntervalMs?: number;
  /** Start-up deadline, default 15 000 ms. */
  readonly timeoutMs?: number;
}

/** A running Prometheus 2.42 on loopback. */
export interface PrometheusService extends ServiceHandle {
  /** Base URL, `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Job name of each scrape target, in `scrapeTargets` order (`target-0`, ...). */
  readonly jobs: readonly string[];
  /** Runs an instant query and returns `data.result`; throws on an HTTP or query error. */
  query(promql: string): Promise<unknown[]>;
  /** Waits until every target has been scraped successfully at least once (default deadline 10 000 ms). */
  waitForTargetsUp(timeoutMs?: number): Promise<void>;
}

/**
 * Starts Prometheus with its config and TSDB in a fresh temporary directory,
 * listening on a free loopback port, scraping `scrapeTargets`. Resolves once
 * `/-/ready` answers 200; throws with Prometheus' log when it does not.
 */
export async function startPrometheus(options: StartPrometheusOptions): Promise<PrometheusService> {
  const service = new ServiceProcesses("prometheus");
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const intervalMs = options.scrapeIntervalMs ?? 1000;
  const jobs = options.scrapeTargets.map((_, i) => `target-${i}`);
  const configPath = join(service.dir, "prometheus.yml");
  writeFileSync(configPath, renderConfig(options.scrapeTargets, jobs, intervalMs));

  const server = service.add(
    startProcess({
      name: "prometheus",
      command: binaryPath("prometheus"),
      args: [
        `--config.file=${configPath}`,
        `--storage.tsdb.path=${join(service.dir, "data")}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      cwd: service.dir,
    }),
  );
  const ready = async (): Promise<boolean> => (await fetch(`${url}/-/ready`)).ok;
  await service.starting(() =>
    waitUntil("prometheus /-/ready", ready, {
      timeoutMs: options.timeoutMs ?? 15_000,
      intervalMs: 100,
      abortWhen: () => (server.exitReason() === undefined ? undefined : `prometheus ${server.exitReason()}`),
    }),
  );

  const api = async (path: string): Promise<unknown> => {
    const response = await fetch(`${url}${path}`);
    const body = (await response.json()) as { status?: string; error?: string; data?: unknown };
    if (!response.ok || body.status !== "success")
      throw new Error(`prometheus ${path}: ${body.error ?? response.status}`);
    return body.data;
  };

  return {
    dir: service.dir,
    url,
    jobs,
    logs: () => service.logs(),
    stop: () => service.stop(),
    async query(promql) {
      const data = (await api(`/api/v1/query?query=${encodeURIComponent(promql)}`)) as { result?: unknown[] };
      return data.result ?? [];
    },
    waitForTargetsUp(timeoutMs = 10_000) {
      return waitUntil(
        "prometheus targets up",
        async () => {
          const data = (await api("/api/v1/targets?state=active")) as { activeTargets?: { health?: string }[] };
          const targets = data.activeTargets ?? [];
          return targets.length === jobs.length && targets.every((target) => target.health === "up");
        },
        { timeoutMs, intervalMs: 200 },
      );
    },
  };
}

function renderConfig(targets: readonly string[], jobs: readonly string[], intervalMs: number): string {
  const lines = [
    "global:",
    `  scrape_interval: ${intervalMs}ms`,
    `  evaluation_interval: ${intervalMs}ms`,
    "scrape_configs:",
  ];
  targets.forEach((target, i) => {
    const parsed = new URL(target);
    lines.push(
      `  - job_name: ${JSON.stringify(jobs[i])}`,
      `    scheme: ${parsed.protocol.replace(":", "")}`,
      `    metrics_path: ${JSON.stringify(parsed.pathname)}`,
      `    scrape_timeout: ${intervalMs}ms`,
      `    static_configs:`,
      `      - targets: [${JSON.stringify(parsed.host)}]`,
    );
  });
  return `${lines.join("\n")}\n`;
}
