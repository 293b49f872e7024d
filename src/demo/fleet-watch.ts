/**
 * Watches the router independently of the operation, to measure the halt
 * latency from the outside: when the bad node's error counter first moved,
 * and when every candidate server's weight reached 0. Polls the router's own
 * statistics every `intervalMs` (50 by default), so each time is accurate to
 * one interval; the first error is dated to the poll before the one that saw
 * it (an overestimate of the latency, never an underestimate).
 */
import type { RouterDriver, ServerStat } from "../targets/traffic/router-driver.ts";

/** A running watch. */
export interface FleetWatch {
  /** When `server`'s error counter first rose above its value at the start, ms since the epoch. */
  firstErrorAtMs(server: string): number | undefined;
  /** The first poll at or after `afterMs` that saw every candidate at weight 0. */
  candidateOutAtMs(afterMs: number): number | undefined;
  /** Stops polling. Idempotent. */
  stop(): Promise<void>;
}

interface Poll {
  readonly atMs: number;
  readonly candidateWeight: number;
}

/** Starts polling `driver`; `candidates` are the candidate server names. */
export function watchFleet(driver: RouterDriver, candidates: readonly string[], intervalMs = 50): FleetWatch {
  const baseline = new Map<string, number>();
  const firstError = new Map<string, number>();
  const polls: Poll[] = [];
  let previousPollAtMs: number | undefined;
  const stopped = new AbortController();

  const record = (servers: readonly ServerStat[], atMs: number): void => {
    for (const server of servers) {
      const before = baseline.get(server.name);
      if (before === undefined) baseline.set(server.name, server.errorsTotal);
      else if (server.errorsTotal > before && !firstError.has(server.name))
        firstError.set(server.name, previousPollAtMs ?? atMs);
    }
    const weight = servers
      .filter((server) => candidates.includes(server.name))
      .reduce((sum, server) => sum + server.weight, 0);
    polls.push({ atMs, candidateWeight: weight });
    previousPollAtMs = atMs;
  };

  const loop = (async () => {
    while (!stopped.signal.aborted) {
      const atMs = Date.now();
      const servers = await driver.servers(AbortSignal.any([stopped.signal, AbortSignal.timeout(2000)]));
      if (servers.ok) record(servers.value, atMs);
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();

  return {
    firstErrorAtMs: (server) => firstError.get(server),
    candidateOutAtMs: (afterMs) => polls.find((poll) => poll.atMs >= afterMs && poll.candidateWeight === 0)?.atMs,
    async stop() {
      stopped.abort();
      await loop;
    },
  };
}
