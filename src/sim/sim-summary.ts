/**
 * The summary of one simulated run (`airlock simulate --json`): plain,
 * rounded numbers so that the same seed prints the same text.
 */
import type { Json } from "../targets/target.ts";
import type { FleetSample } from "./fleet-counters.ts";
import type { SimFleet } from "./sim-fleet.ts";

/** Strategies the simulator runs. `airlock` is the user's plan on the real engine. */
export const STRATEGIES = ["airlock", "naive", "timer-canary-typical", "timer-canary-safe"] as const;

/** One of {@link STRATEGIES}. */
export type Strategy = (typeof STRATEGIES)[number];

/** One stage's times, seconds since the run started. */
export interface StageTimes {
  readonly name: string;
  readonly track: "forward" | "rollback";
  readonly startedS: number;
  readonly endedS: number | null;
}

/** A halt (Airlock) or an analysis abort (timer canaries). */
export interface HaltSummary {
  readonly atS: number;
  readonly code: string;
  readonly message: string;
  readonly evidence: Json;
}

/** The answer to "how long will this rollout take, and what happens if the candidate is bad?". */
export interface SimulationSummary {
  readonly strategy: Strategy;
  readonly release: "good" | "bad";
  readonly seed: number;
  readonly nodes: number;
  readonly outcome: string;
  /** From the first action to the operation's end (completed, rolled back, halted, aborted). */
  readonly durationS: number;
  /** Simulated time the world ran: the operation, nodes still stopping after it, and any `--duration` beyond. */
  readonly simulatedS: number;
  readonly requests: number;
  readonly failedRequests: number;
  readonly failedBy: {
    readonly connectionRefused: number;
    readonly poolExhausted: number;
    readonly killed: number;
    readonly releaseErrors: number;
    readonly noServer: number;
  };
  readonly p99Ms: number;
  readonly peakDbConnections: number;
  readonly dbMaxConnections: number;
  readonly jobsKilled: number;
  readonly jobsRefused: number;
  /** Idle connections (a pool's minimum) the database refused; each is retried a second later. */
  readonly idleConnectionsRefused: number;
  readonly badNodeRequests: number;
  readonly halt: HaltSummary | null;
  readonly stages: readonly StageTimes[];
  readonly notes: readonly string[];
  /** Per simulated second (only with `series`). */
  readonly series?: readonly FleetSample[];
}

const round = (value: number, digits = 1): number => Number(value.toFixed(digits));

/** The fleet's counters as summary fields. Pure over the fleet's state. */
export function fleetFigures(
  fleet: SimFleet,
  dbMaxConnections: number,
): Pick<
  SimulationSummary,
  | "requests"
  | "failedRequests"
  | "failedBy"
  | "p99Ms"
  | "peakDbConnections"
  | "dbMaxConnections"
  | "jobsKilled"
  | "jobsRefused"
  | "idleConnectionsRefused"
  | "badNodeRequests"
> {
  const c = fleet.counters;
  return {
    requests: c.requests,
    failedRequests: c.failedRequests,
    failedBy: {
      connectionRefused: c.connectionRefused,
      poolExhausted: c.poolExhausted,
      killed: c.killed,
      releaseErrors: c.releaseErrors,
      noServer: c.noServer,
    },
    p99Ms: round(fleet.latency.quantile(0.99)),
    peakDbConnections: fleet.peakDbConnections,
    dbMaxConnections,
    jobsKilled: c.jobsKilled,
    jobsRefused: c.jobsRefused,
    idleConnectionsRefused: fleet.pools.idleRefused,
    badNodeRequests: c.badNodeRequests,
  };
}

/** Seconds since `startMs`, to 0.1 s. */
export function secondsSince(startMs: number, atMs: number): number {
  return round((atMs - startMs) / 1000);
}
