/**
 * The plan every benchmark operation runs: 20 synthetic sensors (13 scalars,
 * 7 ten-node vectors, 6 of them counters), a supercriticality guard and a
 * threshold guard, and `stages` stages whose drain gates pass once the
 * displaced work has fallen to zero and whose bake gate passes after
 * `bakeSeconds`. Every sensor is read on every tick while a stage seals.
 */

/** Shape of the generated plans. */
export interface BenchPlanOptions {
  readonly stages: number;
  /** Minimum observation time per stage, in virtual seconds. */
  readonly bakeSeconds: number;
}

/** Sensors per plan, as the benchmark reports them. */
export const SENSORS_PER_OPERATION = 20;

const NODES = 10;

/** Seconds operation `index`'s displaced work takes to drain: 20–80% of the bake time, at least 1 s. */
export function drainSecondsFor(index: number, bakeSeconds: number): number {
  return Math.max(1, Math.round(bakeSeconds * (0.2 + (0.6 * (index % 10)) / 9)));
}

function sensors(drainSeconds: number): Record<string, Record<string, unknown>> {
  const gauge = (level: number, nodes = 0) => ({ kind: "synthetic", shape: "gauge", level, nodes });
  const counter = (perSecond: number, nodes = 0) => ({
    kind: "synthetic",
    shape: "counter",
    perSecond,
    nodes,
    counter: true,
  });
  const drain = (level: number, nodes = 0) => ({ kind: "synthetic", shape: "drain", level, nodes, drainSeconds });
  return {
    requests: counter(40, NODES),
    errors: counter(0.2, NODES),
    bytes: counter(40_000, NODES),
    hits: counter(400),
    retries: counter(2),
    restarts: counter(0),
    sessions: drain(30, NODES),
    connections: drain(12, NODES),
    inflight: drain(50),
    queue: drain(8),
    cpu: gauge(40, NODES),
    memory: gauge(55, NODES),
    latency_p99: gauge(120),
    ready_nodes: gauge(10),
    error_rate: gauge(0.005),
    replica_lag: gauge(0.2),
    saturation: gauge(0.4),
    gc_pause: gauge(15),
    disk: gauge(0.5),
    temperature: gauge(55),
  };
}

/** Gate conditions over every sensor the guards do not read. */
function gates(bakeSeconds: number): Record<string, unknown> {
  return {
    ready: [
      { sensor: "ready_nodes", min: 9 },
      { sensor: "cpu", aggregate: "every", max: 90 },
      { sensor: "memory", aggregate: "max", max: 95 },
      { sensor: "saturation", max: 0.9 },
      { sensor: "temperature", max: 80 },
    ],
    drained: [
      { sensor: "sessions", where: { cohort: "legacy" }, aggregate: "every", max: 0, label: "legacy sessions" },
      { sensor: "connections", aggregate: "sum", max: 0 },
      { sensor: "inflight", max: 0 },
      { sensor: "queue", max: 0 },
      { sensor: "bytes", aggregate: "max", max: 1e9 },
      { sensor: "hits", min: 0 },
      { sensor: "retries", max: 100 },
      { sensor: "restarts", max: 0 },
      { sensor: "error_rate", max: 0.05 },
      { sensor: "replica_lag", max: 5 },
      { sensor: "gc_pause", max: 200 },
      { sensor: "disk", max: 0.9 },
    ],
    bake: `${bakeSeconds}s`,
  };
}

/** The plan source (JSON, which the YAML plan parser reads) of operation `index`, on its own domain. */
export function benchPlanSource(index: number, options: BenchPlanOptions): string {
  const stageGates = gates(options.bakeSeconds);
  const plan = {
    name: `bench-${index}`,
    domain: `bench-domain-${index}`,
    interval: "1s",
    defaults: { timeouts: { stage: "1h", drain: "1h", sensorBlind: "1h" } },
    sensors: sensors(drainSecondsFor(index, options.bakeSeconds)),
    target: { kind: "fake", claims: [`fake:bench-${index}`] },
    stages: Array.from({ length: options.stages }, (_, i) => ({
      name: `stage-${i + 1}`,
      action: { type: "run", step: i + 1 },
      gates: stageGates,
    })),
    guards: [
      { name: "supercriticality", supercriticality: { requests: "requests", errors: "errors" } },
      { name: "latency", threshold: { sensor: "latency_p99", max: 500 }, consecutiveFailureLimit: 3 },
    ],
  };
  return JSON.stringify(plan, null, 1);
}
