/**
 * A valid plan for the plan tests, using the kinds of `testing-kinds.ts`:
 * every surface feature appears once, so mutations can reach all of them.
 */

/** A fresh copy of the example plan as plain data (serialise it as YAML or JSON). */
export function examplePlan(): Record<string, unknown> {
  return {
    name: "checkout-v2",
    kind: "Rollout",
    domain: "prod-eu",
    targets: ["service:checkout"],
    interval: "1s",
    onHalt: "pause",
    defaults: { maxAge: "10s", timeouts: { stage: "30m", drain: "10m", sensorBlind: "1m" } },
    windows: [{ days: ["mon", "tue", "wed", "thu", "fri"], from: "09:00", to: "16:00", timeZone: "Europe/Berlin" }],
    after: { operation: "schema-expand", stage: "expand" },
    consumers: ["billing", "search"],
    sensors: {
      legacy_inflight: {
        kind: "http",
        url: "http://127.0.0.1:9000/drain",
        path: "$.inflight",
        maxAge: "5s",
        counter: false,
      },
      error_rate: { kind: "fake", values: [0.01] },
      requests: { kind: "fake", values: [100], counter: true },
    },
    target: { kind: "traffic", backend: "be_app" },
    stages: [
      {
        name: "canary",
        action: { type: "weight", candidatePercent: 10 },
        gates: {
          ready: [{ sensor: "target.ready", min: 1 }],
          drained: [{ sensor: "legacy_inflight", max: 0, aggregate: "sum", label: "displaced legacy requests" }],
          replicated: [{ sensor: "requests", above: 0, where: { cohort: "candidate" }, expectNodes: ["v2-a"] }],
          bake: "30s",
          confirmed: ["alice", "release-bot"],
        },
        timeouts: { drain: "5m" },
      },
      {
        name: "retire-legacy",
        action: { type: "retire", nodes: ["v1-a"] },
        gates: { drained: [{ sensor: "target.displaced", below: 1, consecutive: 3 }] },
      },
    ],
    guards: [
      {
        name: "error-rate",
        threshold: { sensor: "error_rate", max: 0.05, divideBy: "requests" },
        failureLimit: 2,
        consecutiveFailureLimit: 1,
      },
      {
        name: "supercritical",
        supercriticality: {
          requests: "target.requests",
          errors: "target.errors",
          cohorts: { label: "cohort", legacy: "legacy", candidate: "candidate" },
          mode: "sequential",
          ratio: 5,
          minDelta: 0.005,
          alpha: 0.001,
          referenceWindow: "60s",
          minRequests: 20,
        },
      },
    ],
  };
}
