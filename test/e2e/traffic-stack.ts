/**
 * The real stack for operation-level traffic tests: sample services (real
 * HTTP servers on loopback, in this process) behind a real router — the
 * built-in router or HAProxy 2.6 — one backend per fleet. Legacy servers
 * (`v1-*`) start at weight 100, candidates (`v2-*`) at 0, health-checked.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunningRouter, startRouter } from "../../src/router/start-router.ts";
import { type RunningSampleService, startSampleService } from "../../src/sample/sample-service.ts";
import { BuiltinRouterDriver } from "../../src/targets/traffic/builtin/builtin-router-driver.ts";
import { HaproxyDriver } from "../../src/targets/traffic/haproxy/haproxy-driver.ts";
import type { RouterDriver, ServerStat } from "../../src/targets/traffic/router-driver.ts";
import { type HaproxyService, startHaproxy } from "../services/index.ts";

/** Which router the stack puts in front of the fleet. */
export type RouterKind = "builtin" | "haproxy";

/** How one sample service behaves. */
export interface NodeSpec {
  readonly errorRate?: number;
  readonly latencyMs?: { readonly median: number; readonly p99: number };
  /** Background jobs (a drain report that stays > 0 until quiesced). */
  readonly jobs?: boolean;
}

/** One backend: its fleet, the router in front of it, and the plan's target fields for it. */
export interface Backend {
  readonly name: string;
  readonly fleet: ReadonlyMap<string, RunningSampleService>;
  /** Where clients send requests. */
  readonly routerUrl: string;
  /** `target:` of a plan: kind, router address, server sets, addresses, drain report. */
  readonly target: Readonly<Record<string, unknown>>;
  /** A driver of the test's own (reads counters, resets state). */
  readonly driver: RouterDriver;
  /** Changes a weight behind Airlock's back (admin API or runtime API). */
  setWeightByHand(server: string, weight: number): Promise<void>;
}

/** A running stack. */
export interface Stack {
  readonly kind: RouterKind;
  readonly backends: readonly Backend[];
  /** The HAProxy process (kind `haproxy`). */
  readonly haproxy?: HaproxyService;
  /** The admin socket the plans use (kind `haproxy`). */
  readonly haproxySocket?: string;
  /** A directory for plans, hooks and the store. */
  readonly dir: string;
  stop(): Promise<void>;
}

/** The admin token of built-in routers, handed to the controller through this variable. */
export const ROUTER_TOKEN_ENV = "AIRLOCK_E2E_TRAFFIC_ROUTER_TOKEN";
const ROUTER_TOKEN = "e2e-traffic-router-admin-token";
process.env[ROUTER_TOKEN_ENV] = ROUTER_TOKEN;

/** Health-check interval of both routers, in ms. */
const HEALTH_INTERVAL_MS = 200;

/** Server names → behaviour; names starting with `v1-` are legacy. */
export type FleetSpec = Readonly<Record<string, NodeSpec>>;

async function startFleet(spec: FleetSpec): Promise<Map<string, RunningSampleService>> {
  const started = await Promise.all(
    Object.entries(spec).map(([name, node]) =>
      startSampleService({
        port: 0,
        name,
        version: name.startsWith("v1") ? "1.0.0" : "2.0.0",
        latencyMs: node.latencyMs ?? { median: 2, p99: 8 },
        errorRate: node.errorRate ?? 0,
        longRequestShare: 0,
        longRequestMs: 0,
        ...(node.jobs === true ? { jobs: { intervalMs: 50, durationMs: 300 } } : {}),
      }),
    ),
  );
  return new Map(started.map((sample) => [sample.name, sample]));
}

const startingWeight = (name: string): number => (name.startsWith("v1") ? 100 : 0);

function sharedTarget(fleet: ReadonlyMap<string, RunningSampleService>): Record<string, unknown> {
  return {
    legacy: "v1-*",
    candidate: "v2-*",
    fullWeight: 100,
    addresses: Object.fromEntries([...fleet].map(([name, sample]) => [name, new URL(sample.url).host])),
    drainReport: { url: "http://{address}/drain" },
  };
}

/** Starts one fleet per spec, each behind its own backend of one router kind. */
export async function startStack(kind: RouterKind, fleets: readonly FleetSpec[]): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), `airlock-e2e-traffic-${kind}-`));
  const started = await Promise.all(fleets.map(startFleet));
  const closeFleets = async (): Promise<void> => {
    await Promise.all(started.flatMap((fleet) => [...fleet.values()].map((sample) => sample.close())));
  };
  try {
    return kind === "builtin"
      ? await builtinStack(dir, started, closeFleets)
      : await haproxyStack(dir, started, closeFleets);
  } catch (error) {
    await closeFleets();
    throw error;
  }
}

async function builtinStack(
  dir: string,
  fleets: readonly Map<string, RunningSampleService>[],
  closeFleets: () => Promise<void>,
): Promise<Stack> {
  const routers: RunningRouter[] = [];
  const backends: Backend[] = [];
  for (const [i, fleet] of fleets.entries()) {
    const router = await startRouter({
      listenPort: 0,
      adminPort: 0,
      adminToken: ROUTER_TOKEN,
      healthCheck: { intervalMs: HEALTH_INTERVAL_MS },
      servers: [...fleet.values()].map((sample) => ({
        name: sample.name,
        url: sample.url,
        weight: startingWeight(sample.name),
      })),
    });
    routers.push(router);
    backends.push({
      name: `router-${i}`,
      fleet,
      routerUrl: router.url,
      target: { kind: "builtin-router", adminUrl: router.adminUrl, tokenEnv: ROUTER_TOKEN_ENV, ...sharedTarget(fleet) },
      driver: new BuiltinRouterDriver({ adminUrl: router.adminUrl, adminToken: ROUTER_TOKEN }),
      async setWeightByHand(server, weight) {
        const changed = router.control.setWeight(server, weight);
        if (!changed.ok) throw new Error(`cannot set ${server} weight by hand: ${changed.message}`);
      },
    });
  }
  return {
    kind: "builtin",
    backends,
    dir,
    async stop() {
      await Promise.all(backends.map((backend) => backend.driver.close()));
      await Promise.all(routers.map((router) => router.close()));
      await closeFleets();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function haproxyStack(
  dir: string,
  fleets: readonly Map<string, RunningSampleService>[],
  closeFleets: () => Promise<void>,
): Promise<Stack> {
  const names = fleets.map((_, i) => `be_${i}`);
  // The helper's admin socket keeps HAProxy's default of 10 connections, and a Unix socket
  // refuses the rest with EAGAIN; the engine reads several sensors at once, each a command
  // per connection. A second admin socket with room for them is what Airlock is pointed at.
  const socket = join(dir, "airlock-admin.sock");
  const haproxy = await startHaproxy({
    config: `global\n  stats socket ${socket} mode 600 level admin maxconn 64 backlog 256\n`,
    backends: Object.fromEntries(
      fleets.map((fleet, i) => [
        names[i],
        [...fleet.values()].map((sample) => ({
          name: sample.name,
          address: new URL(sample.url).host,
          weight: startingWeight(sample.name),
        })),
      ]),
    ),
    healthCheck: { intervalMs: HEALTH_INTERVAL_MS },
  });
  const backends: Backend[] = fleets.map((fleet, i) => {
    const backend = names[i] ?? "be_0";
    return {
      name: backend,
      fleet,
      routerUrl: haproxy.frontends[backend] ?? "",
      target: { kind: "haproxy", socket, backend, ...sharedTarget(fleet) },
      driver: new HaproxyDriver({ address: { kind: "unix", path: socket }, backend }),
      async setWeightByHand(server, weight) {
        await haproxy.runtime(`set weight ${backend}/${server} ${weight}`);
      },
    };
  });
  return {
    kind: "haproxy",
    backends,
    haproxy,
    haproxySocket: socket,
    dir,
    async stop() {
      await Promise.all(backends.map((backend) => backend.driver.close()));
      await haproxy.stop();
      await closeFleets();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The router's view of every server of a backend; throws when it cannot be read. */
export async function serversOf(backend: Backend): Promise<ReadonlyMap<string, ServerStat>> {
  const listed = await backend.driver.servers(AbortSignal.timeout(5000));
  if (!listed.ok) throw new Error(`cannot read ${backend.name}: ${listed.message}`);
  return new Map(listed.value.map((server) => [server.name, server]));
}

/** Waits until the router reports every server of every backend UP. */
export async function untilHealthy(stack: Stack): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const states = await Promise.all(stack.backends.map(serversOf));
    if (states.every((servers) => [...servers.values()].every((server) => server.status === "UP"))) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("the routers never reported every server UP");
}
