/**
 * Plans for the server's tests, built from `fake` sensors and targets only
 * (so they may be submitted over the API): a three-stage rollout whose
 * stages seal after a bake, over a fleet of three legacy nodes and one
 * candidate whose per-node request and error counters are scripted — healthy
 * for `healthyTicks` reads, then, with `badTicks`, the candidate fails 30% of
 * its requests while the fleet fails 1%, which the detector halts on.
 */

/** Options of {@link fleetPlan}. */
export interface FleetPlanOptions {
  readonly name: string;
  readonly domain: string;
  /** Minimum observation of each of the three stages. Default 1s each. */
  readonly bakes?: readonly [string, string, string];
  /** Reads with every node at 1% errors. Default 60 (then the counters stop: the nodes look idle). */
  readonly healthyTicks?: number;
  /** Reads with the candidate at 30% errors after the healthy ones. Default 0. */
  readonly badTicks?: number;
  readonly onHalt?: "pause" | "rollback";
  /** Evaluation interval. Default 250ms. */
  readonly interval?: string;
  readonly consumers?: readonly string[];
}

const NODES = ["v1-a", "v1-b", "v1-c", "v2-a"] as const;
const LABELS = Object.fromEntries(NODES.map((n) => [n, { cohort: n.startsWith("v2") ? "candidate" : "legacy" }]));

/** The plan as plain data (send it as JSON). */
export function fleetPlan(options: FleetPlanOptions): Record<string, unknown> {
  const healthy = options.healthyTicks ?? 60;
  const bad = options.badTicks ?? 0;
  const requests: unknown[] = [];
  const errors: unknown[] = [];
  const totals = Object.fromEntries(NODES.map((n) => [n, { requests: 0, errors: 0 }]));
  for (let tick = 0; tick < healthy + bad; tick++) {
    for (const node of NODES) {
      const total = totals[node];
      if (total === undefined) continue;
      total.requests += 100;
      total.errors += node === "v2-a" && tick >= healthy ? 30 : 1;
    }
    requests.push({ values: Object.fromEntries(NODES.map((n) => [n, totals[n]?.requests ?? 0])), labels: LABELS });
    errors.push({ values: Object.fromEntries(NODES.map((n) => [n, totals[n]?.errors ?? 0])) });
  }
  const bakes = options.bakes ?? ["1s", "1s", "1s"];
  const stage = (name: string, candidatePercent: number, bake: string) => ({
    name,
    action: { type: "run", candidatePercent },
    gates: { drained: [{ sensor: "inflight", max: 0, label: "legacy in-flight" }], bake },
  });
  return {
    name: options.name,
    domain: options.domain,
    interval: options.interval ?? "250ms",
    onHalt: options.onHalt ?? "pause",
    consumers: options.consumers ?? ["billing"],
    defaults: { maxAge: "10s", timeouts: { stage: "5m", drain: "5m", sensorBlind: "5m" } },
    sensors: {
      inflight: { kind: "fake", script: [{ value: 4 }, { value: 2 }, { value: 0 }] },
      requests: { kind: "fake", counter: true, script: requests },
      errors: { kind: "fake", counter: true, script: errors },
    },
    target: { kind: "fake", claims: [`fake:${options.name}`] },
    stages: [stage("canary", 10, bakes[0]), stage("half", 50, bakes[1]), stage("full", 100, bakes[2])],
    guards: [
      {
        name: "node-errors",
        supercriticality: {
          requests: "requests",
          errors: "errors",
          cohorts: { label: "cohort", legacy: "legacy", candidate: "candidate" },
          ratio: 5,
          minDelta: 0.005,
          alpha: 0.01,
        },
      },
    ],
  };
}
