/**
 * {@link RouterDriver} for the built-in router (`src/router/`), over its admin
 * HTTP API. Every method is safe to retry, has a deadline, and returns
 * failures as values.
 */
import { z } from "zod";
import type { TargetResult } from "../../target.ts";
import type { AdminState, RouterDriver, RouterInfo, ServerStat, SessionInfo } from "../router-driver.ts";
import { type AdminClientOptions, adminRequest } from "./admin-client.ts";

/** Where the router's admin API is and how to talk to it. */
export interface BuiltinRouterDriverOptions {
  /** Admin base URL, e.g. `http://127.0.0.1:9901` (the router's `adminUrl`). */
  readonly adminUrl: string;
  /** Bearer token for mutations, when the router has one. */
  readonly adminToken?: string;
  /** Deadline of one call on top of the caller's signal. Default 2000. */
  readonly timeoutMs?: number;
}

const AdminStateSchema = z.enum(["ready", "drain", "maint"]);
const Count = z.number().int().min(0);
const ServerStatSchema = z.object({
  name: z.string(),
  weight: Count,
  initialWeight: Count,
  adminState: AdminStateSchema,
  status: z.string(),
  currentSessions: Count,
  queued: Count,
  requestsTotal: Count,
  errorsTotal: Count,
  url: z.string().optional(),
});
const ServersAnswer = z.object({ servers: z.array(ServerStatSchema) });
const SessionsAnswer = z.object({ sessions: z.array(z.object({ server: z.string(), ageMs: z.number().min(0) })) });
const InfoAnswer = z.object({ startedAtMs: z.number(), nowMs: z.number() });
const ServerAnswer = z.object({ server: ServerStatSchema });

const CLOSED: TargetResult<never> = { ok: false, code: "closed", message: "the driver is closed", retryable: false };

/** The built-in router's driver. The router has one pool, so every server is in scope. */
export class BuiltinRouterDriver implements RouterDriver {
  private readonly client: AdminClientOptions;
  private closed = false;

  constructor(options: BuiltinRouterDriverOptions) {
    this.client = {
      adminUrl: options.adminUrl.replace(/\/+$/, ""),
      timeoutMs: options.timeoutMs ?? 2000,
      ...(options.adminToken === undefined ? {} : { adminToken: options.adminToken }),
    };
  }

  /** Every server with its counters (`GET /servers`). */
  async servers(signal: AbortSignal): Promise<TargetResult<readonly ServerStat[]>> {
    if (this.closed) return CLOSED;
    const answer = await adminRequest(this.client, { method: "GET", path: "/servers", schema: ServersAnswer }, signal);
    return answer.ok ? { ok: true, value: answer.value.servers.map(withAddress) } : answer;
  }

  /** Every in-flight request with its server and age (`GET /sessions`). */
  async sessions(signal: AbortSignal): Promise<TargetResult<readonly SessionInfo[]>> {
    if (this.closed) return CLOSED;
    const answer = await adminRequest(
      this.client,
      { method: "GET", path: "/sessions", schema: SessionsAnswer },
      signal,
    );
    return answer.ok ? { ok: true, value: answer.value.sessions } : answer;
  }

  /** Set a server's weight, an integer 0–256; other values fail as `invalid-weight` without a call. Idempotent. */
  async setWeight(server: string, weight: number, signal: AbortSignal): Promise<TargetResult<void>> {
    if (!Number.isInteger(weight) || weight < 0 || weight > 256) {
      return {
        ok: false,
        code: "invalid-weight",
        message: `weight must be an integer 0-256, got ${weight}`,
        retryable: false,
      };
    }
    return this.mutate(server, "weight", { weight }, signal);
  }

  /** Set a server's admin state. Idempotent. */
  setState(server: string, state: AdminState, signal: AbortSignal): Promise<TargetResult<void>> {
    return this.mutate(server, "state", { state }, signal);
  }

  /** The router's start time and clock (`GET /info`). */
  async info(signal: AbortSignal): Promise<TargetResult<RouterInfo>> {
    if (this.closed) return CLOSED;
    return adminRequest(this.client, { method: "GET", path: "/info", schema: InfoAnswer }, signal);
  }

  /** Later calls fail with `closed`. Idempotent; the driver holds no sockets of its own. */
  async close(): Promise<void> {
    this.closed = true;
  }

  private async mutate(
    server: string,
    field: "weight" | "state",
    body: unknown,
    signal: AbortSignal,
  ): Promise<TargetResult<void>> {
    if (this.closed) return CLOSED;
    const path = `/servers/${encodeURIComponent(server)}/${field}`;
    const answer = await adminRequest(this.client, { method: "PUT", path, body, schema: ServerAnswer }, signal);
    return answer.ok ? { ok: true, value: undefined } : answer;
  }
}

/** Replaces the router's backend `url` with the `host:port` address of the contract. */
function withAddress(server: z.infer<typeof ServerStatSchema>): ServerStat {
  const { url, ...stat } = server;
  if (url === undefined || !URL.canParse(url)) return stat;
  const parsed = new URL(url);
  const port = parsed.port === "" ? (parsed.protocol === "https:" ? "443" : "80") : parsed.port;
  return { ...stat, address: `${parsed.hostname}:${port}` };
}
