import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { z } from "zod";
import { sensorRegistry } from "../sensors/registry.ts";
import type { SensorDefinition } from "../sensors/sensor.ts";
import { targetRegistry } from "../targets/registry.ts";
import type { TargetDefinition } from "../targets/target.ts";
import { type PlanError, parsePlan } from "./parse.ts";
import { testingRegistries } from "./testing-kinds.ts";
import { examplePlan } from "./testing-plans.ts";

const registries = testingRegistries();

function errorsOf(source: string): readonly PlanError[] {
  const result = parsePlan(source, "plan.yaml", registries);
  if (result.ok) throw new Error("expected the plan to be rejected");
  return result.errors;
}

/** The example plan as YAML with `change` applied to its data. */
function exampleWith(change: (plan: Record<string, unknown>) => void): string {
  const plan = examplePlan();
  change(plan);
  return stringify(plan);
}

const MINIMAL = `name: small
domain: prod-eu
target: { kind: traffic, backend: be_app }
stages:
  - name: all
    action: { type: weight, candidatePercent: 100 }
`;

describe("parsePlan", () => {
  it("accepts the example plan written as YAML or as JSON, with the same hash", () => {
    const yaml = parsePlan(stringify(examplePlan()), "plan.yaml", registries);
    const json = parsePlan(JSON.stringify(examplePlan(), null, 2), "plan.json", registries);
    expect(yaml.ok && json.ok).toBe(true);
    if (yaml.ok && json.ok) {
      expect(json.plan).toEqual(yaml.plan);
      expect(json.hash).toBe(yaml.hash);
      expect(yaml.hash).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it("reports three different mistakes as three errors, each with its line and field", () => {
    const source = `name: checkout-v2
domain: prod-eu
interval: 5
sensors:
  inflight: { kind: http, url: "http://127.0.0.1:9000/drain", path: "$.inflight" }
target: { kind: traffic, backend: be_app }
stages:
  - name: canary
    action: { type: weight, candidatePercent: 10 }
    gates:
      drained: [{ sensor: inflite, max: 0 }]
guards:
  - name: errors
    threshold: { sensor: inflight, max: 0.05 }
    failureLimit: -1
`;
    expect(errorsOf(source).map(({ line, column, path }) => ({ line, column, path }))).toEqual([
      { line: 3, column: 11, path: "interval" },
      { line: 11, column: 27, path: "stages[0].gates.drained[0].sensor" },
      { line: 15, column: 19, path: "guards[0].failureLimit" },
    ]);
    const [interval, sensor, limit] = errorsOf(source).map((error) => error.message);
    expect(interval).toContain("use a duration like 30s");
    expect(sensor).toBe('undefined sensor "inflite" (defined: inflight; target sensors are written target.<name>)');
    expect(limit).toBe("expected a number >= 0, found -1");
    expect(errorsOf(source).every((error) => error.file === "plan.yaml")).toBe(true);
  });

  it("ignores a JSON plan's $schema member", () => {
    const plan = { $schema: "../schema/plan.schema.json", ...examplePlan() };
    const withSchema = parsePlan(JSON.stringify(plan), "plan.json", registries);
    const without = parsePlan(JSON.stringify(examplePlan()), "plan.json", registries);
    expect(withSchema.ok && without.ok && withSchema.hash === without.hash).toBe(true);
  });

  it("points a missing field at the mapping it belongs in", () => {
    const errors = errorsOf(
      MINIMAL.replace("    action: { type: weight, candidatePercent: 100 }\n", "    gates: {}\n"),
    );
    expect(errors).toEqual([
      {
        file: "plan.yaml",
        line: 5,
        column: 5,
        path: "stages[0].action",
        message: "required field missing: expected a mapping",
      },
    ]);
  });

  it("points an unknown field at its key", () => {
    const [error] = errorsOf(MINIMAL.replace("domain: prod-eu", "domain: prod-eu\nstagse: []"));
    expect(error).toMatchObject({ line: 3, column: 1, path: "stagse", message: 'unknown field "stagse"' });
  });

  it("says what was expected and what was found for a wrong type", () => {
    const [error] = errorsOf(MINIMAL.replace("domain: prod-eu", "domain: [prod, eu]"));
    expect(error).toMatchObject({ path: "domain", message: "expected a string, found a list of 2 items" });
  });

  it.each([
    ["a plan that is not a mapping", "- a\n- b\n", "", "expected a mapping, found a list of 2 items"],
    ["an empty document", "", "", "expected a mapping, found null (an empty value)"],
    ["a bad plan name", MINIMAL.replace("name: small", "name: Small Plan"), "name", 'found "Small Plan"'],
    ["an unknown preset", `${MINIMAL}kind: Deploy\n`, "kind", 'expected one of "Rollout"'],
    ["a bad onHalt", `${MINIMAL}onHalt: explode\n`, "onHalt", 'expected one of "pause", "rollback"'],
    ["a stage list that is empty", MINIMAL.replace(/stages:[\s\S]*/, "stages: []\n"), "stages", "at least 1 item"],
  ])("rejects %s", (_what, source, path, message) => {
    const [error] = errorsOf(source);
    expect(error?.path).toBe(path);
    expect(error?.message).toContain(message);
  });

  describe("kinds", () => {
    it("rejects unknown sensor and target kinds, listing the known ones, without follow-up errors", () => {
      const errors = errorsOf(
        exampleWith((plan) => {
          Object.assign(plan, { target: { kind: "haproxy", socket: "/run/h.sock" } });
          Object.assign(plan.sensors as object, { extra: { kind: "prometheus", query: "up" } });
        }),
      );
      expect(errors.map(({ path, message }) => ({ path, message }))).toEqual([
        { path: "sensors.extra.kind", message: 'unknown sensor kind "prometheus" (known: fake, http)' },
        { path: "target.kind", message: 'unknown target kind "haproxy" (known: traffic)' },
      ]);
    });

    it("validates sensor and target configs with the kind's schema, under the plan's paths", () => {
      const errors = errorsOf(
        exampleWith((plan) => {
          Object.assign(plan, { target: { kind: "traffic", backend: "" } });
          Object.assign(plan.sensors as object, {
            extra: { kind: "http", url: "not a url", path: "$.x", verb: "GET" },
          });
        }),
      );
      expect(errors.map((error) => error.path)).toEqual(["sensors.extra.url", "sensors.extra.verb", "target.backend"]);
    });

    it("rejects an action type the target kind does not have, and bad action params", () => {
      const errors = errorsOf(
        exampleWith((plan) => {
          const stages = plan.stages as { action: unknown }[];
          Object.assign(stages[0] ?? {}, { action: { type: "teleport" } });
          Object.assign(stages[1] ?? {}, { action: { type: "weight", candidatePercent: "all" } });
        }),
      );
      expect(errors.map(({ path, message }) => ({ path, message }))).toEqual([
        {
          path: "stages[0].action.type",
          message: 'unknown action type for target kind "traffic" "teleport" (known: retire, weight)',
        },
        { path: "stages[1].action.candidatePercent", message: 'expected a number, found the string "all"' },
      ]);
    });

    it("never echoes a secret-looking field's value", () => {
      const errors = errorsOf(
        exampleWith((plan) => Object.assign(plan, { target: { kind: "traffic", backend: "b", token: ["hunter2"] } })),
      );
      expect(errors).toHaveLength(1);
      expect(errors[0]?.message).toBe("expected a string, found a value (not shown)");
    });
  });

  describe("references", () => {
    it("rejects references to undefined plan sensors and to sensors the target does not provide", () => {
      const errors = errorsOf(
        exampleWith((plan) => {
          const [guard, supercritical] = plan.guards as Record<string, Record<string, unknown>>[];
          Object.assign(guard?.threshold ?? {}, { divideBy: "reqs" });
          Object.assign(supercritical?.supercriticality ?? {}, { errors: "target.failures" });
        }),
      );
      expect(errors.map(({ path, message }) => ({ path, message }))).toEqual([
        {
          path: "guards[0].threshold.divideBy",
          message:
            'undefined sensor "reqs" (defined: legacy_inflight, error_rate, requests; target sensors are written target.<name>)',
        },
        {
          path: "guards[1].supercriticality.errors",
          message:
            'target kind "traffic" provides no sensor "failures" (it provides: target.ready, target.displaced, target.requests, target.errors)',
        },
      ]);
    });

    it("suggests the closest name for a near miss", () => {
      const errors = errorsOf(
        exampleWith((plan) => {
          const [stage] = plan.stages as { gates: { drained: { sensor: string }[] } }[];
          const [condition] = stage?.gates.drained ?? [];
          if (condition) condition.sensor = "legacy_inflite";
          Object.assign(plan.sensors as object, { extra: { kind: "htp", url: "http://127.0.0.1:1/", path: "$" } });
        }),
      );
      expect(errors.map((error) => error.message)).toEqual([
        'unknown sensor kind "htp"; did you mean "http"? (known: fake, http)',
        expect.stringMatching(/^undefined sensor "legacy_inflite"; did you mean "legacy_inflight"\? /),
      ]);
    });

    it("rejects duplicate stage and guard names at the later one", () => {
      const errors = errorsOf(
        exampleWith((plan) => {
          const [first, second] = plan.stages as { name: string }[];
          if (first && second) second.name = first.name;
          const [guard, other] = plan.guards as { name: string }[];
          if (guard && other) other.name = guard.name;
        }),
      );
      expect(errors.map(({ path, message }) => ({ path, message }))).toEqual([
        { path: "stages[1].name", message: 'duplicate stage name "canary" (first used by stages[0])' },
        { path: "guards[1].name", message: 'duplicate guard name "error-rate" (first used by guards[0])' },
      ]);
    });
  });

  describe("conditions and guards", () => {
    it.each([
      [{ sensor: "requests" }, "expected exactly one of max, min, below, above, equals, found none"],
      [{ sensor: "requests", max: 1, min: 0 }, "found max and min"],
      [{ sensor: "requests", max: 1, aggregate: "median" }, 'expected one of "sum", "max", "min", "avg", "every"'],
      [{ sensor: "requests", max: 1, consecutive: 0 }, "expected a number >= 1, found 0"],
      [{ sensor: "requests", max: ".inf" }, "expected a number"],
    ])("rejects the condition %j", (condition, message) => {
      const errors = errorsOf(
        exampleWith((plan) =>
          Object.assign((plan.stages as { gates: object }[])[1]?.gates ?? {}, { drained: [condition] }),
        ),
      );
      expect(errors).toHaveLength(1);
      expect(errors[0]?.path).toMatch(/^stages\[1\]\.gates\.drained\[0\]/);
      expect(errors[0]?.message).toContain(message);
    });

    it("rejects a guard with neither or both kinds, and limits on a supercriticality guard", () => {
      const errors = errorsOf(
        exampleWith((plan) => {
          const guards = plan.guards as Record<string, unknown>[];
          guards.push({ name: "nothing" });
          guards.push({ ...guards[0], ...guards[1], name: "everything" });
          Object.assign(guards[1] ?? {}, { failureLimit: 1 });
        }),
      );
      expect(errors.map(({ path, message }) => ({ path, message }))).toEqual([
        { path: "guards[1].failureLimit", message: "failureLimit applies to threshold guards only" },
        { path: "guards[2]", message: "expected exactly one of threshold, supercriticality, found neither" },
        { path: "guards[3]", message: "expected exactly one of threshold, supercriticality, found both" },
      ]);
    });

    it("rejects an alpha outside (0, 1) and a ratio below 1", () => {
      const errors = errorsOf(
        exampleWith((plan) => {
          const guard = (plan.guards as Record<string, Record<string, unknown>>[])[1];
          Object.assign(guard?.supercriticality ?? {}, { alpha: 1, ratio: 0.5 });
        }),
      );
      expect(errors.map((error) => error.path)).toEqual([
        "guards[1].supercriticality.ratio",
        "guards[1].supercriticality.alpha",
      ]);
    });
  });

  describe("windows", () => {
    it.each([
      [
        { timeZone: "Mars/Olympus" },
        "windows[0].timeZone",
        'expected an IANA time zone like Europe/Berlin, found "Mars/Olympus"',
      ],
      [{ from: "9:00" }, "windows[0].from", 'expected a time HH:MM from 00:00 to 23:59, found "9:00"'],
      [{ to: "24:01" }, "windows[0].to", "from 00:00 to 24:00"],
      [{ from: "16:00" }, "windows[0].to", "expected a time other than from (16:00)"],
      [{ days: ["mon", "funday"] }, "windows[0].days[1]", 'expected one of "sun", "mon"'],
      [{ days: [] }, "windows[0].days", "at least 1 item"],
    ])("rejects the window change %j", (change, path, message) => {
      const errors = errorsOf(exampleWith((plan) => Object.assign((plan.windows as object[])[0] ?? {}, change)));
      expect(errors.map((error) => error.path)).toEqual([path]);
      expect(errors[0]?.message).toContain(message);
    });
  });

  describe("YAML syntax", () => {
    it("reports a syntax error with its position", () => {
      const errors = errorsOf("name: x\ndomain: [prod\nstages: []\n");
      expect(errors.length).toBeGreaterThan(0);
      expect(errors[0]).toMatchObject({ file: "plan.yaml", path: "" });
      expect(errors[0]?.line).toBeGreaterThanOrEqual(2);
      expect(errors[0]?.message).toMatch(/^YAML syntax: /);
    });

    it("reports a duplicate key", () => {
      const errors = errorsOf(`${MINIMAL}name: again\n`);
      expect(errors[0]).toMatchObject({ line: 7, path: "" });
      expect(errors[0]?.message).toContain("unique");
    });

    it("reports a file holding several documents", () => {
      expect(errorsOf(`${MINIMAL}---\n${MINIMAL}`)[0]?.message).toMatch(/^YAML syntax: /);
    });

    it("follows anchors and aliases to report positions", () => {
      const source = `${MINIMAL}guards:\n  - name: g\n    threshold: &t { sensor: target.ready, min: x }\n  - name: h\n    threshold: *t\n`;
      expect(errorsOf(source).map(({ line, path }) => ({ line, path }))).toEqual([
        { line: 9, path: "guards[0].threshold.min" },
        { line: 9, path: "guards[1].threshold.min" },
      ]);
    });
  });

  describe("never throws", () => {
    it("turns a kind that throws into an internal error value", () => {
      const throwing: TargetDefinition = {
        ...(registries.targets.get("traffic") as TargetDefinition),
        sensorNames: () => {
          throw new Error("kind bug");
        },
      };
      const result = parsePlan(stringify(examplePlan()), "plan.yaml", {
        sensors: registries.sensors,
        targets: targetRegistry([throwing]),
      });
      expect(result).toMatchObject({ ok: false, errors: [{ path: "", message: expect.stringContaining("kind bug") }] });
    });

    it("survives asynchronous kind schemas, deep nesting and alias bombs", () => {
      const asyncKind: SensorDefinition = {
        kind: "fake",
        description: "async",
        config: z
          .object({})
          .passthrough()
          .refine(async () => true),
        create: () => ({ read: async (ctx) => ({ ok: false, observedAtMs: ctx.nowMs, code: "x", message: "x" }) }),
      };
      const asyncRegistries = { sensors: sensorRegistry([asyncKind]), targets: registries.targets };
      const bomb = `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n`;
      for (const source of [stringify(examplePlan()), "[".repeat(20_000), bomb]) {
        expect(parsePlan(source, "plan.yaml", asyncRegistries).ok).toBe(false);
      }
    });
  });
});
