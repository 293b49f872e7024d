/**
 * HAProxy 2.6 in front of the demo's fleet (`airlock demo --router haproxy`):
 * a config in the demo's temporary directory with the runtime API on a unix
 * socket (`mode 600 level admin`), a server-state file so reloads keep
 * runtime weights, HTTP health checks, and one frontend on a free port.
 * Same approach as the test helper in `test/services/haproxy.ts`.
 */
import { accessSync, constants, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { HaproxyDriver } from "../targets/traffic/haproxy/haproxy-driver.ts";
import { closedLocalPort } from "../util/local-http-server.ts";
import { startDemoProcess } from "./demo-process.ts";
import { type DemoRouter, HEALTH_INTERVAL_MS, startingWeight } from "./demo-router.ts";
import type { FleetNode } from "./sample-fleet.ts";

/** The backend the demo's plan names. */
export const DEMO_BACKEND = "be_demo";

// Debian installs haproxy in /usr/sbin, which a non-login PATH may lack.
const EXTRA_DIRS = ["/usr/local/sbin", "/usr/sbin", "/sbin"];

/** The haproxy executable, or `undefined` when it is not installed. */
export function findHaproxy(): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(delimiter), ...EXTRA_DIRS].filter((dir) => dir !== "");
  return dirs
    .map((dir) => join(dir, "haproxy"))
    .find((path) => {
      try {
        accessSync(path, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
}

/** The demo's HAProxy configuration. Pure. */
export function renderDemoHaproxyConfig(input: {
  readonly socketPath: string;
  readonly stateFilePath: string;
  readonly frontendPort: number;
  readonly nodes: readonly FleetNode[];
}): string {
  return [
    "global",
    // Room for the engine's parallel sensor reads (one command per connection): with the
    // default of 10, a Unix socket refuses the rest with EAGAIN.
    `  stats socket ${input.socketPath} mode 600 level admin maxconn 64 backlog 256`,
    "  stats timeout 30s",
    `  server-state-file ${input.stateFilePath}`,
    "",
    "defaults",
    "  mode http",
    "  timeout connect 2s",
    "  timeout client 30s",
    "  timeout server 30s",
    "  timeout queue 5s",
    "  timeout check 2s",
    "  load-server-state-from-file global",
    // A backend may close an idle keep-alive connection just as HAProxy reuses it: retry
    // such a request on a fresh connection instead of answering 502.
    "  retries 2",
    "  retry-on conn-failure empty-response",
    "",
    "frontend fe_demo",
    `  bind 127.0.0.1:${input.frontendPort}`,
    `  default_backend ${DEMO_BACKEND}`,
    "",
    `backend ${DEMO_BACKEND}`,
    "  balance roundrobin",
    "  option httpchk GET /healthz",
    // Idle server connections are closed well before the sample service's 5 s keep-alive timeout.
    `  default-server check inter ${HEALTH_INTERVAL_MS} rise 1 fall 2 pool-purge-delay 1s`,
    ...input.nodes.map((node) => `  server ${node.name} ${node.address} weight ${startingWeight(node)}`),
    "",
  ].join("\n");
}

/** Starts HAProxy (master-worker, foreground) with its config in `dir`; resolves once the runtime API answers. */
export async function startHaproxyProcess(nodes: readonly FleetNode[], dir: string): Promise<DemoRouter> {
  const binary = findHaproxy();
  if (binary === undefined) throw new Error("haproxy is not installed (apt-get install haproxy), use --router builtin");
  const socketPath = join(dir, "haproxy-admin.sock");
  const configPath = join(dir, "haproxy.cfg");
  const frontendPort = await closedLocalPort();
  writeFileSync(
    configPath,
    renderDemoHaproxyConfig({ socketPath, stateFilePath: join(dir, "haproxy-server-state"), frontendPort, nodes }),
  );
  const child = await startDemoProcess({
    name: "haproxy",
    command: binary,
    args: ["-W", "-f", configPath],
    cwd: dir,
    readyWhen: (line) => (line.includes("Loading success") ? true : undefined),
  });
  const driver = new HaproxyDriver({ address: { kind: "unix", path: socketPath }, backend: DEMO_BACKEND });
  for (let attempt = 0; !(await driver.info(AbortSignal.timeout(2000))).ok; attempt += 1) {
    if (attempt > 50 || child.exited()) {
      await child.stop();
      throw new Error(`haproxy's runtime API does not answer:\n${child.logs().slice(-4000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    kind: "haproxy",
    url: `http://127.0.0.1:${frontendPort}/`,
    target: { kind: "haproxy", socket: socketPath, backend: DEMO_BACKEND },
    controllerEnv: {},
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
