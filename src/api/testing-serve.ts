/**
 * Test support: starts a real `airlock serve` process (`node bin/airlock.js
 * serve`) on 127.0.0.1, a free port and a fresh SQLite store in a temporary
 * directory, with an admin token, a read token and ack tokens for the
 * consumers `billing` and `search`. Captures everything it prints, so tests
 * can check that no token ever appears there.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** A running server and its credentials. */
export interface ServeProcess {
  readonly url: string;
  readonly dir: string;
  readonly storeUrl: string;
  readonly tokens: { readonly admin: string; readonly read: string; readonly billing: string; readonly search: string };
  /** Everything printed so far (stdout and stderr). */
  output(): string;
  /** SIGTERM, wait for exit (SIGKILL after 10 s); removes the directory unless `keepDir`. Idempotent. */
  stop(options?: { readonly keepDir?: boolean }): Promise<number | null>;
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** A random token (hex, 48 characters). */
export function randomToken(): string {
  return randomBytes(24).toString("hex");
}

/** Starts `airlock serve` with `args` added (and `env` merged); resolves once it prints its URL. */
export async function startServeProcess(
  args: readonly string[] = [],
  options: { readonly env?: Readonly<Record<string, string>>; readonly dir?: string } = {},
): Promise<ServeProcess> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "airlock-serve-"));
  const tokens = { admin: randomToken(), read: randomToken(), billing: randomToken(), search: randomToken() };
  writeFileSync(join(dir, "admin.token"), `${tokens.admin}\n`, { mode: 0o600 });
  writeFileSync(join(dir, "read.tokens"), `# readers\nviewer:${tokens.read}\n`, { mode: 0o600 });
  writeFileSync(join(dir, "ack.tokens"), `billing:${tokens.billing}\nsearch:${tokens.search}\n`, { mode: 0o600 });
  const storeUrl = `sqlite:${join(dir, "airlock.db")}`;
  const child = spawn(
    process.execPath,
    [
      join(ROOT, "bin", "airlock.js"),
      "serve",
      "--port",
      "0",
      "--host",
      "127.0.0.1",
      "--store",
      storeUrl,
      "--token-file",
      join(dir, "admin.token"),
      "--read-token-file",
      join(dir, "read.tokens"),
      "--ack-token-file",
      join(dir, "ack.tokens"),
      ...args,
    ],
    { cwd: dir, env: { ...process.env, AIRLOCK_TOKEN: "", ...options.env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let url: string;
  try {
    url = await waitForUrl(child, () => output, 30_000);
  } catch (error) {
    child.kill("SIGKILL");
    if (options.dir === undefined) rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  let stopped: Promise<number | null> | undefined;
  return {
    url,
    dir,
    storeUrl,
    tokens,
    output: () => output,
    stop(stopOptions = {}) {
      stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        const code = await exited;
        clearTimeout(timer);
        if (!stopOptions.keepDir && options.dir === undefined) rmSync(dir, { recursive: true, force: true });
        return code;
      })();
      return stopped;
    },
  };
}

function waitForUrl(child: ChildProcess, output: () => string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`airlock serve did not start:\n${output()}`)), timeoutMs);
    const check = (): void => {
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output());
      if (match?.[1] !== undefined) finish(match[1]);
    };
    const onExit = (): void => finish(new Error(`airlock serve exited:\n${output()}`));
    function finish(result: string | Error): void {
      clearTimeout(timer);
      child.stdout?.off("data", check);
      child.off("exit", onExit);
      if (typeof result === "string") resolve(result);
      else reject(result);
    }
    child.stdout?.on("data", check);
    child.once("exit", onExit);
    check();
  });
}

/** One answer of {@link request}. */
export interface TestResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The parsed JSON body (`undefined` when not JSON). */
  readonly json: unknown;
}

/** Sends one request; `body` objects go as JSON, strings as they are. Never throws for HTTP errors. */
export async function request(
  baseUrl: string,
  method: string,
  path: string,
  options: {
    readonly token?: string;
    readonly body?: unknown;
    readonly contentType?: string;
    readonly headers?: Readonly<Record<string, string>>;
  } = {},
): Promise<TestResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
    headers["content-type"] = options.contentType ?? "application/json";
  }
  const response = await fetch(`${baseUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}
