/**
 * `rotate` and `revoke` for alternating users. Each runs on one admin
 * session holding an advisory lock per role pair, checks the fencing token
 * and is idempotent under its key. Passwords are generated here, sent to
 * the server only as SCRAM verifiers, and leave only as a fingerprint.
 */
import { createHash, randomBytes } from "node:crypto";
import pg from "pg";
import { classifyPgError, type PgEndpoint, withCredentials } from "../../sensors/postgres/pg-connection.ts";
import { scramVerifier } from "../../util/scram.ts";
import type { ActionRequest, Json, Observation, TargetResult } from "../target.ts";
import { publishCredential } from "./publisher.ts";
import type { RotationConfig } from "./rotation-config.ts";
import { createStateSql, loadState, pairKey, type RotationState, saveState } from "./rotation-state.ts";

/** What an action needs besides the request. */
export interface RotationContext {
  readonly config: RotationConfig;
  readonly admin: PgEndpoint;
  readonly planDir: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

type Failure = Extract<TargetResult<never>, { ok: false }>;
type Result = TargetResult<Observation>;
const fail = (code: string, message: string, retryable: boolean): Failure => ({ ok: false, code, message, retryable });

/** `sha256:` and the first 12 hex chars of the secret's SHA-256. Pure. */
export function fingerprint(secret: string): string {
  return `sha256:${createHash("sha256").update(secret).digest("hex").slice(0, 12)}`;
}

/** Which of the pair is not `active`. Pure. */
export function otherRole(roles: readonly [string, string], active: string): string {
  return active === roles[0] ? roles[1] : roles[0];
}

/** Observation state of a rotation (never a secret). Pure. */
export function describeState(state: RotationState): Json {
  return {
    activeRole: state.activeRole,
    previousRole: state.previousRole,
    rotateStatus: state.rotateStatus,
    fingerprint: state.fingerprint,
    revoked: state.revokeKey !== null,
  };
}

/** Applies `rotate`/`revoke` (or undoes them when `request.rollback`). Never rejects. */
export async function applyRotationAction(ctx: RotationContext, request: ActionRequest): Promise<Result> {
  if (request.signal.aborted) return fail("aborted", "apply aborted before it started", true);
  const client = new pg.Client({
    connectionString: ctx.admin.url,
    application_name: "airlock-rotation",
    connectionTimeoutMillis: 10_000,
  });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query(createStateSql(ctx.config.stateTable));
    const locked = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock(hashtext($1)) AS locked", [
      `airlock-rotation:${pairKey(ctx.config.roles)}`,
    ]);
    if (locked.rows[0]?.locked !== true) return fail("busy", "another apply is rotating this role pair", true);
    const state = await loadState(client, ctx.config.stateTable, ctx.config.roles);
    if (state.fencingToken > request.fencingToken) {
      return fail("fenced", `fencing token ${request.fencingToken} is older than ${state.fencingToken}`, false);
    }
    const run = { ctx, client, request, state };
    switch (request.action.type) {
      case "rotate":
        return request.rollback ? undoRotate(run) : await rotate(run);
      case "revoke":
        return request.rollback ? await undoRevoke(run) : await revoke(run);
      default:
        return fail("invalid-action", `unknown action ${request.action.type}`, false);
    }
  } catch (error) {
    const failure = classifyPgError(error, ctx.admin);
    return fail(
      failure.code === "query" ? "sql-error" : failure.code,
      failure.message,
      failure.code !== "auth" && failure.code !== "query",
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

interface Run {
  readonly ctx: RotationContext;
  readonly client: pg.Client;
  readonly request: ActionRequest;
  readonly state: RotationState;
}

const observed = (state: RotationState, extra: Record<string, Json> = {}): Result => ({
  ok: true,
  value: {
    observedAtMs: Date.now(),
    state: { ...(describeState(state) as Record<string, Json>), ...extra },
    matches: true,
  },
});

async function rotate({ ctx, client, request, state }: Run): Promise<Result> {
  const { config } = ctx;
  if (state.rotateKey === request.idempotencyKey && state.rotateStatus === "published")
    return observed(state, { alreadyApplied: true });
  const resuming = state.rotateKey === request.idempotencyKey;
  const idle = otherRole(config.roles, state.activeRole);
  // Never take a role someone is logged in as: its sessions would be left on a
  // credential nobody can publish again. A resumed rotation's own consumers are fine.
  const busy = resuming ? [] : await sessionsOf(client, idle);
  if (busy.length > 0) {
    return fail(
      "idle-role-in-use",
      `role ${idle} has sessions (${busy.join(", ")}); is ${state.activeRole} really the active role?`,
      false,
    );
  }

  const password = randomBytes(32).toString("base64url");
  const print = fingerprint(password);
  await client.query(`ALTER ROLE "${idle}" WITH LOGIN PASSWORD '${scramVerifier(password)}'`);
  const login = await checkLogin(ctx.admin, idle, password);
  if (login !== undefined) return fail("login-failed", login, false);
  const pending: RotationState = {
    ...state,
    rotateKey: request.idempotencyKey,
    rotateStatus: "pending",
    fingerprint: print,
    revokeKey: null,
    fencingToken: request.fencingToken,
  };
  await saveState(client, config.stateTable, config.roles, pending);

  const url = new URL(ctx.admin.url);
  const published = await publishCredential(
    config.publisher,
    {
      username: idle,
      password,
      host: url.searchParams.get("host") ?? url.hostname,
      port: url.port === "" ? 5432 : Number(url.port),
      database: decodeURIComponent(url.pathname.replace(/^\//, "")),
      fingerprint: print,
    },
    {
      planDir: ctx.planDir,
      env: ctx.env,
      operationId: request.operationId,
      idempotencyKey: request.idempotencyKey,
      fencingToken: request.fencingToken,
      signal: request.signal,
    },
  );
  if (!published.ok) return fail("publish-failed", published.message, true);
  const done: RotationState = {
    ...pending,
    activeRole: idle,
    previousRole: state.activeRole,
    rotateStatus: "published",
  };
  await saveState(client, config.stateTable, config.roles, done);
  return observed(done, { alreadyApplied: false, published: published.published });
}

async function revoke({ ctx, client, request, state }: Run): Promise<Result> {
  const { config } = ctx;
  const old = state.previousRole;
  if (state.rotateStatus !== "published" || old === null)
    return fail("nothing-to-revoke", "no published rotation to revoke", false);
  if (state.revokeKey === request.idempotencyKey) return observed(state, { alreadyApplied: true });
  const sessions = await sessionsOf(client, old);
  if (sessions.length > 0) {
    return fail(
      "old-role-in-use",
      `role ${old} still has sessions: ${sessions.join(", ")}; never revoked under a consumer`,
      true,
    );
  }
  const sql =
    config.revoke === "nologin"
      ? `ALTER ROLE "${old}" NOLOGIN`
      : `ALTER ROLE "${old}" PASSWORD '${scramVerifier(randomBytes(32).toString("base64url"))}'`;
  await client.query(sql);
  const done: RotationState = { ...state, revokeKey: request.idempotencyKey, fencingToken: request.fencingToken };
  await saveState(client, config.stateTable, config.roles, done);
  return observed(done, { alreadyApplied: false, revokedRole: old, revoke: config.revoke });
}

// A rotation is additive: the previous role keeps its password until revoked,
// so there is nothing to undo (the consumers that moved keep working).
function undoRotate({ state }: Run): Result {
  return observed(state, { note: "nothing to undo: the previous role still logs in until revoked" });
}

async function undoRevoke({ ctx, client, request, state }: Run): Promise<Result> {
  const { config } = ctx;
  if (config.revoke !== "nologin") return fail("one-way", "a scrambled password cannot be restored", false);
  if (state.previousRole === null) return observed(state, { note: "nothing was revoked" });
  await client.query(`ALTER ROLE "${state.previousRole}" LOGIN`);
  const done: RotationState = { ...state, revokeKey: null, fencingToken: request.fencingToken };
  await saveState(client, config.stateTable, config.roles, done);
  return observed(done, { restoredLogin: state.previousRole });
}

/** `application_name (count)` of every session logged in as `role`, except our own. */
export async function sessionsOf(client: pg.ClientBase, role: string): Promise<string[]> {
  const result = await client.query<{ app: string; n: number }>(
    `SELECT coalesce(nullif(application_name, ''), '(unnamed)') AS app, count(*)::int AS n FROM pg_stat_activity
     WHERE usename = $1 AND pid <> pg_backend_pid() GROUP BY 1 ORDER BY 1`,
    [role],
  );
  return result.rows.map((row) => `${row.app} (${row.n})`);
}

/** Logs in as `role` with `password`; an error message, or `undefined` when it worked. */
async function checkLogin(admin: PgEndpoint, role: string, password: string): Promise<string | undefined> {
  const endpoint = withCredentials(admin, role, password);
  const client = new pg.Client({
    connectionString: endpoint.url,
    application_name: "airlock-login-check",
    connectionTimeoutMillis: 10_000,
  });
  client.on("error", () => undefined);
  try {
    await client.connect();
    const result = await client.query<{ user: string }>("SELECT current_user AS user");
    return result.rows[0]?.user === role ? undefined : `logged in as ${result.rows[0]?.user}, expected ${role}`;
  } catch (error) {
    return `login as ${role} with the new password failed: ${classifyPgError(error, endpoint).message}`;
  } finally {
    await client.end().catch(() => undefined);
  }
}
