/**
 * One read of the router: its servers and process facts, together, plus the
 * JSON summary recorded in observations. Also the node references hooks
 * and drain reports need.
 */
import type { Json, TargetResult } from "../target.ts";
import type { NodeRef } from "./node-hook.ts";
import type { RouterDriver, RouterInfo, ServerStat } from "./router-driver.ts";
import { cohortOf, type ServerPatterns } from "./server-sets.ts";

/** Servers and process facts read at (almost) the same moment. */
export interface RouterSnapshot {
  readonly servers: readonly ServerStat[];
  readonly info: RouterInfo;
}

/** Reads servers and info concurrently. Safe to retry; failures are the driver's values. */
export async function readSnapshot(driver: RouterDriver, signal: AbortSignal): Promise<TargetResult<RouterSnapshot>> {
  const [servers, info] = await Promise.all([driver.servers(signal), driver.info(signal)]);
  if (!servers.ok) return servers;
  if (!info.ok) return info;
  return { ok: true, value: { servers: servers.value, info: info.value } };
}

/** The observation's `state`: every server's cohort, weight, admin state and status (never secrets). Pure. */
export function summarise(snapshot: RouterSnapshot, patterns: ServerPatterns): Json {
  return {
    routerStartedAtMs: snapshot.info.startedAtMs,
    servers: snapshot.servers.map((server) => ({
      name: server.name,
      cohort: cohortOf(server.name, patterns),
      weight: server.weight,
      adminState: server.adminState,
      status: server.status,
    })),
  };
}

/**
 * The node behind a server, for hooks and drain reports: the configured
 * address wins over the router's. A server with neither is a non-retryable
 * `no-address` failure. Pure.
 */
export function nodeRef(
  server: ServerStat,
  addresses: Readonly<Record<string, string>> | undefined,
): TargetResult<NodeRef> {
  const address = addresses?.[server.name] ?? server.address;
  if (address === undefined) {
    return {
      ok: false,
      code: "no-address",
      message: `the router reports no address for ${server.name}: list it under the target's addresses`,
      retryable: false,
    };
  }
  return { ok: true, value: { name: server.name, address } };
}
