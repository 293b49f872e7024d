/**
 * Publishing a new credential to its consumers: a file replaced atomically
 * (mode 0600), a command reading it on stdin, or a webhook. The secret
 * never goes into argv, environment, messages or logs.
 */
import { randomBytes } from "node:crypto";
import { open, rename, rm } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { parseDurationMs } from "../../plan/duration.ts";
import { expandEnvRefs } from "../../util/expand-env-refs.ts";
import { httpRequest } from "../../util/http-request.ts";
import { redact, truncate } from "../../util/redact.ts";
import { runCommand } from "../../util/run-command.ts";
import type { PublisherConfig } from "./rotation-config.ts";

/** What consumers receive (as JSON). */
export interface Credential {
  readonly username: string;
  readonly password: string;
  readonly host: string;
  readonly port: number;
  readonly database: string;
  /** `sha256:` + 12 hex chars of the password's hash: safe to log, lets a consumer say which secret it holds. */
  readonly fingerprint: string;
}

/** Context for one publish. */
export interface PublishContext {
  readonly planDir: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly operationId: string;
  readonly idempotencyKey: string;
  readonly fencingToken: number;
  readonly signal: AbortSignal;
}

/** `published` describes where (never the secret); failures are retryable (publishing again is harmless). */
export type PublishResult =
  | { readonly ok: true; readonly published: string }
  | { readonly ok: false; readonly message: string };

/** Publishes `credential`. Safe to repeat; never rejects. */
export async function publishCredential(
  publisher: PublisherConfig,
  credential: Credential,
  ctx: PublishContext,
): Promise<PublishResult> {
  const body = `${JSON.stringify(credential)}\n`;
  const scrub = (text: string, extra: readonly string[] = []): string => redact(text, [credential.password, ...extra]);
  switch (publisher.kind) {
    case "file": {
      const path = resolve(ctx.planDir, publisher.path);
      const written = await replaceFileAtomically(path, body);
      return written === undefined ? { ok: true, published: `file ${path}` } : { ok: false, message: scrub(written) };
    }
    case "command": {
      const result = await runCommand({
        argv: publisher.argv,
        cwd: ctx.planDir,
        env: {
          ...ctx.env,
          AIRLOCK_OPERATION_ID: ctx.operationId,
          AIRLOCK_IDEMPOTENCY_KEY: ctx.idempotencyKey,
          AIRLOCK_FENCING_TOKEN: String(ctx.fencingToken),
        },
        stdin: body,
        timeoutMs: parseDurationMs(publisher.timeout) ?? 30_000,
        signal: ctx.signal,
      });
      if (!result.ok) return { ok: false, message: scrub(`publisher command: ${result.message}`) };
      if (result.exitCode === 0) return { ok: true, published: `command ${publisher.argv[0]}` };
      const stderr = truncate(result.stderr.trim(), 300);
      return {
        ok: false,
        message: scrub(`publisher command exited ${result.exitCode ?? result.signalName}: ${stderr}`),
      };
    }
    case "webhook": {
      const headers = expandEnvRefs(publisher.headers, ctx.env);
      if (!headers.ok) return { ok: false, message: headers.message };
      const response = await httpRequest({
        method: "POST",
        url: publisher.url,
        headers: {
          ...headers.value,
          "content-type": "application/json",
          "idempotency-key": ctx.idempotencyKey,
          "x-airlock-fencing-token": String(ctx.fencingToken),
        },
        body,
        timeoutMs: parseDurationMs(publisher.timeout) ?? 30_000,
        signal: ctx.signal,
        secrets: [credential.password, ...headers.secrets],
      });
      if (!response.ok) return { ok: false, message: scrub(response.message, headers.secrets) };
      if (response.status >= 200 && response.status < 300)
        return { ok: true, published: `webhook ${new URL(publisher.url).host}` };
      return { ok: false, message: `publisher webhook answered HTTP ${response.status}` };
    }
  }
}

/**
 * Writes `content` to a temp file beside `path` (mode 0600, fsynced) and
 * renames it over `path`, so a reader sees the old file or the new one,
 * never a partial one. Returns an error message, or `undefined`.
 */
export async function replaceFileAtomically(path: string, content: string): Promise<string | undefined> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    const handle = await open(temp, "wx", 0o600);
    try {
      await handle.writeFile(content);
      await handle.chmod(0o600);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
    return undefined;
  } catch (error) {
    await rm(temp, { force: true });
    return `cannot write credential file ${path}: ${(error as NodeJS.ErrnoException).code ?? "error"}`;
  }
}
