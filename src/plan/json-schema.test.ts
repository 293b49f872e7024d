import { describe, expect, it } from "vitest";
import { z } from "zod";
import { sensorRegistry } from "../sensors/registry.ts";
import type { SensorDefinition } from "../sensors/sensor.ts";
import { type JsonSchema, planJsonSchema } from "./json-schema.ts";
import { testingRegistries } from "./testing-kinds.ts";

const registries = testingRegistries();
const schema = planJsonSchema(registries);

/** Follows `keys` through nested objects and arrays of the schema. */
function at(node: unknown, ...keys: (string | number)[]): unknown {
  return keys.reduce<unknown>((value, key) => (value as Record<string | number, unknown> | undefined)?.[key], node);
}

describe("planJsonSchema", () => {
  it("documents the plan's fields", () => {
    expect(at(schema, "$schema")).toBe("http://json-schema.org/draft-07/schema#");
    expect(at(schema, "required")).toEqual(["name", "domain", "target", "stages"]);
    expect(at(schema, "properties", "interval", "description")).toBe("Evaluation tick.");
    expect(at(schema, "properties", "interval", "default")).toBe("1s");
    expect(at(schema, "properties", "onHalt", "enum")).toEqual(["pause", "rollback"]);
    expect(at(schema, "properties", "stages", "items", "properties", "gates", "properties", "bake", "pattern")).toEqual(
      expect.any(String),
    );
  });

  it("discriminates the target by kind, with the kind's config merged in", () => {
    expect(at(schema, "properties", "target", "oneOf")).toEqual([
      {
        type: "object",
        description: "A traffic router with weights (test stand-in).",
        properties: {
          kind: { const: "traffic", description: "A traffic router with weights (test stand-in)." },
          backend: { type: "string", minLength: 1 },
          token: { type: "string" },
        },
        required: ["kind", "backend"],
        additionalProperties: false,
      },
    ]);
  });

  it("discriminates sensors by kind, keeping the plan's own sensor fields", () => {
    const branches = at(schema, "properties", "sensors", "additionalProperties", "oneOf") as JsonSchema[];
    expect(branches.map((branch) => at(branch, "properties", "kind", "const"))).toEqual(["fake", "http"]);
    for (const branch of branches) {
      expect(Object.keys(at(branch, "properties") as object).slice(0, 3)).toEqual(["kind", "maxAge", "counter"]);
    }
    expect(at(branches[1], "required")).toEqual(["kind", "url", "path"]);
  });

  it("documents each target kind's actions", () => {
    expect(at(schema, "properties", "stages", "items", "properties", "action", "properties", "type", "enum")).toEqual([
      "retire",
      "weight",
    ]);
    const [rule] = at(schema, "allOf") as JsonSchema[];
    expect(at(rule, "if", "properties", "target", "properties", "kind", "const")).toBe("traffic");
    const actions = at(rule, "then", "properties", "stages", "items", "properties", "action", "oneOf") as JsonSchema[];
    expect(actions.map((action) => at(action, "properties", "type", "const"))).toEqual(["retire", "weight"]);
    expect(at(actions[1], "properties", "candidatePercent")).toEqual({ type: "number", minimum: 0, maximum: 100 });
  });

  it("embeds kinds whose schemas have unions or references", () => {
    type Step = { wait?: number | undefined; next?: Step[] | undefined };
    const step: z.ZodType<Step> = z.lazy(() =>
      z.strictObject({ wait: z.number().optional(), next: z.array(step).optional() }),
    );
    const kinds: SensorDefinition[] = [
      {
        kind: "either",
        description: "a union",
        config: z.union([z.strictObject({ a: z.string() }), z.strictObject({ b: z.number() })]),
        create: () => ({ read: async (ctx) => ({ ok: false, observedAtMs: ctx.nowMs, code: "x", message: "x" }) }),
      },
      {
        kind: "nested",
        description: "a recursive schema",
        config: z.strictObject({ steps: z.array(step) }),
        create: () => ({ read: async (ctx) => ({ ok: false, observedAtMs: ctx.nowMs, code: "x", message: "x" }) }),
      },
    ];
    const embedded = planJsonSchema({ sensors: sensorRegistry(kinds), targets: registries.targets });
    const [either, nested] = at(embedded, "properties", "sensors", "additionalProperties", "oneOf") as JsonSchema[];
    expect((at(either, "anyOf") as JsonSchema[]).map((member) => at(member, "properties", "kind", "const"))).toEqual([
      "either",
      "either",
    ]);
    const refs = JSON.stringify(nested).match(/"\$ref":"[^"]*"/g) ?? [];
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      const name = ref.replace(/^"\$ref":"#\/definitions\//, "").replace(/"$/, "");
      expect(at(embedded, "definitions", name)).toBeDefined();
    }
  });

  it("is deterministic", () => {
    expect(JSON.stringify(planJsonSchema(testingRegistries()))).toBe(JSON.stringify(schema));
  });
});
