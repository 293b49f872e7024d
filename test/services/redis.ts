import { mkdirSync, writeFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { binaryPath } from "./binaries.ts";
import { freePort } from "./free-port.ts";
import { type ManagedProcess, startProcess } from "./managed-process.ts";
import { type ServiceHandle, ServiceProcesses } from "./service-handle.ts";
import { waitUntil } from "./wait-until.ts";

/** One Redis instance of the set. */
export interface RedisNode {
  /** `redis-0`, `redis-1`, ... */
  readonly name: string;
  readonly host: "127.0.0.1";
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
}

/** Independent Redis 7 instances on loopback (no persistence, no password). */
export interface RedisService extends ServiceHandle {
  readonly nodes: readonly RedisNode[];
  /** Stops node `i` (SIGTERM, no save); its port stays reserved for `startNode`. Idempotent. */
  stopNode(i: number): Promise<void>;
  /** Starts node `i` again on the same port (empty: nothing is persisted) and waits for PING. Idempotent. */
  startNode(i: number): Promise<void>;
}

/** Sends PING to `port` and reports whether `+PONG` came back. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.setTimeout(1000, () => socket.destroy());
    let answer = "";
    socket.on("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk) => {
      answer += chunk.toString();
      if (answer.includes("\r\n")) socket.destroy();
    });
    socket.on("close", () => resolve(answer.startsWith("+PONG")));
    socket.on("error", () => resolve(false));
  });
}

/**
 * Starts `count` independent Redis instances on free loopback ports, each
 * with its own config and directory under a fresh temporary directory.
 * Resolves once every node answers PING; throws with their logs otherwise.
 */
export async function startRedis(options: { count: number; timeoutMs?: number }): Promise<RedisService> {
  const service = new ServiceProcesses("redis");
  const nodes: RedisNode[] = [];
  for (let i = 0; i < options.count; i++) {
    const port = await freePort();
    nodes.push({ name: `redis-${i}`, host: "127.0.0.1", port, url: `redis://127.0.0.1:${port}` });
  }
  const running = new Map<number, ManagedProcess>();

  const startNode = async (i: number): Promise<void> => {
    const node = nodes[i];
    if (node === undefined) throw new Error(`no redis node ${i}`);
    const current = running.get(i);
    if (current !== undefined && current.exitReason() === undefined) return;
    const nodeDir = join(service.dir, node.name);
    mkdirSync(nodeDir, { recursive: true });
    const configPath = join(nodeDir, "redis.conf");
    writeFileSync(
      configPath,
      [
        `port ${node.port}`,
        "bind 127.0.0.1",
        `dir ${nodeDir}`,
        'save ""',
        "appendonly no",
        "daemonize no",
        'logfile ""',
      ].join("\n"),
    );
    const child = service.add(
      startProcess({ name: node.name, command: binaryPath("redis-server"), args: [configPath] }),
    );
    running.set(i, child);
    await waitUntil(`${node.name} PING`, () => ping(node.port), {
      timeoutMs: options.timeoutMs ?? 10_000,
      abortWhen: () => (child.exitReason() === undefined ? undefined : `redis-server ${child.exitReason()}`),
    });
  };

  await service.starting(() => Promise.all(nodes.map((_, i) => startNode(i))));
  return {
    dir: service.dir,
    nodes,
    logs: () => service.logs(),
    stop: () => service.stop(),
    startNode,
    async stopNode(i) {
      await running.get(i)?.stop();
    },
  };
}
