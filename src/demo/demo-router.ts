/**
 * The router in front of the demo's fleet: the built-in router as a process
 * of its own (the default), or HAProxy when installed (`haproxy-process.ts`).
 * Either starts with every legacy server at full weight and every candidate
 * at weight 0, health-checked, and comes with a driver of its own for the
 * demo's measurements and for resetting the fleet between scenarios.
 */
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { BuiltinRouterDriver } from "../targets/traffic/builtin/builtin-router-driver.ts";
import type { RouterDriver } from "../targets/traffic/router-driver.ts";
import { jsonEventLine, startDemoProcess, tsxArgs } from "./demo-process.ts";
import type { FleetNode } from "./sample-fleet.ts";

/** Which router the demo puts in front of the fleet. */
export type DemoRouterKind = "builtin" | "haproxy";

/** Weight of a server carrying a full share (the plan's `fullWeight`). */
export const FULL_WEIGHT = 100;

/** Health-check interval of both routers, in ms. */
export const HEALTH_INTERVAL_MS = 500;

/** Environment variable that carries the built-in router's admin token to the controller (the plan names it). */
export const ROUTER_TOKEN_ENV = "AIRLOCK_DEMO_ROUTER_TOKEN";

/** A running router. */
export interface DemoRouter {
  readonly kind: DemoRouterKind;
  /** Proxy URL, `http://127.0.0.1:<port>/`, where the load goes. */
  readonly url: string;
  /** The plan's `target` fields that name this router (kind, admin URL or socket, backend ...). */
  readonly target: Readonly<Record<string, string>>;
  /** Environment the controller needs to reach it (the admin token); never printed. */
  readonly controllerEnv: Readonly<Record<string, string>>;
  /** A driver of the demo's own, for measurements and resets. */
  readonly driver: RouterDriver;
  /** The router's (master) process id. */
  readonly pid: number;
  logs(): string;
  /** Stops the router (in-flight requests get a short grace). Idempotent. */
  stop(): Promise<void>;
  /** SIGKILLs the router at once. Synchronous. */
  killNow(): void;
}

/** The weight each server starts with: legacy full, candidate 0. Pure. */
export function startingWeight(node: Pick<FleetNode, "cohort">): number {
  return node.cohort === "legacy" ? FULL_WEIGHT : 0;
}

const ROUTER_ENTRY = fileURLToPath(new URL("../router/main.ts", import.meta.url));

/** Starts the built-in router as a child process, with a fresh random admin token. */
export async function startBuiltinRouterProcess(nodes: readonly FleetNode[]): Promise<DemoRouter> {
  const token = randomBytes(24).toString("hex");
  const child = await startDemoProcess({
    name: "router",
    command: process.execPath,
    args: [
      ...tsxArgs(ROUTER_ENTRY),
      ...["--listen-port", "0", "--admin-port", "0", "--health-interval-ms", String(HEALTH_INTERVAL_MS)],
      ...nodes.flatMap((node) => ["--server", `${node.name}=${node.url}@${startingWeight(node)}`]),
    ],
    env: { ...process.env, AIRLOCK_ROUTER_ADMIN_TOKEN: token },
    readyWhen: (line) => {
      const started = jsonEventLine(line, "router-started");
      return typeof started?.url === "string" && typeof started.adminUrl === "string"
        ? { url: started.url, adminUrl: started.adminUrl }
        : undefined;
    },
  });
  const { url, adminUrl } = child.ready;
  const driver = new BuiltinRouterDriver({ adminUrl, adminToken: token });
  return {
    kind: "builtin",
    url: `${url}/`,
    target: { kind: "builtin-router", adminUrl, tokenEnv: ROUTER_TOKEN_ENV },
    controllerEnv: { [ROUTER_TOKEN_ENV]: token },
    driver,
    pid: child.pid,
    logs: child.logs,
    stop: async () => {
      await driver.close();
      await child.stop();
    },
    killNow: child.killNow,
  };
}
