import { type ChildProcess, spawn } from "node:child_process";

/** Bytes of output kept per process (the tail is what matters on failure). */
const LOG_LIMIT_BYTES = 512 * 1024;

/** A long-running child process whose output is kept for diagnosis. */
export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  /** stdout and stderr interleaved, the last 512 KiB. */
  logs(): string;
  /** Why the process ended (`exit code 1`, `signal SIGKILL`), or `undefined` while it runs. */
  exitReason(): string | undefined;
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;
  /**
   * Sends `signal` (default SIGTERM; `null` sends none, for a process told to
   * stop some other way) to the process, waits up to `graceMs` (default
   * 5000) for it to exit, then SIGKILLs its whole process group. Idempotent.
   */
  stop(options?: { signal?: NodeJS.Signals | null; graceMs?: number }): Promise<void>;
  /** SIGKILLs the process group at once; synchronous, for `exit` handlers. */
  killNow(): void;
}

/**
 * Starts `command` in its own process group (so that stopping it also stops
 * what it spawned, e.g. `runuser`'s child), keeping its output in memory.
 * Throws only when the process cannot be spawned at all.
 */
export function startProcess(options: {
  name: string;
  command: string;
  args: readonly string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}): ManagedProcess {
  const child: ChildProcess = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${options.name}: could not spawn ${options.command}`);

  let output = "";
  const append = (chunk: Buffer): void => {
    output += chunk.toString("utf8");
    if (output.length > LOG_LIMIT_BYTES) output = output.slice(-LOG_LIMIT_BYTES);
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);

  let reason: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.on("error", (error) => {
      reason ??= `spawn error: ${error.message}`;
      resolve();
    });
    child.on("exit", (code, signal) => {
      reason = signal === null ? `exit code ${code}` : `signal ${signal}`;
      resolve();
    });
  });

  const killGroup = (): void => {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // Already gone: nothing to kill.
    }
  };

  return {
    name: options.name,
    pid,
    logs: () => output,
    exitReason: () => reason,
    exited,
    killNow: killGroup,
    async stop(stopOptions = {}) {
      if (reason === undefined) {
        const signal = stopOptions.signal === undefined ? "SIGTERM" : stopOptions.signal;
        try {
          if (signal !== null) process.kill(pid, signal);
        } catch {
          // Exited between the check and the signal.
        }
        const graceMs = stopOptions.graceMs ?? 5000;
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
        clearTimeout(timer);
      }
      killGroup();
      await exited;
    },
  };
}
