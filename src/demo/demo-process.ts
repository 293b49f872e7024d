/**
 * Child processes the demo starts (sample services, the router, HAProxy):
 * spawned directly (no shell), output kept for diagnosis, ready when a line
 * of their output says so, and stopped for sure — SIGTERM, then SIGKILL of
 * the whole process group after a grace period.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

/** Bytes of output kept per process. */
const LOG_LIMIT_CHARS = 64 * 1024;

/** A running child process. */
export interface DemoProcess<Ready> {
  readonly name: string;
  readonly pid: number;
  /** What the ready line said (a URL, a pid ...). */
  readonly ready: Ready;
  /** The last 64 KiB of stdout and stderr, interleaved. */
  logs(): string;
  /** Whether the process has exited. */
  exited(): boolean;
  /** SIGTERM, then SIGKILL of its process group after `graceMs` (default 3000). Idempotent. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILLs its process group at once; synchronous, for `exit` handlers. Idempotent. */
  killNow(): void;
}

/** What to start and how to tell it is ready. */
export interface DemoProcessSpec<Ready> {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Inspects each output line; the first non-undefined result means ready. */
  readonly readyWhen: (line: string) => Ready | undefined;
  /** Start-up deadline. Default 20 000 ms. */
  readonly timeoutMs?: number;
}

/**
 * Starts a process in its own process group and resolves once `readyWhen`
 * accepts a line. Rejects, with the process's output and after killing it,
 * when it exits or the deadline passes first.
 */
export async function startDemoProcess<Ready>(spec: DemoProcessSpec<Ready>): Promise<DemoProcess<Ready>> {
  const child: ChildProcess = spawn(spec.command, [...spec.args], {
    env: spec.env ?? process.env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
    ...(spec.cwd === undefined ? {} : { cwd: spec.cwd }),
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${spec.name}: could not spawn ${spec.command}`);
  let output = "";
  let exitReason: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once("exit", (code, signal) => {
      exitReason = signal === null ? `exit code ${code}` : `signal ${signal}`;
      resolve();
    });
    child.once("error", (error) => {
      exitReason ??= `spawn error: ${error.message}`;
      resolve();
    });
  });
  const killNow = (): void => {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  };

  const ready = await new Promise<Ready>((resolve, reject) => {
    let pending = "";
    const fail = (why: string): void => {
      clearTimeout(timer);
      killNow();
      reject(new Error(`${spec.name} did not start (${why}):\n${output.slice(-4000)}`));
    };
    const timer = setTimeout(() => fail("timed out"), spec.timeoutMs ?? 20_000);
    const onData = (chunk: Buffer): void => {
      const text = chunk.toString("utf8");
      output = (output + text).slice(-LOG_LIMIT_CHARS);
      pending += text;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        const accepted = spec.readyWhen(line);
        if (accepted !== undefined) {
          clearTimeout(timer);
          resolve(accepted);
          return;
        }
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    void exited.then(() => fail(exitReason ?? "exited"));
  });
  let stopping: Promise<void> | undefined;
  return {
    name: spec.name,
    pid,
    ready,
    logs: () => output,
    exited: () => exitReason !== undefined,
    killNow,
    stop(graceMs = 3000) {
      stopping ??= (async () => {
        if (exitReason === undefined) {
          try {
            process.kill(pid, "SIGTERM");
          } catch {
            // Exited meanwhile.
          }
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
          clearTimeout(timer);
        }
        killNow();
        await exited;
      })();
      return stopping;
    },
  };
}

/** Parses a JSON output line and returns it when its `event` field is `event`. Pure. */
export function jsonEventLine(line: string, event: string): Readonly<Record<string, unknown>> | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return undefined;
    const record = parsed as Readonly<Record<string, unknown>>;
    return record.event === event ? record : undefined;
  } catch {
    return undefined;
  }
}

/** `node` arguments that run a TypeScript entry point through tsx, from any working directory. */
export function tsxArgs(entry: string): string[] {
  const loader = createRequire(import.meta.url).resolve("tsx");
  return ["--import", pathToFileURL(loader).href, entry];
}
