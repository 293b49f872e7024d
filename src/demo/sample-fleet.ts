/**
 * The demo's fleet: legacy (`v1-*`) and candidate (`v2-*`) sample-service
 * processes on free loopback ports, reconfigurable at run time (`POST
 * /config`), e.g. to make one candidate fail half of its requests.
 */
import { fileURLToPath } from "node:url";
import type { LatencySpec } from "../sample/latency-distribution.ts";
import { type DemoProcess, jsonEventLine, startDemoProcess, tsxArgs } from "./demo-process.ts";

/** One sample-service process. */
export interface FleetNode {
  /** Server name, also the router's: `v1-a`, `v2-b` ... */
  readonly name: string;
  readonly version: string;
  readonly cohort: "legacy" | "candidate";
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** `127.0.0.1:<port>` */
  readonly address: string;
}

/** The running fleet. */
export interface SampleFleet {
  readonly nodes: readonly FleetNode[];
  /**
   * Changes how a node answers (`POST /config`: errorRate, latencyMs ...).
   * Idempotent. Rejects when the node refuses or cannot be reached.
   */
  configure(name: string, patch: Readonly<Record<string, unknown>>): Promise<void>;
  /**
   * Sends `requestsPerNode` requests straight to each node (not through the
   * router), as a readiness warm-up would: a fresh process's first requests
   * run code not yet compiled and are several times slower than the rest,
   * which would show as the candidate's tail latency at its first stage.
   * Rejects when a node does not answer 2xx.
   */
  warmUp(requestsPerNode: number): Promise<void>;
  /** Output of every process, each line prefixed with its name. */
  logs(): string;
  /** Stops every process (SIGTERM, then SIGKILL). Idempotent. */
  stop(): Promise<void>;
  /** SIGKILLs every process at once. Synchronous, for `exit` handlers. */
  killNow(): void;
}

/** Sizes and behaviour of the fleet. */
export interface SampleFleetOptions {
  readonly legacy: number;
  readonly candidate: number;
  /** Latency of every node at start, in ms. */
  readonly latencyMs: LatencySpec;
}

const SAMPLE_ENTRY = fileURLToPath(new URL("../sample/main.ts", import.meta.url));

/** Server names of a fleet: `v1-a`, `v1-b`, ... then `v2-a`, ... Pure. */
export function fleetNames(legacy: number, candidate: number): { legacy: string[]; candidate: string[] } {
  const letters = (prefix: string, count: number): string[] =>
    Array.from({ length: count }, (_, i) => `${prefix}-${String.fromCharCode(97 + i)}`);
  return { legacy: letters("v1", legacy), candidate: letters("v2", candidate) };
}

/** Requests in flight per node during a warm-up. */
const WARM_UP_CONCURRENCY = 4;

async function warmUpNode(node: FleetNode, requests: number): Promise<void> {
  let sent = 0;
  const worker = async (): Promise<void> => {
    while (sent < requests) {
      sent += 1;
      const response = await fetch(`${node.url}/`, { signal: AbortSignal.timeout(5000) });
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`${node.name} answered its warm-up request with HTTP ${response.status}`);
    }
  };
  await Promise.all(Array.from({ length: WARM_UP_CONCURRENCY }, worker));
}

/**
 * Starts every node in parallel. Resolves once all listen; when one cannot
 * start, stops the others and rejects with its output.
 */
export async function startSampleFleet(options: SampleFleetOptions): Promise<SampleFleet> {
  const names = fleetNames(options.legacy, options.candidate);
  const specs = [
    ...names.legacy.map((name) => ({ name, version: "1.0.0", cohort: "legacy" as const })),
    ...names.candidate.map((name) => ({ name, version: "2.0.0", cohort: "candidate" as const })),
  ];
  const started = await Promise.allSettled(
    specs.map((spec) =>
      startDemoProcess({
        name: spec.name,
        command: process.execPath,
        args: [
          ...tsxArgs(SAMPLE_ENTRY),
          ...["--name", spec.name, "--version", spec.version, "--host", "127.0.0.1", "--port", "0"],
          ...["--latency-median-ms", String(options.latencyMs.median)],
          ...["--latency-p99-ms", String(options.latencyMs.p99)],
        ],
        readyWhen: (line) => {
          const url = jsonEventLine(line, "sample-started")?.url;
          return typeof url === "string" ? url : undefined;
        },
      }),
    ),
  );
  const processes = started.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
  const failure = started.find((result) => result.status === "rejected");
  if (failure !== undefined) {
    await Promise.all(processes.map((child) => child.stop()));
    throw failure.reason;
  }
  const nodes: FleetNode[] = specs.map((spec, i) => {
    const url = (processes[i] as DemoProcess<string>).ready;
    return { ...spec, url, address: new URL(url).host };
  });
  const byName = new Map(nodes.map((node) => [node.name, node]));
  return {
    nodes,
    async configure(name, patch) {
      const node = byName.get(name);
      if (node === undefined) throw new Error(`no node ${name} in the fleet`);
      const response = await fetch(`${node.url}/config`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(patch),
        signal: AbortSignal.timeout(5000),
      });
      if (!response.ok) throw new Error(`${name} refused ${JSON.stringify(patch)}: HTTP ${response.status}`);
    },
    async warmUp(requestsPerNode) {
      await Promise.all(nodes.map((node) => warmUpNode(node, requestsPerNode)));
    },
    logs: () =>
      processes
        .map((child) =>
          child
            .logs()
            .trimEnd()
            .split("\n")
            .map((line) => `[${child.name}] ${line}`)
            .join("\n"),
        )
        .join("\n"),
    stop: async () => {
      await Promise.all(processes.map((child) => child.stop()));
    },
    killNow: () => {
      for (const child of processes) child.killNow();
    },
  };
}
