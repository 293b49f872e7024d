import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { constants as osConstants } from "node:os";
import { join } from "node:path";
import type { RuntimeAddress } from "../../src/targets/traffic/haproxy/runtime-address.ts";
import { runtimeCommand } from "../../src/targets/traffic/haproxy/runtime-command.ts";
import { binaryPath } from "./binaries.ts";
import { freePort } from "./free-port.ts";
import { type HaproxyHealthCheck, type HaproxyServerSpec, renderHaproxyConfig } from "./haproxy-config.ts";
import { startProcess } from "./managed-process.ts";
import { type ServiceHandle, ServiceProcesses } from "./service-handle.ts";
import { waitUntil } from "./wait-until.ts";

/** Options of {@link startHaproxy}. Give `backends`, `config`, or both. */
export interface StartHaproxyOptions {
  /** Backend name → servers. Each backend gets its own HTTP frontend on a free port (see `frontends`). */
  readonly backends?: Readonly<Record<string, readonly HaproxyServerSpec[]>>;
  /** Extra proxy sections (frontends, backends, listens) appended verbatim after the generated ones. */
  readonly config?: string;
  /** `server-state-file` + `load-server-state-from-file global`, so reloads through {@link HaproxyService.reload} keep runtime weights. Default true. */
  readonly stateFile?: boolean;
  /** `balance` of generated backends, default `roundrobin`. */
  readonly balance?: string;
  /** HTTP health checks on generated servers (status `UP`/`DOWN` instead of `no check`). */
  readonly healthCheck?: HaproxyHealthCheck;
  /** Start-up deadline, default 10 000 ms. */
  readonly timeoutMs?: number;
}

/** A running HAProxy 2.6 in master-worker mode (`-W`). */
export interface HaproxyService extends ServiceHandle {
  /** Runtime API on a unix socket (`mode 600 level admin`). */
  readonly socketPath: string;
  readonly socketAddress: RuntimeAddress;
  /** Runtime API on TCP, `127.0.0.1:<port>` (`level admin`). */
  readonly tcpAddress: RuntimeAddress & { readonly kind: "tcp" };
  /** The built-in Prometheus exporter, `http://127.0.0.1:<port>/metrics`. */
  readonly exporterUrl: string;
  /** Backend name → `http://127.0.0.1:<port>` of its generated frontend. */
  readonly frontends: Readonly<Record<string, string>>;
  readonly configPath: string;
  /** Where reloads save and load server state (`undefined` when `stateFile: false`). */
  readonly stateFilePath: string | undefined;
  /** Runs one runtime API command over the unix socket; throws on a connection error. */
  runtime(command: string): Promise<string>;
  /**
   * Reloads HAProxy (SIGUSR2 to the master; a new worker takes over) and
   * waits until the new worker answers. With `keepState` (default true, needs
   * `stateFile`) the runtime state is saved first so weights survive; with
   * `keepState: false` the state file is removed, so weights return to the
   * configuration's — a reload that "wipes runtime weights". `config`
   * replaces the extra proxy sections before reloading. Like `restart`, it
   * first waits for the next wall-clock second, so that `show info`'s
   * `Start_time_sec` (whole seconds) changes.
   */
  reload(options?: { keepState?: boolean; config?: string }): Promise<void>;
  /**
   * Stops HAProxy and starts it again with the same config, sockets and
   * ports. Runtime weights and states are lost, except what a previous
   * `reload` saved in the state file, which the new process loads.
   */
  restart(): Promise<void>;
}

/**
 * Starts HAProxy on loopback: runtime API on a unix socket and on TCP, the
 * Prometheus exporter on its own frontend, one HTTP frontend per generated
 * backend, all on free ports, config in a fresh temporary directory. Resolves
 * once the runtime API answers; throws with HAProxy's log when it does not
 * start. Stopped by `stop()` or the registry's hooks.
 */
export async function startHaproxy(options: StartHaproxyOptions): Promise<HaproxyService> {
  const service = new ServiceProcesses("haproxy");
  const dir = service.dir;
  const socketPath = join(dir, "admin.sock");
  const configPath = join(dir, "haproxy.cfg");
  const useStateFile = options.stateFile ?? true;
  const stateFilePath = useStateFile ? join(dir, "server-state") : undefined;
  const [tcpPort, exporterPort] = [await freePort(), await freePort()];
  const frontends: Record<string, string> = {};
  for (const backend of Object.keys(options.backends ?? {}))
    frontends[backend] = `http://127.0.0.1:${await freePort()}`;

  const render = (extra: string): string =>
    renderHaproxyConfig({ ...options, socketPath, tcpPort, exporterPort, stateFilePath, frontends, extra });
  writeFileSync(configPath, render(options.config ?? ""));
  const socketAddress: RuntimeAddress = { kind: "unix", path: socketPath };

  const runtime = async (command: string): Promise<string> => {
    const answer = await runtimeCommand(socketAddress, command, AbortSignal.timeout(5000));
    if (!answer.ok) throw new Error(`haproxy runtime "${command}": ${answer.message}`);
    return answer.value;
  };
  const workerPid = async (): Promise<number> => Number(/^Pid: (\d+)$/m.exec(await runtime("show info"))?.[1]);

  const startMaster = () =>
    service.add(
      startProcess({ name: "haproxy", command: binaryPath("haproxy"), args: ["-W", "-f", configPath], cwd: dir }),
    );
  let master = startMaster();
  const untilAnswering = (what: string, check: () => Promise<boolean>): Promise<void> =>
    waitUntil(what, check, {
      timeoutMs: options.timeoutMs ?? 10_000,
      abortWhen: () => (master.exitReason() === undefined ? undefined : `haproxy ${master.exitReason()}`),
    });
  // The master drops SIGUSR2 until it has installed its handler, shortly after
  // the worker answers (after start and after every reload, which re-executes it).
  const untilReady = async (): Promise<void> => {
    await untilAnswering("haproxy runtime API", async () => (await workerPid()) > 0);
    await untilAnswering("haproxy master reload handler", async () => catchesSignal(master.pid, "SIGUSR2"));
  };
  const nextSecond = async (): Promise<void> => {
    const startedSec = Number(/^Start_time_sec: (\d+)$/m.exec(await runtime("show info"))?.[1]);
    const waitMs = (startedSec + 1) * 1000 - Date.now();
    if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
  };
  await service.starting(untilReady);

  return {
    dir,
    socketPath,
    socketAddress,
    tcpAddress: { kind: "tcp", host: "127.0.0.1", port: tcpPort },
    exporterUrl: `http://127.0.0.1:${exporterPort}/metrics`,
    frontends,
    configPath,
    stateFilePath,
    runtime,
    logs: () => service.logs(),
    stop: () => service.stop(),
    async reload(reloadOptions = {}) {
      await nextSecond();
      if (reloadOptions.config !== undefined) writeFileSync(configPath, render(reloadOptions.config));
      if (stateFilePath !== undefined) {
        if (reloadOptions.keepState ?? true) writeFileSync(stateFilePath, await runtime("show servers state"));
        else rmSync(stateFilePath, { force: true });
      }
      const before = await workerPid();
      process.kill(master.pid, "SIGUSR2");
      await untilAnswering("haproxy reload (new worker)", async () => (await workerPid()) !== before);
      await untilReady();
    },
    async restart() {
      await nextSecond();
      await master.stop();
      master = startMaster();
      await untilReady();
    },
  };
}

/** Whether process `pid` has a handler installed for `signal` (Linux: `SigCgt` in /proc/PID/status). */
function catchesSignal(pid: number, signal: NodeJS.Signals): boolean {
  const mask = /^SigCgt:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  const bit = BigInt(1) << BigInt(osConstants.signals[signal] - 1);
  return mask !== undefined && (BigInt(`0x${mask}`) & bit) !== BigInt(0);
}
