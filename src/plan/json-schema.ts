/**
 * The plan's JSON Schema for editors (`# yaml-language-server: $schema=...`):
 * the surface schema with `target` and every sensor discriminated by `kind`,
 * each registered kind's config merged into its branch, and stage actions
 * documented per target kind.
 */
import { z } from "zod";
import type { PlanRegistries } from "./check-kinds.ts";
import { isRecord } from "./check-kinds.ts";
import { planSurfaceSchema } from "./schema.ts";

/** A JSON Schema document or sub-schema. */
export type JsonSchema = { [key: string]: unknown };

const OPTIONS = { target: "draft-7", io: "input", unrepresentable: "any" } as const;

/**
 * JSON Schema (draft-07) of plans using the given kinds. Pure and
 * deterministic (kinds in name order). It documents and checks shapes;
 * cross-field rules (sensor references, unique names) are `parsePlan`'s.
 */
export function planJsonSchema(registries: PlanRegistries): JsonSchema {
  const root: JsonSchema = { ...(z.toJSONSchema(planSurfaceSchema, OPTIONS) as JsonSchema), title: "Airlock plan" };
  const definitions: JsonSchema = {};
  const properties = objectAt(root, "properties");
  const sensorEntry = objectAt(objectAt(properties, "sensors"), "additionalProperties");
  const planSensorFields = objectAt(sensorEntry, "properties");

  const sensorBranches = sortedByKind(registries.sensors).map((definition) => {
    const config = embed(toSchema(definition.config), `sensor.${definition.kind}`, definitions);
    return withDiscriminator(config, "kind", definition.kind, definition.description, planSensorFields);
  });
  objectAt(properties, "sensors").additionalProperties = {
    description: sensorEntry.description,
    oneOf: sensorBranches,
  };

  const targets = sortedByKind(registries.targets);
  properties.target = {
    description: objectAt(properties, "target").description,
    oneOf: targets.map((definition) => {
      const config = embed(toSchema(definition.config), `target.${definition.kind}`, definitions);
      return withDiscriminator(config, "kind", definition.kind, definition.description, {});
    }),
  };

  const action = objectAt(objectAt(objectAt(objectAt(properties, "stages"), "items"), "properties"), "action");
  const actionTypes = [...new Set(targets.flatMap((definition) => Object.keys(definition.actions)))].sort();
  objectAt(objectAt(action, "properties"), "type").enum = actionTypes;
  root.allOf = targets.map((definition) => ({
    if: { properties: { target: { properties: { kind: { const: definition.kind } }, required: ["kind"] } } },
    // biome-ignore lint/suspicious/noThenProperty: `then` is JSON Schema's keyword; this object is never awaited.
    then: {
      properties: {
        stages: {
          items: {
            properties: {
              action: {
                oneOf: Object.entries(definition.actions)
                  .sort(([a], [b]) => a.localeCompare(b))
                  .map(([type, schema]) => {
                    const params = embed(toSchema(schema), `action.${definition.kind}.${type}`, definitions);
                    return withDiscriminator(params, "type", type, `Action of target kind ${definition.kind}.`, {});
                  }),
              },
            },
          },
        },
      },
    },
  }));
  if (Object.keys(definitions).length > 0) root.definitions = { ...objectAt(root, "definitions"), ...definitions };
  return root;
}

/** A kind's schema without `$schema`, to be embedded. */
function toSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, OPTIONS) as JsonSchema;
  return rest;
}

/**
 * Adds a `const` discriminator (and the plan's own fields, like a sensor's
 * `maxAge`) to a kind's schema: merged into an object schema, distributed
 * over `anyOf`/`oneOf` members, otherwise combined with `allOf`.
 */
function withDiscriminator(
  schema: JsonSchema,
  key: string,
  value: string,
  description: string,
  planFields: JsonSchema,
): JsonSchema {
  const discriminator = { [key]: { const: value, description } };
  for (const union of ["anyOf", "oneOf"]) {
    const members = schema[union];
    if (Array.isArray(members) && members.every(isRecord)) {
      return {
        ...schema,
        description,
        [union]: members.map((member) => withDiscriminator(member, key, value, description, planFields)),
      };
    }
  }
  if (schema.type !== "object") {
    return {
      description,
      type: "object",
      properties: { ...planFields, ...discriminator },
      required: [key],
      allOf: [schema],
    };
  }
  const required = Array.isArray(schema.required) ? schema.required : [];
  return {
    ...schema,
    description,
    // The discriminator is spread twice: first for key order, last so that it wins.
    properties: { ...discriminator, ...planFields, ...objectAt(schema, "properties"), ...discriminator },
    required: [key, ...required],
  };
}

/**
 * Makes a kind's schema embeddable: its `definitions` move to the root
 * under `prefix`, and its `$ref`s (including `#`, a self-reference) are
 * rewritten to match. Mutates `definitions`.
 */
function embed(schema: JsonSchema, prefix: string, definitions: JsonSchema): JsonSchema {
  const { definitions: own, ...rest } = schema;
  const pointer = `#/definitions/${prefix.replaceAll("~", "~0").replaceAll("/", "~1")}`;
  const rewrite = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(rewrite);
    if (!isRecord(node)) return node;
    return Object.fromEntries(
      Object.entries(node).map(([key, child]) => {
        if (key !== "$ref" || typeof child !== "string") return [key, rewrite(child)];
        if (child === "#") return [key, pointer];
        return [key, child.replace(/^#\/definitions\//, `${pointer}.`)];
      }),
    );
  };
  const embedded = rewrite(rest) as JsonSchema;
  if (JSON.stringify(rest).includes('"$ref":"#"')) definitions[prefix] = embedded;
  if (isRecord(own)) {
    for (const [name, definition] of Object.entries(own)) definitions[`${prefix}.${name}`] = rewrite(definition);
  }
  return embedded;
}

function sortedByKind<T extends { readonly kind: string }>(registry: ReadonlyMap<string, T>): T[] {
  return [...registry.values()].sort((a, b) => a.kind.localeCompare(b.kind));
}

/** The object at `owner[key]`, created empty when missing. */
function objectAt(owner: JsonSchema, key: string): JsonSchema {
  const value = owner[key];
  if (isRecord(value)) return value as JsonSchema;
  const created: JsonSchema = {};
  owner[key] = created;
  return created;
}
