import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { parsePlan } from "./parse.ts";
import { testingRegistries } from "./testing-kinds.ts";
import { examplePlan } from "./testing-plans.ts";
import type { Plan } from "./types.ts";

const registries = testingRegistries();

function planOf(source: string): { plan: Plan; hash: string } {
  const result = parsePlan(source, "plan.yaml", registries);
  if (!result.ok) throw new Error(result.errors.map((e) => `${e.path}: ${e.message}`).join("\n"));
  return result;
}

const MINIMAL = `name: small
domain: prod-eu
target: { kind: traffic, backend: be_app }
stages:
  - name: all
    action: { type: retire, nodes: [v1-a] }
`;

describe("normalisation", () => {
  it("fills every default of a minimal plan", () => {
    expect(planOf(MINIMAL).plan).toEqual({
      name: "small",
      domain: "prod-eu",
      claims: ["traffic:be_app"],
      sensors: {},
      target: { kind: "traffic", config: { backend: "be_app" } },
      stages: [
        {
          name: "all",
          action: { type: "retire", params: { nodes: ["v1-a"] } },
          gates: {},
          timeouts: { stageMs: 3_600_000, drainMs: 1_800_000, sensorBlindMs: 120_000 },
        },
      ],
      guards: [],
      onHalt: "pause",
      intervalMs: 1000,
      windows: [],
      consumers: [],
    } satisfies Plan);
  });

  it("merges plan defaults into stage timeouts per field and into sensor max ages", () => {
    const { plan } = planOf(stringify(examplePlan()));
    expect(plan.stages.map((stage) => stage.timeouts)).toEqual([
      { stageMs: 1_800_000, drainMs: 300_000, sensorBlindMs: 60_000 },
      { stageMs: 1_800_000, drainMs: 600_000, sensorBlindMs: 60_000 },
    ]);
    expect(Object.values(plan.sensors).map((sensor) => [sensor.maxAgeMs, sensor.counter])).toEqual([
      [5_000, false],
      [10_000, false],
      [10_000, true],
    ]);
  });

  it("keeps each sensor's config as its kind parsed it, defaults filled", () => {
    const source = `${MINIMAL}sensors:\n  inflight: { kind: http, url: "http://127.0.0.1:9000/", path: "$.n", maxAge: 2s }\n`;
    expect(planOf(source).plan.sensors.inflight).toEqual({
      kind: "http",
      maxAgeMs: 2_000,
      counter: false,
      config: { url: "http://127.0.0.1:9000/", path: "$.n", timeoutMs: 2000 },
    });
  });

  it("defaults a sensor's max age to three intervals", () => {
    const source = `${MINIMAL}interval: 2s\nsensors:\n  depth: { kind: fake, values: [1] }\n`;
    expect(planOf(source).plan.sensors.depth?.maxAgeMs).toBe(6_000);
  });

  it("turns each comparison key into an operator and threshold, with aggregate and consecutive defaults", () => {
    const conditions = ["max: 1", "min: 2", "below: 3", "above: 4", "equals: 5"]
      .map((comparison) => `{ sensor: target.ready, ${comparison} }`)
      .join(", ");
    const source = MINIMAL.replace("action:", `gates: { ready: [${conditions}] }\n    action:`);
    expect(planOf(source).plan.stages[0]?.gates.conditions?.ready).toEqual(
      [
        ["<=", 1],
        [">=", 2],
        ["<", 3],
        [">", 4],
        ["==", 5],
      ].map(([op, threshold]) => ({ sensor: "target.ready", aggregate: "every", consecutive: 1, op, threshold })),
    );
  });

  it("adds the target kind's default gates before the stage's own, never replacing them", () => {
    const { plan } = planOf(stringify(examplePlan()));
    expect(plan.stages[0]?.gates).toEqual({
      conditions: {
        ready: [{ sensor: "target.ready", aggregate: "every", op: ">=", threshold: 1, consecutive: 1 }],
        drained: [
          { sensor: "target.displaced", aggregate: "sum", op: "<=", threshold: 0, consecutive: 1 },
          {
            sensor: "legacy_inflight",
            aggregate: "sum",
            op: "<=",
            threshold: 0,
            consecutive: 1,
            label: "displaced legacy requests",
          },
        ],
        replicated: [
          {
            sensor: "requests",
            aggregate: "every",
            op: ">",
            threshold: 0,
            consecutive: 1,
            where: { cohort: "candidate" },
            expectNodes: ["v2-a"],
          },
        ],
      },
      bakeMs: 30_000,
      confirmedBy: ["alice", "release-bot"],
    });
  });

  it("claims the plan's targets and the target kind's own, once each", () => {
    const source = `${MINIMAL}targets: ["service:checkout", "traffic:be_app"]\n`;
    expect(planOf(source).plan.claims).toEqual(["service:checkout", "traffic:be_app"]);
  });

  it("turns days into numbers and times into minutes, in the zone's canonical name", () => {
    const source = `${MINIMAL}windows:\n  - { days: [sat, fri, fri], from: "22:00", to: "02:00", timeZone: europe/berlin }\n  - { days: [sun], from: "00:00", to: "24:00", timeZone: UTC }\n`;
    expect(planOf(source).plan.windows).toEqual([
      { days: [5, 6], startMinute: 1320, endMinute: 120, timeZone: "Europe/Berlin" },
      { days: [0], startMinute: 0, endMinute: 1440, timeZone: "UTC" },
    ]);
  });

  it("normalises guards with their defaults", () => {
    const source = `${MINIMAL}guards:\n  - { name: e, threshold: { sensor: target.errors, max: 3 } }\n  - { name: s, supercriticality: { requests: target.requests, errors: target.errors } }\n`;
    expect(planOf(source).plan.guards).toEqual([
      {
        kind: "threshold",
        name: "e",
        condition: { sensor: "target.errors", aggregate: "every", op: "<=", threshold: 3, consecutive: 1 },
        failureLimit: 0,
      },
      {
        kind: "supercriticality",
        name: "s",
        requests: "target.requests",
        errors: "target.errors",
        cohorts: { label: "cohort", legacy: "legacy", candidate: "candidate" },
        mode: "sequential",
        ratio: 5,
        minDelta: 0.005,
        alpha: 0.001,
        referenceWindowMs: 60_000,
        minRequests: 20,
      },
    ]);
  });

  describe("hash", () => {
    it("ignores key order, comments, format and spelled-out defaults", () => {
      const reordered = Object.fromEntries(Object.entries(examplePlan()).reverse());
      const hashes = [
        planOf(stringify(examplePlan())).hash,
        planOf(`# a comment\n${stringify(reordered)}`).hash,
        planOf(JSON.stringify(examplePlan())).hash,
      ];
      expect(new Set(hashes).size).toBe(1);
      expect(planOf(`${MINIMAL}interval: 1s\nonHalt: pause\n`).hash).toBe(planOf(MINIMAL).hash);
    });

    it("changes when the meaning changes", () => {
      expect(planOf(`${MINIMAL}interval: 2s\n`).hash).not.toBe(planOf(MINIMAL).hash);
      expect(planOf(MINIMAL.replace("v1-a", "v1-b")).hash).not.toBe(planOf(MINIMAL).hash);
    });
  });
});
