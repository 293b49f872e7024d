import { accessSync, constants, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ManagedProcess } from "./managed-process.ts";
import { formatLogs, type RegisteredService, trackService, untrackService } from "./service-registry.ts";

/** Every service helper returns at least this. */
export interface ServiceHandle {
  /** The temporary directory holding the service's config and data (removed by `stop`). */
  readonly dir: string;
  /** Logs of every process the service ran (also stopped ones), each under a header. */
  logs(): string;
  /** Stops every process and removes the directory. Idempotent; never throws. */
  stop(): Promise<void>;
}

/**
 * The bookkeeping every service helper shares: a fresh temporary directory,
 * the list of processes it started (kept after they exit, for their logs),
 * and registration so the service is stopped even when a test throws.
 */
export class ServiceProcesses {
  readonly dir: string;
  readonly #name: string;
  readonly #all: ManagedProcess[] = [];
  readonly #registered: RegisteredService;
  #stopped = false;

  readonly #stopOne: (child: ManagedProcess) => Promise<void>;

  /** Creates `<scratch>/airlock-<name>-XXXXXX` (see {@link scratchBase}) and registers the service; `stopOne` overrides how a process is stopped. */
  constructor(name: string, stopOne: (child: ManagedProcess) => Promise<void> = (child) => child.stop()) {
    this.#name = name;
    this.#stopOne = stopOne;
    this.dir = mkdtempSync(join(scratchBase(), `airlock-${name}-`));
    this.#registered = {
      name,
      logs: () => this.logs(),
      stop: () => this.stop(),
      killNow: () => {
        for (const child of this.#all) child.killNow();
        rmSync(this.dir, { recursive: true, force: true });
      },
    };
    trackService(this.#registered);
  }

  /** Remembers a started process. */
  add(child: ManagedProcess): ManagedProcess {
    this.#all.push(child);
    return child;
  }

  /** The logs of every process, oldest first. */
  logs(): string {
    return this.#all.map((child) => formatLogs(`${child.name} (pid ${child.pid})`, child.logs())).join("\n");
  }

  /** Stops every process (in parallel) and removes the directory. Idempotent. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    untrackService(this.#registered);
    await Promise.allSettled(this.#all.map((child) => this.#stopOne(child)));
    rmSync(this.dir, { recursive: true, force: true });
  }

  /**
   * Runs a start-up step; on failure stops everything and rethrows with the
   * service's logs attached, so a failed `beforeAll` explains itself.
   */
  async starting<T>(step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (error) {
      const logs = this.logs();
      await this.stop();
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(`${this.#name} failed to start: ${message}\n${logs}`);
    }
  }
}

/**
 * Where service directories go: `/dev/shm` when writable (memory-backed, so
 * `initdb` and base backups do not wait on a disk other tests keep busy),
 * else the OS temp directory.
 */
export function scratchBase(): string {
  try {
    accessSync("/dev/shm", constants.W_OK);
    return "/dev/shm";
  } catch {
    return tmpdir();
  }
}
