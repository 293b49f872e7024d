/**
 * The benchmark's process manager, standing in for an orchestrator: every
 * node has a fixed loopback port (so the routers know it before it runs);
 * legacy nodes start with the run, candidates only when provisioned (their
 * pools open then, not before). Hooks reach it over HTTP:
 * `POST /provision/{name}` starts the node and answers once it listens
 * (idempotent); `POST /terminate/{name}` answers at once and stops the node
 * the way a Kubernetes pod stops a graceful application: quiesce, let the
 * work in flight finish, exit; killed when the grace period ends first.
 */
import { fileURLToPath } from "node:url";
import { type DemoProcess, jsonEventLine, startDemoProcess, tsxArgs } from "../../src/demo/demo-process.ts";
import type { FleetNode } from "../../src/demo/sample-fleet.ts";
import {
  closedLocalPort,
  type LocalHttpServer,
  sendJson,
  startLocalHttpServer,
} from "../../src/util/local-http-server.ts";
import { nodeNamesOf, type Workload } from "./workload.ts";

const SAMPLE_ENTRY = fileURLToPath(new URL("../../src/sample/main.ts", import.meta.url));

/** How often a terminating node's drain report is polled, ms. */
const TERMINATE_POLL_MS = 100;

/** Options of one fleet. */
export interface FleetManagerOptions {
  readonly workload: Workload;
  /** The application's connection string (environment only: it holds a password). */
  readonly dbUrl: string;
  /** The node that runs the bad release, if any, and its error rate. */
  readonly bad?: { readonly node: string; readonly errorRate: number };
  /** Grace of `POST /terminate` (a peer's `terminationGracePeriod`), ms. */
  readonly terminationGraceMs: number;
}

/** A running fleet manager. */
export interface FleetManager {
  readonly nodes: readonly FleetNode[];
  /** `127.0.0.1:<port>` of the hook endpoint. */
  readonly address: string;
  /** Starts `name` unless it runs; resolves once it listens. Idempotent. */
  start(name: string): Promise<void>;
  /** Stops `name` gracefully within `graceMs`; resolves when it has exited. Idempotent. */
  terminate(name: string, graceMs: number): Promise<void>;
  /** Whether `name`'s process has been started and has not exited (a terminating node still runs). */
  running(name: string): boolean;
  /** Milliseconds each provisioned node took from spawn to listening. */
  startupsMs(): readonly number[];
  /** Kills every node and closes the endpoint. Idempotent. */
  stop(): Promise<void>;
}

/** Allocates the ports and opens the hook endpoint; starts no node. */
export async function startFleetManager(options: FleetManagerOptions): Promise<FleetManager> {
  const { workload } = options;
  const names = nodeNamesOf(workload);
  const nodes: FleetNode[] = [];
  for (const [cohort, list] of [
    ["legacy", names.legacy],
    ["candidate", names.candidate],
  ] as const) {
    for (const name of list) {
      const address = `127.0.0.1:${await closedLocalPort()}`;
      nodes.push({ name, version: cohort === "legacy" ? "1.0.0" : "2.0.0", cohort, url: `http://${address}`, address });
    }
  }
  const byName = new Map(nodes.map((node) => [node.name, node]));
  const processes = new Map<string, Promise<DemoProcess<string>>>();
  const stopping = new Map<string, Promise<void>>();
  const exited = new Set<string>();
  const startups: number[] = [];

  const spawnNode = async (node: FleetNode): Promise<DemoProcess<string>> => {
    const startedMs = Date.now();
    const errorRate = options.bad?.node === node.name ? options.bad.errorRate : 0;
    const child = await startDemoProcess({
      name: node.name,
      command: process.execPath,
      args: [
        ...tsxArgs(SAMPLE_ENTRY),
        ...["--name", node.name, "--version", node.version, "--port", new URL(node.url).port],
        ...[
          "--latency-median-ms",
          String(workload.latencyMs.median),
          "--latency-p99-ms",
          String(workload.latencyMs.p99),
        ],
        ...[
          "--long-request-share",
          String(workload.longRequestShare),
          "--long-request-ms",
          String(workload.longRequestMs),
        ],
        ...[
          "--jobs-interval-ms",
          String(workload.jobs.intervalMs),
          "--jobs-duration-ms",
          String(workload.jobs.durationMs),
        ],
        ...["--db-pool-size", String(workload.poolSize), "--db-pool-min", String(workload.poolSize)],
        ...["--db-hold-share", String(workload.dbHoldShare), "--error-rate", String(errorRate)],
      ],
      env: { ...process.env, SAMPLE_DB_URL: options.dbUrl },
      readyWhen: (line) => {
        const url = jsonEventLine(line, "sample-started")?.url;
        return typeof url === "string" ? url : undefined;
      },
      timeoutMs: 30_000,
    });
    if (node.cohort === "candidate") startups.push(Date.now() - startedMs);
    return child;
  };

  const start = async (name: string): Promise<void> => {
    const node = byName.get(name);
    if (node === undefined) throw new Error(`no node ${name}`);
    const current = processes.get(name);
    if (current !== undefined && stopping.get(name) === undefined) {
      await current;
      return;
    }
    await stopping.get(name);
    stopping.delete(name);
    exited.delete(name);
    const started = spawnNode(node);
    processes.set(name, started);
    await started;
  };

  const terminate = (name: string, graceMs: number): Promise<void> => {
    const current = processes.get(name);
    if (current === undefined) return Promise.resolve();
    const existing = stopping.get(name);
    if (existing !== undefined) return existing;
    const stopped = (async () => {
      const child = await current;
      const url = byName.get(name)?.url ?? "";
      const deadlineMs = Date.now() + graceMs;
      await fetch(`${url}/quiesce`, { method: "POST", signal: AbortSignal.timeout(2000) }).catch(() => undefined);
      while (Date.now() < deadlineMs && !child.exited()) {
        const report = await fetch(`${url}/drain`, { signal: AbortSignal.timeout(2000) })
          .then((response) => response.json() as Promise<{ inflightRequests?: number; runningJobs?: number }>)
          .catch(() => undefined);
        if (report !== undefined && (report.inflightRequests ?? 1) + (report.runningJobs ?? 1) === 0) break;
        await new Promise((resolve) => setTimeout(resolve, TERMINATE_POLL_MS));
      }
      await child.stop(Math.max(0, deadlineMs - Date.now()));
      exited.add(name);
    })();
    stopping.set(name, stopped);
    return stopped;
  };

  const endpoint: LocalHttpServer = await startLocalHttpServer((request, _body, response) => {
    const match = /^\/(provision|terminate)\/([^/]+)$/.exec(request.url ?? "");
    const name = match?.[2] === undefined ? undefined : decodeURIComponent(match[2]);
    if (request.method !== "POST" || match === null || name === undefined || !byName.has(name)) {
      sendJson(response, 404, { error: "not-found" });
      return;
    }
    if (match[1] === "terminate") {
      void terminate(name, options.terminationGraceMs);
      sendJson(response, 202, { terminating: name });
      return;
    }
    start(name).then(
      () => sendJson(response, 200, { running: name }),
      (error: unknown) => sendJson(response, 503, { error: (error as Error).message.split("\n", 1)[0] }),
    );
  });

  let stopped: Promise<void> | undefined;
  return {
    nodes,
    address: new URL(endpoint.origin).host,
    start,
    terminate,
    running: (name) => processes.has(name) && !exited.has(name),
    startupsMs: () => [...startups],
    stop: () => {
      stopped ??= (async () => {
        await endpoint.close();
        const all = await Promise.allSettled(processes.values());
        for (const result of all) if (result.status === "fulfilled") result.value.killNow();
        await Promise.all(
          all.map((result) => (result.status === "fulfilled" ? result.value.stop(0) : Promise.resolve())),
        );
      })();
      return stopped;
    },
  };
}
