/** Server stats for the traffic target's unit tests. */
import type { ServerStat } from "./router-driver.ts";

/** The patterns the tests use. */
export const PATTERNS = { legacy: "v1-*", candidate: "v2-*" } as const;

/** A ready, UP, idle server with weight 100, changed by `overrides`. */
export function server(name: string, overrides: Partial<ServerStat> = {}): ServerStat {
  return {
    name,
    weight: 100,
    initialWeight: 100,
    adminState: "ready",
    status: "UP",
    currentSessions: 0,
    queued: 0,
    requestsTotal: 0,
    errorsTotal: 0,
    ...overrides,
  };
}

/** Ready servers by name. */
export function servers(...names: string[]): ServerStat[] {
  return names.map((name) => server(name));
}
