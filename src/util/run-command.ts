/**
 * Runs one command without a shell, in its own process group, so that a
 * timeout or an abort kills everything it started (grandchildren included).
 */
import { spawn } from "node:child_process";
import { isTimeoutReason } from "./is-timeout-reason.ts";
import { lastLine, redact, truncate } from "./redact.ts";

/** What to run and for how long. */
export interface RunCommandOptions {
  /** Program and arguments; no shell. A relative program path resolves against `cwd`. */
  readonly argv: readonly string[];
  readonly cwd: string;
  /** The child's complete environment. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Written to the child's stdin, which is then closed. */
  readonly stdin?: string;
  /** The process group is killed after this long. */
  readonly timeoutMs: number;
  /** Aborting kills the process group and resolves at once. */
  readonly signal: AbortSignal;
}

/** How a run ended. `exitCode` is null when the child died of a signal. */
export type RunCommandResult =
  | {
      readonly ok: true;
      readonly exitCode: number | null;
      readonly signalName: string | null;
      readonly stdout: string;
      readonly stderr: string;
    }
  | { readonly ok: false; readonly code: "timeout" | "aborted" | "spawn"; readonly message: string };

const MAX_STDERR_CHARS = 200;
const MAX_STDOUT_BYTES = 4 * 1024 * 1024;
const MAX_STDERR_BYTES = 64 * 1024;

/**
 * Runs `argv` to completion. Never rejects: spawn failures, timeouts and
 * aborts are values. Not idempotent (it runs the command every time).
 */
export function runCommand(options: RunCommandOptions): Promise<RunCommandResult> {
  const [program, ...args] = options.argv;
  if (program === undefined) return Promise.resolve({ ok: false, code: "spawn", message: "empty command" });
  if (options.signal.aborted) return Promise.resolve(abortedResult(options.signal));

  return new Promise((resolve) => {
    const child = spawn(program, args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ["pipe", "pipe", "pipe"],
    });
    const stdout = new OutputBuffer(MAX_STDOUT_BYTES, "head");
    const stderr = new OutputBuffer(MAX_STDERR_BYTES, "tail");
    let settled = false;

    const finish = (result: RunCommandResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal.removeEventListener("abort", onAbort);
      resolve(result);
    };
    const killGroup = (): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // The group is already gone.
      }
      child.stdout.destroy();
      child.stderr.destroy();
    };
    const onAbort = (): void => {
      killGroup();
      finish(abortedResult(options.signal));
    };
    const timer = setTimeout(() => {
      killGroup();
      finish({ ok: false, code: "timeout", message: `command timed out after ${options.timeoutMs} ms` });
    }, options.timeoutMs);
    options.signal.addEventListener("abort", onAbort, { once: true });

    child.on("error", (error: NodeJS.ErrnoException) => {
      killGroup();
      finish({ ok: false, code: "spawn", message: `cannot start ${program}: ${error.code ?? error.message}` });
    });
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.on("close", (exitCode, signalName) => {
      finish({ ok: true, exitCode, signalName, stdout: stdout.text(), stderr: stderr.text() });
    });
    // The child may exit without reading stdin; a broken pipe is not our failure.
    child.stdin.on("error", () => {});
    child.stdin.end(options.stdin ?? "");
  });
}

/**
 * "apply command exited 3: <last stderr line>" for a run that ended with a
 * non-zero status; the stderr line is redacted of `secrets` and truncated.
 */
export function exitMessage(
  what: string,
  result: { readonly exitCode: number | null; readonly signalName: string | null; readonly stderr: string },
  secrets: readonly string[],
): string {
  const status = result.exitCode === null ? `was killed by ${result.signalName}` : `exited ${result.exitCode}`;
  const why = truncate(redact(lastLine(result.stderr), secrets), MAX_STDERR_CHARS);
  return why === "" ? `${what} ${status}` : `${what} ${status}: ${why}`;
}

function abortedResult(signal: AbortSignal): RunCommandResult {
  return isTimeoutReason(signal.reason)
    ? { ok: false, code: "timeout", message: "command timed out (read deadline)" }
    : { ok: false, code: "aborted", message: "command aborted" };
}

/** Collects output up to a byte budget, keeping the head (stdout) or the tail (stderr). */
class OutputBuffer {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly keep: "head" | "tail",
  ) {}

  push(chunk: Buffer): void {
    if (this.keep === "head" && this.size >= this.maxBytes) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
    if (this.keep === "tail" && this.size > 2 * this.maxBytes) {
      const joined = Buffer.concat(this.chunks);
      this.chunks = [joined.subarray(joined.length - this.maxBytes)];
      this.size = this.maxBytes;
    }
  }

  text(): string {
    const joined = Buffer.concat(this.chunks);
    const kept =
      this.keep === "head"
        ? joined.subarray(0, this.maxBytes)
        : joined.subarray(Math.max(0, joined.length - this.maxBytes));
    return kept.toString("utf8");
  }
}
