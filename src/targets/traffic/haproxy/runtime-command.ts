/**
 * One HAProxy runtime API command over its own connection (non-interactive
 * mode: HAProxy reads one line, answers and closes). A fresh connection per
 * command means no prompt parsing and no half-read state after a timeout.
 */
import net from "node:net";
import type { TargetResult } from "../../target.ts";
import { formatRuntimeAddress, type RuntimeAddress } from "./runtime-address.ts";

/** Largest answer accepted, in bytes; a bigger one is a `parse` error (a runaway `show sess`). */
export const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

/**
 * Sends `command` and resolves with HAProxy's full answer. Never throws:
 * `unreachable` (connect or socket error), `timeout` (the signal aborted) and
 * `parse` (answer too large) are values. The command must be one line: a
 * newline or `;` would smuggle a second command, so those are refused
 * (`command`). Read-only commands are safe to retry; `set` commands are
 * idempotent, so retrying them is harmless too.
 */
export function runtimeCommand(
  address: RuntimeAddress,
  command: string,
  signal: AbortSignal,
): Promise<TargetResult<string>> {
  if (/[\r\n;]/.test(command)) {
    return Promise.resolve(failure("command", "a runtime command must be a single line without ';'", false));
  }
  const where = formatRuntimeAddress(address);
  if (signal.aborted) return Promise.resolve(failure("timeout", `aborted before contacting ${where}`, true));

  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const socket =
      address.kind === "unix"
        ? net.connect({ path: address.path })
        : net.connect({ host: address.host, port: address.port });

    const finish = (result: TargetResult<string>): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener("abort", onAbort);
      socket.destroy();
      resolve(result);
    };
    const onAbort = (): void => finish(failure("timeout", `no answer from ${where} before the deadline`, true));
    signal.addEventListener("abort", onAbort, { once: true });

    socket.on("connect", () => socket.write(`${command}\n`));
    socket.on("data", (chunk: Buffer) => {
      received += chunk.length;
      if (received > MAX_RESPONSE_BYTES) {
        finish(failure("parse", `answer from ${where} exceeds ${MAX_RESPONSE_BYTES} bytes`, false));
        return;
      }
      chunks.push(chunk);
    });
    socket.on("end", () => finish({ ok: true, value: Buffer.concat(chunks).toString("utf8") }));
    socket.on("error", (error: NodeJS.ErrnoException) =>
      finish(failure("unreachable", `runtime API ${where}: ${error.code ?? error.message}`, true)),
    );
  });
}

/**
 * Interprets the answer to a `set ...` command: HAProxy answers an empty line
 * on success and a one-line message otherwise. Pure.
 */
export function expectEmptyAnswer(answer: string, command: string): TargetResult<void> {
  const message = answer.trim();
  if (message === "") return { ok: true, value: undefined };
  return failure("command", `${command}: ${firstLine(message)}`, false);
}

/** The first line of an answer, shortened for messages. */
export function firstLine(text: string): string {
  const line = text.trim().split("\n", 1)[0] ?? "";
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

/** Builds a failed {@link TargetResult}. */
export function failure(
  code: string,
  message: string,
  retryable: boolean,
): { ok: false; code: string; message: string; retryable: boolean } {
  return { ok: false, code, message, retryable };
}
